"""A whole run: the image check, the phases, scoring after the run and the run folder."""
