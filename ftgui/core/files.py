"""Writing files so that neither a process killed mid-write nor a power cut leaves half of one,
and checking, before any slow work, that a path the user chose can be written at all."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ftgui.core.errors import UserError

PROBE_PREFIX = ".ftgui-write-check-"  # the hidden file or folder a check makes and removes
Problem = tuple[str, str]  # (why a path cannot be written, advice before "choose another FLAG")
CREATE = "create it or "
FREE = "free some space or "


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """`write(sibling)` to a hidden sibling with the same suffix, then rename it over `path`.

    A process killed mid-write leaves the previous file whole (the rename is atomic); the
    sibling's bytes reach the disk before the rename and the rename before this returns
    (fsync of the file, then of its folder), so a power cut leaves the old file or the new one,
    never an empty one.
    """
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        write(partial)
        _sync_path(partial)
        os.replace(partial, path)
        sync_folder(path.parent)
    finally:
        partial.unlink(missing_ok=True)


def sync_file(file: IO[Any]) -> None:
    """Push an open file's written bytes to the disk (Python's buffer, then the system's)."""
    file.flush()
    os.fsync(file.fileno())


def sync_folder(folder: Path) -> None:
    """Push a folder's entries (a file created or renamed in it) to the disk.

    Windows cannot open a folder for this (NTFS journals renames itself), and some file systems
    refuse to sync one: both are left as they are.
    """
    if os.name == "nt":
        return
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):  # a folder one may write but not list
            return
        raise
    try:
        os.fsync(handle)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(handle)


def _sync_path(path: Path) -> None:
    """Push a closed file's bytes to the disk (Windows needs write access to do it)."""
    handle = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


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


def check_writable_file(path: str | Path, flag: str | None, make_folders: bool = True) -> Path:
    """`path` expanded; UserError (one sentence naming `flag`) unless a file can be made there.

    Missing folders above it must be creatable when the writer makes them (`make_folders`),
    else exist. Nothing is left behind: the check makes a hidden file or folder and removes it.
    """
    path = Path(path).expanduser()
    problem = _diagnose(path, folder=False, make_folders=make_folders)
    if problem:
        raise UserError(_cannot(path, problem, flag))
    return path


def check_writable_folder(path: str | Path, flag: str | None) -> Path:
    """`path` expanded; UserError (one sentence naming `flag`) unless it is, or can become, a
    folder that takes new files. Nothing is left behind (see `check_writable_file`)."""
    path = Path(path).expanduser()
    problem = _diagnose(path, folder=True, make_folders=True)
    if problem:
        raise UserError(_cannot(path, problem, flag))
    return path


def cannot_write(path: Path, exc: OSError, flag: str | None, folder: bool = False) -> UserError:
    """The one-sentence error for a write to a chosen path that failed after all: the checks'
    diagnosis, else the system's reason."""
    if exc.errno == errno.ENOSPC:
        return UserError(_cannot(path, (f"the disk holding {path.parent} is full", FREE), flag))
    problem = _diagnose(path, folder, make_folders=True)
    if problem:
        return UserError(_cannot(path, problem, flag))
    return UserError(f"Cannot write {path} ({exc.strerror or exc}); {_choose(flag)}.")


@contextmanager
def new_folders_removed_on_failure(folder: Path) -> Iterator[None]:
    """On an exception in the block, remove the (empty) folders up to `folder` that it
    created, so a failed write leaves no stray folders behind."""
    missing = []
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate):
            break
        missing.append(candidate)
    try:
        yield
    except BaseException:
        for made in missing:  # deepest first
            try:
                made.rmdir()
            except OSError:
                break
        raise


def _diagnose(path: Path, folder: bool, make_folders: bool) -> Problem | None:
    """Why `path` cannot be written as a folder (`folder`) or a file, or None."""
    if folder and os.path.lexists(path) and not os.path.isdir(path):
        return "it is a file, not a folder", ""
    if not folder and os.path.isdir(path):
        return "it is a folder, not a file", ""
    if folder:
        return _problem(path, "the folder", make_folders)
    return _problem(path.parent, f"its folder {path.parent}", make_folders)


def _problem(folder: Path, named: str, make_folders: bool) -> Problem | None:
    """Why no file can be made in `folder` (created when missing), or None when one can;
    `named` is how the sentence calls the folder."""
    if os.path.isdir(folder):
        error = _probe(folder, make_folder=False)
        return (f"{named} does not accept new files ({error})", "") if error else None
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not os.path.isdir(existing):
        return f"{existing} is a file, not a folder", ""
    if not make_folders:
        return f"{named} does not exist", CREATE
    error = _probe(existing, make_folder=True)
    return (f"{named} cannot be created ({error})", "") if error else None


def _probe(folder: Path, make_folder: bool) -> str | None:
    """Make and remove a hidden file (or folder) in `folder`; the reason it failed, or None."""
    try:
        if make_folder:
            os.rmdir(tempfile.mkdtemp(prefix=PROBE_PREFIX, dir=folder))
        else:
            handle, name = tempfile.mkstemp(prefix=PROBE_PREFIX, dir=folder)
            os.close(handle)
            os.unlink(name)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _cannot(path: Path, problem: Problem, flag: str | None) -> str:
    why, advice = problem
    return f"Cannot write {path}: {why}; {advice}{_choose(flag)}."


def _choose(flag: str | None) -> str:
    return f"choose another {flag}" if flag else "choose another place"
