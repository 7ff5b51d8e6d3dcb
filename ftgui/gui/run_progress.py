"""The progress bar of a run: phase, epoch and batch counts with an estimate of the time left."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QProgressBar, QWidget

from ftgui.core.training.events import (
    BatchEnded,
    EpochEnded,
    PhaseEnded,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
)

PROGRESS_EVENTS = (Status, RunStarted, PhaseStarted, BatchEnded, EpochEnded, PhaseEnded, RunEnded)
STOPPED_TEXT = "Stopped: every finished epoch is kept (File → Resume run… continues it)"


def clock_text(seconds: int) -> str:
    """ "m:ss" or "h:mm:ss"."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class RunProgress(QProgressBar):
    """Counts the run's batches across phases; `handle` takes the run's events in order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextVisible(True)
        self.setRange(0, 1)
        self.setValue(0)  # a bar with no value shows no text
        self.setFormat("Ready")
        self._plan: list[tuple[int, int]] = []  # (epochs, steps) per phase
        self._eta_origin = (0.0, 0)  # (clock, batches done) that the ETA counts from
        self._done = 0

    def begin(self) -> None:
        """A run was handed to the training process: busy until its first phase starts."""
        self._plan, self._done = [], 0
        self.setRange(0, 0)

    def show_stopping(self) -> None:
        self.setFormat("Stopping at the end of this batch…")

    def end(self) -> None:
        """The training process has gone; a run that never started leaves the bar ready."""
        if self.maximum() == 0:
            self.setRange(0, 1)
            self.setFormat("Ready")

    def handle(self, event: object) -> None:
        if isinstance(event, Status):
            self.setFormat(event.text)
        elif isinstance(event, RunStarted):
            self._plan = [(p.epochs, p.steps_per_epoch) for p in event.phases]
            self._eta_origin = (time.perf_counter(), 0)
            self.setRange(0, max(sum(e * s for e, s in self._plan), 1))
            self.setValue(0)
        elif isinstance(event, PhaseStarted):
            self._set_done(self._batches_at(event.phase, 0))
        elif isinstance(event, BatchEnded):
            self._batch_ended(event)
        elif isinstance(event, EpochEnded) and event.replayed:
            # finished before a resume: count it as done, not as speed
            self._set_done(self._batches_at(event.phase, event.epoch + 1))
            self._eta_origin = (time.perf_counter(), self._done)
        elif isinstance(event, PhaseEnded) and event.stopped:
            self.setFormat(
                f"Stopped in phase {event.phase + 1} after {event.epochs_done} finished epochs"
            )
        elif isinstance(event, RunEnded):
            self._run_ended(event)

    def _set_done(self, batches: int) -> None:
        self._done = batches
        self.setValue(batches)

    def _batches_at(self, phase: int, epochs: int, batches: int = 0) -> int:
        """Batches of the whole run done once `phase` has finished `epochs` and `batches`."""
        steps = self._plan[phase][1] if phase < len(self._plan) else 0
        return sum(e * s for e, s in self._plan[:phase]) + epochs * steps + batches

    def _batch_ended(self, event: BatchEnded) -> None:
        self._set_done(self._batches_at(event.phase, event.epoch, event.batch))
        epochs = self._plan[event.phase][0] if event.phase < len(self._plan) else 0
        self.setFormat(
            f"Phase {event.phase + 1}/{len(self._plan)} · epoch {event.epoch + 1}/{epochs}"
            f" · batch {event.batch}/{event.steps_per_epoch} · ETA {self.eta()}"
        )

    def eta(self) -> str:
        """Time left at the speed measured since the run (or its resume) started."""
        clock, batches_before = self._eta_origin
        elapsed, done = time.perf_counter() - clock, self._done - batches_before
        if done <= 0 or elapsed <= 0:
            return "…"
        return clock_text(int(elapsed / done * (self.maximum() - self._done)))

    def _run_ended(self, event: RunEnded) -> None:
        text = STOPPED_TEXT if event.stopped else "Finished"
        if not event.stopped:
            self.setValue(self.maximum())
        if event.test_metrics:
            text += f" · test accuracy {event.test_metrics['accuracy']:.3f}"
        self.setFormat(text)
