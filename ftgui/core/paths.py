"""Where ftgui keeps its own files: the sample dataset and, by default, the runs."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path


def ftgui_home() -> Path:
    """`$FTGUI_HOME`, or `~/.ftgui`: caches such as the sample dataset."""
    return Path(os.environ.get("FTGUI_HOME") or Path.home() / ".ftgui").expanduser()


def runs_dir() -> Path:
    """`$FTGUI_RUNS_DIR`, or `~/ftgui-runs`: where run folders go when no --out is given."""
    return Path(os.environ.get("FTGUI_RUNS_DIR") or Path.home() / "ftgui-runs").expanduser()


def new_run_dir(prefix: str = "") -> Path:
    """A fresh time-stamped folder name under the runs directory (not yet created); a sweep
    passes `prefix` "sweep-"."""
    stamp = prefix + datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    candidate = runs_dir() / stamp
    n = 1
    while candidate.exists():
        n += 1
        candidate = runs_dir() / f"{stamp}_{n}"
    return candidate


def keras_cache_dir() -> Path:
    """Keras's cache (`$KERAS_HOME` or `~/.keras`), where `imagenet` weights are downloaded."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
