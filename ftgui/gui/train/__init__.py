"""The Train tab: settings, phases, layers, the run controller and its live views."""
