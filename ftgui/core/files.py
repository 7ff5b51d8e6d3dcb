"""Writing files so that a process killed mid-write never leaves half of one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """`write(sibling)` to a hidden sibling with the same suffix, then rename it over `path`.

    A process killed mid-write leaves the previous file whole (the rename is atomic).
    """
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
