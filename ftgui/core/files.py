"""Writing files so that a process killed mid-write never leaves half of one."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

from ftgui.core.errors import UserError


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


def write_run_file(path: Path, write: Callable[[Path], object]) -> None:
    """Write a run-folder file atomically (`write_atomically`); a failure is one sentence."""
    try:
        write_atomically(path, write)
    except OSError as exc:
        raise UserError(write_failure(path, exc)) from None


def write_failure(path: Path, exc: OSError) -> str:
    """One sentence for a failed write into the run folder (a full disk above all)."""
    if exc.errno == errno.ENOSPC:
        return (
            f"The disk holding {path.parent} is full; free some space and start again "
            f"(every finished epoch is in history.csv)."
        )
    return f"Cannot write {path} ({exc.strerror or exc}); check the folder's permissions."
