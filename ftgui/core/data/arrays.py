"""Arrays that live in RAM while they fit a budget, else in a memory-mapped file."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np


def memory_budget_bytes(budget_mb: int | None) -> int:
    """The RAM a cache may use: the setting, or a quarter of the memory available now."""
    if budget_mb is not None:
        return budget_mb * 2**20
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            info = dict(line.split(":", 1) for line in f)
        available = int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    return available // 4


def human_bytes(n: float) -> str:
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KB", "MB", "GB"):
        n /= 1024
        if n < 1024 or unit == "GB":
            break
    return f"{n:.1f} {unit}"


def allocate(
    shape: tuple[int, ...],
    budget: int,
    used: int,
    folder: Path,
    name: str,
    dtype: type = np.float32,
) -> np.ndarray:
    """An array in RAM when `used` + its size fits `budget`, else a .npy memory map in `folder`."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if used + nbytes <= budget:
        return np.empty(shape, dtype=dtype)
    folder.mkdir(parents=True, exist_ok=True)
    return np.lib.format.open_memmap(folder / f"{name}.npy", mode="w+", dtype=dtype, shape=shape)


def ram_bytes(*arrays: np.ndarray | None) -> int:
    """The RAM these arrays hold (memory-mapped ones count nothing)."""
    return sum(a.nbytes for a in arrays if a is not None and not isinstance(a, np.memmap))


def delete_mapped(array: np.ndarray | None) -> None:
    """Delete the file behind a memory-mapped array (the caller drops its references)."""
    if isinstance(array, np.memmap) and array.filename:
        Path(array.filename).unlink(missing_ok=True)
