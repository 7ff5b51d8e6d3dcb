"""The progress bar of a run: phase, epoch and batch counts with an estimate of the time left.

Its one line always says what holds now: a run's position, its end, why it failed, or the run
folder that was opened; never a status left over from an earlier step or run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QProgressBar, QWidget

from ftgui.core.events import (
    BatchEnded,
    EpochEnded,
    PhaseEnded,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
)
from ftgui.core.training.run_summary import RunSummary
from ftgui.core.views.remaining_time import RemainingTime
from ftgui.gui.shared.event_handlers import EventView, handles
from ftgui.gui.train.setting_widgets import window_words

STOPPED_TEXT = "Stopped: every finished epoch is kept (File → Resume run… continues it)"
REFRESH_MS = 1000  # the ETA counts down between batches
TEXT_MARGIN = 6  # pixels kept free at each end of the bar's text


def clock_text(seconds: int) -> str:
    """ "m:ss" or "h:mm:ss"."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class RunProgress(EventView, QProgressBar):
    """Counts the run's batches across phases; `handle` takes the run's events in order
    (one `@handles` method per event type).

    The text is one line elided to the bar's width (`format()` and the tooltip hold it whole).
    `clock` (seconds, monotonic) is injectable so tests can script a run's timing.
    """

    def __init__(
        self, parent: QWidget | None = None, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.setTextVisible(True)
        self.setRange(0, 1)
        self.setValue(0)  # a bar with no value shows no text
        self.setFormat("Ready")
        self.active = False  # a run was handed over and has not ended or failed yet
        self._plan: list[tuple[int, int]] = []  # (epochs, steps) per phase
        self.remaining = RemainingTime([])
        self._position = ""  # "Phase 1/2 · epoch 1/3 · batch 4/10", shown with the ETA
        self._done = 0
        self._refresh = QTimer(self)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self._show_position)

    def setFormat(self, text: str) -> None:
        """Show `text` (never a %-template here), whole in the tooltip."""
        super().setFormat(text)
        self.setToolTip(text)
        self.update()

    def text(self) -> str:
        """What the bar draws: its text elided to the width it has (also while busy)."""
        return self.fontMetrics().elidedText(
            self.format(), Qt.TextElideMode.ElideRight, self.text_width()
        )

    def text_width(self) -> int:
        return max(self.contentsRect().width() - 2 * TEXT_MARGIN, 0)

    def begin(self) -> None:
        """A run was handed to the training process: busy until its first phase starts."""
        self._stop_refreshing()
        self._plan, self._done, self._position = [], 0, ""
        self.active = True
        self.setRange(0, 0)
        self.setFormat("Starting the run…")

    def show_stopping(self) -> None:
        self._stop_refreshing()
        self.setFormat("Stopping at the end of this batch…")

    def show_failed(self, reason: str, details: object = "") -> None:
        """The run ended with an error: its sentence replaces whatever the run was doing."""
        if self.active:
            self._settle(f"Failed: {window_words(reason)}")

    def show_opened(self, summary: RunSummary) -> None:
        """A run folder was opened: its outcome replaces anything left from an earlier run."""
        finished = not summary.stopped and not summary.lacks_a_model()
        self._settle(f"Opened run: {summary.outcome()}", full=finished)

    def end(self) -> None:
        """The training process has gone; a run that did not end or fail leaves the bar ready."""
        if self.active:
            self._settle("Ready")

    def _settle(self, text: str, full: bool = False) -> None:
        """No run in progress: a still bar (full or empty) with `text`."""
        self._stop_refreshing()
        self.active = False
        self.setRange(0, 1)
        self.setValue(1 if full else 0)
        self.setFormat(text)

    @handles(Status)
    def _status(self, event: Status) -> None:
        self._stop_refreshing()
        self.setFormat(event.text)

    @handles(RunStarted)
    def _run_started(self, event: RunStarted) -> None:
        self._plan = [(p.epochs, p.steps_per_epoch) for p in event.phases]
        self.remaining = RemainingTime(event.phases)
        self.setRange(0, max(self.remaining.total(), 1))
        self.setValue(0)

    @handles(PhaseStarted)
    def _phase_started(self, event: PhaseStarted) -> None:
        self._set_done(self._batches_at(event.phase, 0))
        self.remaining.pause()

    @handles(EpochEnded)
    def _epoch_ended(self, event: EpochEnded) -> None:
        if event.replayed:  # finished before a resume: done, and its time is its phase's speed
            self._set_done(self._batches_at(event.phase, event.epoch + 1))
            self.remaining.replayed(event.phase, event.seconds)

    @handles(PhaseEnded)
    def _phase_ended(self, event: PhaseEnded) -> None:
        if event.stopped:
            self._stop_refreshing()
            self.setFormat(
                f"Stopped in phase {event.phase + 1} after {event.epochs_done} finished epochs"
            )

    def _set_done(self, batches: int) -> None:
        self._done = batches
        self.setValue(batches)

    def _batches_at(self, phase: int, epochs: int, batches: int = 0) -> int:
        """Batches of the whole run done once `phase` has finished `epochs` and `batches`."""
        steps = self._plan[phase][1] if phase < len(self._plan) else 0
        return sum(e * s for e, s in self._plan[:phase]) + epochs * steps + batches

    @handles(BatchEnded)
    def _batch_ended(self, event: BatchEnded) -> None:
        self._set_done(self._batches_at(event.phase, event.epoch, event.batch))
        self.remaining.batch_ended(event.phase, self._done, self.clock())
        epochs = self._plan[event.phase][0] if event.phase < len(self._plan) else 0
        self._position = (
            f"Phase {event.phase + 1}/{len(self._plan)} · epoch {event.epoch + 1}/{epochs}"
            f" · batch {event.batch}/{event.steps_per_epoch}"
        )
        self._show_position()
        if not self._refresh.isActive():
            self._refresh.start()

    def _show_position(self) -> None:
        self.setFormat(f"{self._position} · ETA {self.eta()}")

    def _stop_refreshing(self) -> None:
        self._refresh.stop()

    def eta_seconds(self) -> float | None:
        """Seconds left at each phase's measured speed; None before anything was measured."""
        return self.remaining.left(self._done, self.clock())[0]

    def eta(self) -> str:
        """The time left as "m:ss", "≈m:ss" while a phase's speed is guessed, "…" unknown."""
        seconds, guessed = self.remaining.left(self._done, self.clock())
        if seconds is None:
            return "…"
        return ("≈" if guessed else "") + clock_text(round(seconds))

    @handles(RunEnded)
    def _run_ended(self, event: RunEnded) -> None:
        self._stop_refreshing()
        self.active = False
        if self.maximum() == 0:  # ended before its first phase was laid out
            self.setRange(0, 1)
        text = STOPPED_TEXT if event.stopped else "Finished"
        if not event.stopped:
            self.setValue(self.maximum())
        if event.test_metrics:
            text += f" · test accuracy {event.test_metrics['accuracy']:.3f}"
        self.setFormat(text)
