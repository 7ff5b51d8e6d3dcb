"""Plain-Python progress events the runner sends; the CLI prints them, the GUI re-emits them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PhaseOutline:
    """What a listener needs to lay out a phase before it runs."""

    name: str
    epochs: int
    steps_per_epoch: int
    trainable_params: int
    non_trainable_params: int


@dataclass(frozen=True)
class Status:
    """A one-line message about what the run is doing (loading data, downloading weights…)."""

    text: str


@dataclass(frozen=True)
class RunStarted:
    run_dir: str
    device: str
    dataset: str
    class_names: list[str]
    phases: list[PhaseOutline]
    dataset_report: dict[str, Any] = field(default_factory=dict)  # the image check's findings


@dataclass(frozen=True)
class PhaseStarted:
    phase: int  # 0-based index
    name: str
    epochs: int
    steps_per_epoch: int


@dataclass(frozen=True)
class BatchEnded:
    phase: int
    epoch: int  # 0-based within the phase
    batch: int  # 1-based count of batches done in this epoch
    steps_per_epoch: int
    logs: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EpochEnded:
    phase: int
    epoch: int  # 0-based within the phase
    epochs: int
    logs: dict[str, float] = field(default_factory=dict)  # loss, accuracy, val_loss, val_accuracy
    seconds: float = 0.0
    replayed: bool = False  # finished before a resume, sent again from history.csv


@dataclass(frozen=True)
class LayerHealth:
    """One trainable layer at one finished epoch (phase and epoch 0-based): see
    `training/health_file.py`."""

    phase: int
    epoch: int
    layer: str
    weight_norm: float
    update_ratio: float
    grad_norm: float


@dataclass(frozen=True)
class HealthMeasured:
    """The trainable layers' health at a finished epoch, sent just before its `EpochEnded`."""

    phase: int
    epoch: int  # 0-based within the phase
    layers: tuple[LayerHealth, ...]
    replayed: bool = False  # finished before a resume, sent again from layer_health.csv


@dataclass(frozen=True)
class PhaseEnded:
    phase: int
    epochs_done: int
    stopped: bool


@dataclass(frozen=True)
class DeviceMemory:
    """GPU memory TensorFlow holds, sent at each epoch's start when training on a GPU."""

    device: str
    current_bytes: int
    peak_bytes: int


@dataclass(frozen=True)
class RunEnded:
    run_dir: str
    stopped: bool
    test_metrics: dict[str, float] | None
    model_path: str | None
    time_spent: list[tuple[str, float]] = field(default_factory=list)  # see time_spent.py


@dataclass(frozen=True)
class TrialStarted:
    """A sweep starts (or continues) trial `trial` of `trials` up to run epoch `until`."""

    trial: int  # 1-based
    trials: int
    values: dict[str, str]
    run_dir: str
    until: int  # the run epoch this segment ends at (the trial's total when it finishes)


@dataclass(frozen=True)
class TrialEnded:
    """A sweep's trial reached its end: `status` is done, failed or halted (by halving)."""

    trial: int
    status: str
    seconds: float
    error: str | None = None


def quarterly(report: Callable[[str], None], what: str) -> Callable[[int, int], None]:
    """A progress callback `(done, total)` that reports "what: done/total…" at each quarter."""
    reported = [0]

    def progress(done: int, total: int) -> None:
        quarter = 4 * done // max(total, 1)
        if quarter > reported[0]:
            reported[0] = quarter
            report(f"{what}: {done:,}/{total:,}…")

    return progress


def epoch_from_row(row: Mapping[str, Any], epochs: int) -> EpochEnded:
    """A history.csv row (1-based phase and epoch) as the replayed event that drew it."""
    logs = {k: float(row[k]) for k in ("loss", "accuracy", "val_loss", "val_accuracy")}
    return EpochEnded(
        int(row["phase"]) - 1, int(row["epoch"]) - 1, epochs, logs, float(row["seconds"]), True
    )


def history_events(
    rows: Sequence[Mapping[str, Any]], planned_epochs: Sequence[int] = ()
) -> list[Event]:
    """A run's history as the events a listener saw: each phase's start, then its epochs.

    `planned_epochs` are the configured epochs per phase; phases beyond it count what ran.
    """
    events: list[Event] = []
    for phase in sorted({int(row["phase"]) for row in rows}):
        phase_rows = [row for row in rows if int(row["phase"]) == phase]
        epochs = planned_epochs[phase - 1] if phase <= len(planned_epochs) else len(phase_rows)
        events.append(PhaseStarted(phase - 1, str(phase_rows[0]["phase_name"]), epochs, 0))
        events.extend(epoch_from_row(row, epochs) for row in phase_rows)
    return events


Event = (
    Status
    | RunStarted
    | PhaseStarted
    | BatchEnded
    | EpochEnded
    | HealthMeasured
    | PhaseEnded
    | RunEnded
    | DeviceMemory
    | TrialStarted
    | TrialEnded
)
Listener = Callable[[Event], None]
