"""The Experiments tab: every run and sweep in the runs folder, their curves overlaid."""
