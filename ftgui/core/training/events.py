"""Plain-Python progress events the runner sends; the CLI prints them, the GUI re-emits them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


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
class PhaseEnded:
    phase: int
    epochs_done: int
    stopped: bool


@dataclass(frozen=True)
class RunEnded:
    run_dir: str
    stopped: bool
    test_metrics: dict[str, float] | None
    model_path: str | None


def quarterly(report: Callable[[str], None], what: str) -> Callable[[int, int], None]:
    """A progress callback `(done, total)` that reports "what: done/total…" at each quarter."""
    reported = [0]

    def progress(done: int, total: int) -> None:
        quarter = 4 * done // max(total, 1)
        if quarter > reported[0]:
            reported[0] = quarter
            report(f"{what}: {done:,}/{total:,}…")

    return progress


Event = Status | RunStarted | PhaseStarted | BatchEnded | EpochEnded | PhaseEnded | RunEnded
Listener = Callable[[Event], None]
