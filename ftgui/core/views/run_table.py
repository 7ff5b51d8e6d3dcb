"""The runs folder read for the Experiments tab: a row per run, each sweep's trials grouped under
the sweep, the settings that differ between rows, and a run's curves for the overlay.

Only config.json, history.csv, test_metrics.json and a sweep's trials.csv are read (never a
model), so hundreds of runs list in well under a second; a broken folder is skipped with the
reason, never raised. No Qt, no TensorFlow.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ftgui.core.errors import UserError
from ftgui.core.paths import runs_dir
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.flag_values import flag_values, switch_values
from ftgui.core.training.checkpoint import CHECKPOINT_FILE
from ftgui.core.training.run_folder import (
    CONFIG_FILE,
    HISTORY_FILE,
    TEST_METRICS_FILE,
    read_history,
)
from ftgui.core.views.timeline import METRICS

SWEEP_FILE, TRIALS_FILE = "sweep.json", "trials.csv"  # as `python main.py sweep` writes them
FINISHED, RESUMABLE, STOPPED = "finished", "stopped (resumable)", "stopped"
RUNNING, FAILED = "running?", "failed"  # "?": files written lately, no way to be sure
SAMPLE = "sample"  # the dataset column of runs on the bundled sample
RUNNING_WITHIN_S = 120.0  # files newer than this (or two of its slowest epochs): "running?"
NOT_SETTINGS = ("data", "sample", "out")  # the dataset and the folder have their own columns
# Reading a folder fails with one of these on a broken or half-written file.
BROKEN = (OSError, ValueError, KeyError, TypeError, IndexError, csv.Error, UserError)

Progress = Callable[[int, int], None]  # (folders done, folders in all); may raise to cancel


@dataclass(frozen=True)
class RunRow:
    """One run as the table lists it."""

    folder: str
    name: str  # the folder's name, or "trial 3" under a sweep
    date: float  # when config.json was written, i.e. the run started (seconds since the epoch)
    dataset: str  # the data folder's name, or SAMPLE
    settings: dict[str, str]  # `train` flag (no dashes) → value, see `flag_values`
    best_val_loss: float | None = None
    best_val_accuracy: float | None = None
    best_epoch: int | None = None  # run epoch: history.csv's row number of the first lowest
    test_accuracy: float | None = None
    seconds: float = 0.0  # the history's epochs summed
    status: str = FINISHED
    epochs: int = 0  # finished epochs
    sweep: str | None = None  # the sweep's folder name for a trial
    trial: int | None = None  # its number in trials.csv (None: not listed there yet)

    @property
    def resumable(self) -> bool:
        return self.status == RESUMABLE


@dataclass(frozen=True)
class SweepGroup:
    """A sweep folder and its trials (in trials.csv's order, unlisted trial folders last)."""

    folder: str
    name: str
    date: float
    trials: list[RunRow]

    @property
    def best(self) -> RunRow | None:
        """The trial with the lowest best validation loss."""
        scored = [t for t in self.trials if t.best_val_loss is not None]
        return min(scored, key=lambda t: t.best_val_loss or 0.0, default=None)


@dataclass
class RunTable:
    runs: list[RunRow] = field(default_factory=list)
    sweeps: list[SweepGroup] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (folder, why)

    def rows(self) -> list[RunRow]:
        """Every run: the plain runs, then each sweep's trials."""
        return [*self.runs, *(t for s in self.sweeps for t in s.trials)]

    def datasets(self) -> list[str]:
        return sorted({row.dataset for row in self.rows() if row.dataset})


def read_run_table(root: str | Path | None = None, progress: Progress | None = None) -> RunTable:
    """Every run and sweep directly under `root` (default: the runs folder), newest first."""
    root = Path(root) if root is not None else runs_dir()
    table = RunTable()
    try:
        folders = sorted(e.path for e in os.scandir(root) if e.is_dir())
    except OSError:
        return table  # no runs folder yet: nothing to list
    now = time.time()
    for done, folder in enumerate(folders):
        if progress is not None:
            progress(done, len(folders))  # outside the try: a cancel must get through
        path = Path(folder)
        try:
            if (path / SWEEP_FILE).is_file() or (path / TRIALS_FILE).is_file():
                table.sweeps.append(read_sweep(path, now, table.skipped))
            elif (path / CONFIG_FILE).is_file():
                table.runs.append(read_run_row(path, now=now))
            elif (path / HISTORY_FILE).is_file():
                table.skipped.append((folder, f"it has a {HISTORY_FILE} but no {CONFIG_FILE}"))
        except BROKEN as exc:
            table.skipped.append((folder, _reason(exc)))
    table.runs.sort(key=lambda row: row.date, reverse=True)
    table.sweeps.sort(key=lambda sweep: sweep.date, reverse=True)
    return table


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"


def read_run_row(
    folder: str | Path, sweep: str | None = None, trial: int | None = None, now: float = 0.0
) -> RunRow:
    """One run folder's row; raises one of BROKEN when its files cannot be read. `now` (seconds
    since the epoch) tells a run written lately as RUNNING; 0 never does."""
    path = Path(folder)
    config = RunConfig.load(path / CONFIG_FILE)
    val_loss, val_accuracy, seconds = _history_columns(path / HISTORY_FILE)
    best = _first_lowest(val_loss)
    test = _test_accuracy(path)
    settings = {**flag_values(config), **switch_values(config)}
    return RunRow(
        folder=str(path),
        name=f"trial {trial}" if trial is not None else path.name,
        date=(path / CONFIG_FILE).stat().st_mtime,
        dataset=SAMPLE if config.sample else Path(str(config.data_dir)).name,
        settings={k: v for k, v in settings.items() if k not in NOT_SETTINGS},
        best_val_loss=None if best is None else val_loss[best],
        best_val_accuracy=None if best is None else val_accuracy[best],
        best_epoch=None if best is None else best + 1,
        test_accuracy=test,
        seconds=math.fsum(s for s in seconds if not math.isnan(s)),
        status=_status(path, config, len(val_loss), test, max(seconds, default=0.0), now),
        epochs=len(val_loss),
        sweep=sweep,
        trial=trial,
    )


def _history_columns(path: Path) -> tuple[list[float], list[float], list[float]]:
    """val_loss, val_accuracy and seconds of each epoch in history.csv (empty lists without
    one); a plain csv.reader, four times quicker than `read_history` for the table."""
    if not path.exists():
        return [], [], []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        columns = [header.index(name) for name in ("phase", *_COLUMNS)]
        rows = [[row[i] for i in columns] for row in reader if row]
    for row in rows:
        int(row[0])  # a row that is not an epoch is a broken file
    values = [[float(row[i]) if row[i] else math.nan for row in rows] for i in (1, 2, 3)]
    return values[0], values[1], values[2]


_COLUMNS = ("val_loss", "val_accuracy", "seconds")


def _first_lowest(values: Sequence[float]) -> int | None:
    """Index of the first lowest finite value (the rule of the run's best model)."""
    finite = [(v, i) for i, v in enumerate(values) if math.isfinite(v)]
    return min(finite)[1] if finite else None


def _test_accuracy(path: Path) -> float | None:
    try:
        metrics = json.loads((path / TEST_METRICS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return float(metrics["accuracy"])


def _status(
    path: Path, config: RunConfig, epochs: int, test: float | None, slowest: float, now: float
) -> str:
    """FINISHED, RUNNING (written lately), RESUMABLE or STOPPED, as `plan_resume` decides."""
    checkpoint = (path / CHECKPOINT_FILE).exists()
    planned = sum(phase.epochs for phase in config.phases)
    if test is not None or (not checkpoint and epochs >= planned):
        return FINISHED
    files = (path / name for name in (CONFIG_FILE, HISTORY_FILE, CHECKPOINT_FILE))
    newest = max((f.stat().st_mtime for f in files if f.exists()), default=0.0)
    if now and now - newest < max(RUNNING_WITHIN_S, 2 * (0.0 if math.isnan(slowest) else slowest)):
        return RUNNING
    return RESUMABLE if checkpoint or not epochs else STOPPED


def read_sweep(folder: Path, now: float = 0.0, skipped: list | None = None) -> SweepGroup:
    """A sweep folder's trials: those trials.csv lists, then trial folders it does not list yet
    (the one running). A listed trial whose folder cannot be read keeps trials.csv's numbers."""
    trials: list[RunRow] = []
    listed: set[Path] = set()
    for entry in _trial_entries(folder):
        run = (folder / entry["run"]).resolve()
        listed.add(run)
        try:
            row = read_run_row(run, folder.name, int(entry["trial"]), now)
        except BROKEN:
            row = _row_from_csv(folder, entry)
        trials.append(replace(row, status=FAILED) if entry["status"] == FAILED else row)
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and p.resolve() not in listed):
        if (sub / CONFIG_FILE).is_file():
            try:
                trials.append(read_run_row(sub, folder.name, None, now))
            except BROKEN as exc:
                (skipped if skipped is not None else []).append((str(sub), _reason(exc)))
    dataset = next((t.dataset for t in trials if t.dataset), "")  # for trials without a folder
    trials = [t if t.dataset else replace(t, dataset=dataset) for t in trials]
    marker = folder / (SWEEP_FILE if (folder / SWEEP_FILE).exists() else TRIALS_FILE)
    date = min((t.date for t in trials), default=marker.stat().st_mtime)
    return SweepGroup(str(folder), folder.name, date, trials)


def _trial_entries(folder: Path) -> list[dict[str, str]]:
    path = folder / TRIALS_FILE
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row.get("run")]


_RESULTS = ("best_val_loss", "best_val_accuracy", "best_epoch", "test_accuracy", "seconds")


def _row_from_csv(folder: Path, entry: dict[str, str]) -> RunRow:
    """A trial without a readable folder (it failed early): what trials.csv says of it."""
    fixed = {"trial", "status", "run", *_RESULTS}
    numbers = {k: float(entry[k]) if entry.get(k) else None for k in _RESULTS}
    epoch = numbers["best_epoch"]
    return RunRow(
        folder=str(folder / entry["run"]),
        name=f"trial {entry['trial']}",
        date=(folder / TRIALS_FILE).stat().st_mtime,
        dataset="",  # the sweep's, filled in by `read_sweep`
        settings={k: v for k, v in entry.items() if k not in fixed and v is not None},
        best_val_loss=numbers["best_val_loss"],
        best_val_accuracy=numbers["best_val_accuracy"],
        best_epoch=None if epoch is None else int(epoch),
        test_accuracy=numbers["test_accuracy"],
        seconds=numbers["seconds"] or 0.0,
        status=entry["status"] if entry["status"] == FAILED else STOPPED,
        sweep=folder.name,
        trial=int(entry["trial"]),
    )


def differing_settings(rows: Iterable[RunRow]) -> list[str]:
    """The flags whose values are not the same in every row (a missing value counts as one),
    in the order the rows first name them."""
    rows = list(rows)
    flags = list(dict.fromkeys(flag for row in rows for flag in row.settings))
    return [f for f in flags if len({row.settings.get(f, "") for row in rows}) > 1]


def run_label(row: RunRow, flags: Sequence[str]) -> str:
    """A run named by the settings in `flags`, e.g. "lr-finetune=1e-05, unfreeze-from=
    block5_conv3"; its name when `flags` is empty."""
    named = ", ".join(f"{flag}={row.settings.get(flag, '–')}" for flag in flags)
    return named or (f"{row.sweep} {row.name}" if row.sweep else row.name)


@dataclass(frozen=True)
class RunCurves:
    """A run's epochs on its run-epoch axis (1, 2, … across phases), for the overlay."""

    x: np.ndarray
    train: dict[str, np.ndarray]  # METRICS → per-epoch values
    val: dict[str, np.ndarray]
    phases: list[tuple[int, str]]  # (finished epochs before the phase, its name)
    best_epoch: int | None  # run epoch of the first lowest validation loss


def run_curves(folder: str | Path) -> RunCurves:
    """The curves of a run folder's history.csv (UserError when it has none)."""
    rows = read_history(folder)
    phases: list[tuple[int, str]] = []
    for index, row in enumerate(rows):
        if not index or row["phase"] != rows[index - 1]["phase"]:
            phases.append((index, str(row["phase_name"])))

    def column(key: str) -> np.ndarray:
        return np.array([float(row[key]) for row in rows], dtype=np.float64)

    train = {metric: column(metric) for metric in METRICS}
    val = {metric: column("val_" + metric) for metric in METRICS}
    best = _first_lowest(list(val["loss"]))
    x = np.arange(1, len(rows) + 1, dtype=np.float64)
    return RunCurves(x, train, val, phases, None if best is None else best + 1)
