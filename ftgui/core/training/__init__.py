"""Running phases: events, run folder, checkpoints, resume, layer caching, the child process."""
