"""How long a sweep will take: the epochs it trains (a phase trials share counted once) and this
machine's measured speed, before it starts (from recent runs) and while it runs (its own epochs).

No Qt: the Sweep… dialog and the progress bar read it.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig
from ftgui.core.sweep.branching import prefix_key
from ftgui.core.sweep.record import PENDING, SweepRecord
from ftgui.core.training.run_folder import CONFIG_FILE, HISTORY_FILE, read_history

REPORT_FILE = "dataset_report.json"
RECENT_RUNS = 10  # the newest run folders the speed is measured on
BROKEN = (OSError, ValueError, KeyError, TypeError, IndexError, ZeroDivisionError, UserError)


def epochs_to_train(record: SweepRecord, folder: Path | None = None) -> dict[int, list[int]]:
    """Per trial, the epochs of each phase the sweep still has to train.

    A phase that trials agree on up to its end (the same settings before it) is trained once,
    by the first of them: the others count 0 for it, as the engine shares it. The last phase is
    never shared. With `folder` (a sweep that ran), finished, failed or halted trials count
    nothing and a trial's epochs already in its history.csv are subtracted."""
    left: dict[int, list[int]] = {}
    seen: set[str] = set()
    for trial in record.trials:
        config = RunConfig.from_dict(dict(trial.config))
        epochs = [p.epochs for p in config.phases]
        if trial.state != PENDING:
            left[trial.number] = [0] * len(epochs)
            continue
        done = _epochs_done(folder / trial.run, len(epochs)) if folder else [0] * len(epochs)
        counts = []
        for index, end in enumerate(accumulate(epochs)):
            key = prefix_key(config, end) if index < len(epochs) - 1 else ""
            shared = bool(key) and key in seen and not done[index]
            seen.add(key)
            counts.append(0 if shared else max(epochs[index] - done[index], 0))
        left[trial.number] = counts
    return left


def _epochs_done(run: Path, phases: int) -> list[int]:
    done = [0] * phases
    try:
        rows = read_history(run) if (run / HISTORY_FILE).is_file() else []
    except BROKEN:  # a broken history holds nothing to keep
        rows = []
    for row in rows:
        index = int(row["phase"]) - 1
        if 0 <= index < phases:
            done[index] += 1
    return done


@dataclass(frozen=True)
class Speed:
    """Seconds per epoch per training image per pixel (size²), for the first phase (the head,
    on cached frozen-layer outputs) and for later phases (fine-tuning), with its basis."""

    first: float | None
    later: float | None
    runs: int  # run folders measured

    def seconds_per_epoch(self, phase: int, images: int, size: int) -> float | None:
        rate = self.first if phase == 0 else self.later
        rate = rate if rate is not None else self.first if phase else self.later
        return None if rate is None else rate * images * size * size


def _run_folders(root: Path) -> list[Path]:
    """Run folders directly under `root` and one level down (a sweep's trials)."""
    found = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    for entry in entries:
        if not entry.is_dir():
            continue
        path = Path(entry.path)
        if (path / CONFIG_FILE).is_file():
            found.append(path)
        else:
            found += [p for p in path.glob("*/") if (p / CONFIG_FILE).is_file()]
    return found


def _run_rates(run: Path) -> tuple[list[float], list[float]]:
    """(first-phase, later-phase) seconds per epoch per image·px² of one run's history."""
    config = json.loads((run / CONFIG_FILE).read_text(encoding="utf-8"))
    report = json.loads((run / REPORT_FILE).read_text(encoding="utf-8"))
    images = sum(report["counts"]["train"])
    scale = images * int(config["image_size"]) ** 2
    first, later = [], []
    for row in read_history(run):
        seconds = float(row["seconds"])
        if math.isfinite(seconds) and seconds > 0:
            (first if int(row["phase"]) == 1 else later).append(seconds / scale)
    return first, later


def measured_speed(root: Path) -> Speed:
    """This machine's speed from the newest run folders under `root` that finished epochs:
    each phase's median over them."""
    folders = sorted(
        _run_folders(root), key=lambda p: (p / HISTORY_FILE).stat().st_mtime
        if (p / HISTORY_FILE).exists() else 0.0, reverse=True,
    )  # fmt: skip
    first: list[float] = []
    later: list[float] = []
    runs = 0
    for folder in folders:
        if runs >= RECENT_RUNS:
            break
        try:
            run_first, run_later = _run_rates(folder)
        except BROKEN:
            continue
        if run_first or run_later:
            runs += 1
            first += run_first
            later += run_later
    median = lambda values: statistics.median(values) if values else None  # noqa: E731
    return Speed(median(first), median(later), runs)


def estimate_seconds(
    left: dict[int, list[int]], speed: Speed, images: int, size: int
) -> float | None:
    """The sweep's training time at `speed` for `images` training images of `size` px."""
    total = 0.0
    for counts in left.values():
        for phase, epochs in enumerate(counts):
            if epochs:
                per_epoch = speed.seconds_per_epoch(phase, images, size)
                if per_epoch is None:
                    return None
                total += epochs * per_epoch
    return total


class SweepEta:
    """A running sweep's time left: the epochs still to train at each phase's measured speed
    (an unmeasured phase at the others' speed, then `guessed`). Fed the sweep's events."""

    def __init__(self, left: dict[int, list[int]]) -> None:
        self.left = {trial: list(counts) for trial, counts in left.items()}
        self.total = sum(map(sum, left.values()))
        self.seconds: dict[int, list[float]] = {}  # phase → seconds of its epochs here

    @property
    def done(self) -> int:
        return self.total - sum(map(sum, self.left.values()))

    def epoch_ended(self, trial: int, phase: int, seconds: float) -> None:
        """A trained (not replayed) epoch of `phase` in `trial`."""
        self.seconds.setdefault(phase, []).append(seconds)
        owners = [trial] + [t for t in self.left if t != trial]
        for owner in owners:  # the trial itself, else one that had it to train
            counts = self.left.get(owner, [])
            if phase < len(counts) and counts[phase] > 0:
                counts[phase] -= 1
                return

    def trial_ended(self, trial: int) -> None:
        """Done, failed or halted: nothing more of it to train (nor counted)."""
        if trial in self.left:
            self.total -= sum(self.left[trial])
            self.left[trial] = [0] * len(self.left[trial])

    def _speeds(self) -> dict[int, float]:
        return {p: statistics.fmean(s[-5:]) for p, s in self.seconds.items() if s}

    def speed(self, phase: int) -> float:
        """Seconds per epoch of `phase` (the others' mean while it has none; 0 unmeasured)."""
        speeds = self._speeds()
        return speeds.get(phase, statistics.fmean(speeds.values()) if speeds else 0.0)

    def seconds_left(self) -> tuple[float | None, bool]:
        """(seconds, guessed) for the epochs left, the current one whole; None before any
        epoch was measured."""
        speeds = self._speeds()
        if not speeds:
            return None, True
        total, guessed = 0.0, False
        for counts in self.left.values():
            for phase, epochs in enumerate(counts):
                if epochs:
                    guessed |= phase not in speeds
                    total += epochs * self.speed(phase)
        return total, guessed
