"""What a run left behind, in a few lines: each phase's best epoch, the test metrics, the folder.

Computed once from the epochs a listener saw (live or replayed from history.csv); the CLI prints
it and the window shows it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ftgui.core.events import EpochEnded, Event, PhaseStarted, RunEnded, RunStarted
from ftgui.core.training.run_folder import MODEL_FILE, TEST_METRICS_FILE


@dataclass(frozen=True)
class PhaseBest:
    """A phase's best epoch: the first with the lowest validation loss, as its saved best model."""

    phase: int  # 0-based
    name: str
    epochs_done: int
    epoch: int | None = None  # 0-based; None when no epoch had a finite validation loss
    val_loss: float | None = None
    val_accuracy: float | None = None
    epochs_planned: int | None = None  # None when the plan is not known

    def stopped_early(self) -> bool:
        """Fewer epochs finished than the phase planned (stopped, killed or crashed)."""
        return self.epochs_planned is not None and self.epochs_done < self.epochs_planned

    def stop_note(self) -> str:
        """ "stopped after 3 of 20" for a phase cut short, else ""."""
        return (
            f"stopped after {self.epochs_done} of {self.epochs_planned}"
            if self.stopped_early()
            else ""
        )

    def line(self) -> str:
        head = f"Phase {self.phase + 1} '{self.name}'"
        note = f", {self.stop_note()} epochs" if self.stopped_early() else ""
        if self.epoch is None or self.val_loss is None:
            return f"{head}: no validation loss in {self.epochs_done} epochs{note}"
        accuracy = "" if self.val_accuracy is None else f"val_acc {self.val_accuracy:.4f}, "
        best = f"{self.epoch + 1}" if note else f"{self.epoch + 1}/{self.epochs_done}"
        return f"{head}: best epoch {best}{note} ({accuracy}val_loss {self.val_loss:.4f})"


@dataclass(frozen=True)
class RunSummary:
    run_dir: str
    phases: list[PhaseBest] = field(default_factory=list)
    test_metrics: dict[str, float] | None = None
    model_path: str | None = None
    stopped: bool = False

    def outcome(self) -> str:
        """One sentence on how the run ended, saying why when no model was saved."""
        if self.lacks_a_model():
            why = "stopped before its first epoch finished" if self.stopped else "no epoch ran"
            return f"No model saved: {why}."
        return "Stopped; every finished epoch is kept." if self.stopped else "Finished."

    def test_line(self) -> str | None:
        if not self.test_metrics:
            return None
        return "Test: " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(self.test_metrics.items()))

    def lacks_a_model(self) -> bool:
        """No epoch finished, so the run saved no model (`outcome` says why)."""
        return self.model_path is None and not self.phases

    def details(self) -> list[str]:
        """Each phase's best epoch, then the test metrics when there are any."""
        test = self.test_line()
        return [*(phase.line() for phase in self.phases), *([test] if test else [])]

    def lines(self) -> list[str]:
        return [self.outcome(), *self.details()]


class SummaryCollector:
    """A listener that keeps what a summary needs; `summary` is set when the run ends."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.planned: dict[int, int] = {}
        self.epochs: list[EpochEnded] = []
        self.summary: RunSummary | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.names = {index: p.name for index, p in enumerate(event.phases)}
            self.planned = {index: p.epochs for index, p in enumerate(event.phases)}
            self.epochs, self.summary = [], None
        elif isinstance(event, PhaseStarted):
            self.names[event.phase] = event.name
            self.planned[event.phase] = event.epochs
        elif isinstance(event, EpochEnded):
            self.epochs.append(event)
        elif isinstance(event, RunEnded):
            self.summary = summarize(event, self.epochs, self.names, self.planned)


def summarize(
    ended: RunEnded,
    epochs: Iterable[EpochEnded],
    names: dict[int, str],
    planned: dict[int, int] | None = None,
) -> RunSummary:
    """The summary of a run from its epochs (live or replayed) and its final event; `planned`
    (epochs per phase) lets a phase cut short say so."""
    by_phase: dict[int, list[EpochEnded]] = {}
    for event in epochs:
        by_phase.setdefault(event.phase, []).append(event)
    phases = [
        phase_best(
            index,
            names.get(index, f"phase {index + 1}"),
            by_phase[index],
            (planned or {}).get(index),
        )
        for index in sorted(by_phase)
    ]
    return RunSummary(ended.run_dir, phases, ended.test_metrics, ended.model_path, ended.stopped)


def phase_best(
    phase: int, name: str, epochs: list[EpochEnded], planned: int | None = None
) -> PhaseBest:
    """The first epoch with the lowest finite validation loss (the rule of the best model)."""
    lowest, chosen = math.inf, None
    for event in sorted(epochs, key=lambda e: e.epoch):
        val_loss = event.logs.get("val_loss")
        if val_loss is not None and math.isfinite(val_loss) and val_loss < lowest:
            lowest, chosen = val_loss, event  # as checkpoint.Best.improves
    if chosen is None:
        return PhaseBest(phase, name, len(epochs), epochs_planned=planned)
    return PhaseBest(
        phase,
        name,
        len(epochs),
        chosen.epoch,
        chosen.logs["val_loss"],
        chosen.logs.get("val_accuracy"),
        planned,
    )


def folder_summary(folder: str, events: list[Event], planned: list[int]) -> RunSummary:
    """The summary of a run read back from its folder: a run with fewer epochs than `planned`
    (stopped, killed or still going) counts as stopped; test metrics when the file is there."""
    epochs = [e for e in events if isinstance(e, EpochEnded)]
    names = {e.phase: e.name for e in events if isinstance(e, PhaseStarted)}
    done = [sum(1 for e in epochs if e.phase == phase) for phase in range(len(planned))]
    model = Path(folder) / MODEL_FILE
    ended = RunEnded(
        folder,
        done != planned,
        read_test_metrics(folder),
        str(model) if model.exists() else None,
    )
    return summarize(ended, epochs, names, dict(enumerate(planned)))


def read_test_metrics(folder: str) -> dict[str, float] | None:
    """test_metrics.json as numbers; None when the run has none (or it cannot be read)."""
    try:
        found = json.loads((Path(folder) / TEST_METRICS_FILE).read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in found.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return None
