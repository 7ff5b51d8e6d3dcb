"""What syncing to the disk adds to each epoch's record: the checkpoint written through
`files.write_run_file` (fsync of the file, then of its folder) and the history row appended
and synced (`files.sync_file`), timed with and without the fsyncs.

    python benchmarks/durable_writes.py [--checkpoint-mb 4.2,61] [--epoch-seconds 0.9,60]
                                        [--run RUN] [--repeat 7] [--folder DIR]

`--checkpoint-mb` gives each phase's checkpoint size (defaults: the sample run at 64 px, a
cached classifier then block5 fine-tuning); `--epoch-seconds` each phase's epoch time, or
`--run` a finished run folder whose history.csv gives each phase's median. Prints per phase the
median extra seconds per epoch and its share of an epoch. The record is written off the
training thread while the next epoch computes, so the share is an upper bound on the slowdown.
`--folder` picks the disk (default: a temporary folder).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ftgui.core.files import sync_file, write_run_file  # noqa: E402

ROW = "2,Fine-tune,3,2.14187598,0.15955473,2.06059861,0.23119777,106.409\n"


def record(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    """One epoch's record as the run writes it: a history row, then the checkpoint."""
    with open(folder / "history.csv", "a", newline="", encoding="utf-8") as f:
        f.write(ROW)
        sync_file(f)
    write_run_file(folder / "checkpoint.npz", lambda path: np.savez(path, **arrays))


def timed(write: Callable[[], None], synced: bool, repeat: int) -> float:
    """Median seconds of `write`, with the real fsync or with fsync doing nothing."""
    real = os.fsync
    if not synced:
        os.fsync = lambda handle: None
    try:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            write()
            times.append(time.perf_counter() - started)
    finally:
        os.fsync = real
    return statistics.median(times)


def epoch_seconds(run: Path) -> list[float]:
    """Each phase's median epoch time in a run folder's history.csv."""
    by_phase: dict[str, list[float]] = {}
    with open(run / "history.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_phase.setdefault(row["phase"], []).append(float(row["seconds"]))
    return [statistics.median(times) for _, times in sorted(by_phase.items())]


def numbers(text: str) -> list[float]:
    return [float(part) for part in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint-mb", type=numbers, default=[4.2, 61.0])
    parser.add_argument("--epoch-seconds", type=numbers, default=[0.9, 60.0])
    parser.add_argument("--run", type=Path, help="a finished run folder (its epoch times)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--folder", type=Path, help="where to write (default: a temp folder)")
    args = parser.parse_args()
    epochs = epoch_seconds(args.run) if args.run else args.epoch_seconds
    if len(epochs) != len(args.checkpoint_mb):
        parser.error("give one checkpoint size per phase (and one epoch time per phase)")
    print("phase  checkpoint  epoch s  record s (no fsync)  record s (fsync)  extra/epoch")
    with tempfile.TemporaryDirectory(dir=args.folder) as scratch:
        folder = Path(scratch)
        for phase, (megabytes, epoch) in enumerate(zip(args.checkpoint_mb, epochs, strict=True), 1):
            size = int(megabytes * 2**20) // 4
            arrays = {"weights": np.random.default_rng(phase).random(size, dtype=np.float32)}

            def write(arrays: dict[str, np.ndarray] = arrays) -> None:
                record(folder, arrays)

            write()  # warm the page cache and the file's blocks
            plain = timed(write, synced=False, repeat=args.repeat)
            synced = timed(write, synced=True, repeat=args.repeat)
            extra = max(synced - plain, 0.0)
            print(
                f"{phase:>5}  {megabytes:>7.1f} MB  {epoch:>7.2f}  {plain:>19.3f}  "
                f"{synced:>16.3f}  {extra / epoch:>10.2%}"
            )


if __name__ == "__main__":
    main()
