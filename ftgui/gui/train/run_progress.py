"""The progress bar of a run: phase, epoch and batch counts with an estimate of the time left.

Its one line always says what holds now: a run's position, its end, why it failed, or the run
folder that was opened; never a status left over from an earlier step or run. During a sweep
the bar counts the sweep's epochs and the line names the trial ("Trial 2 of 6 · …") with the
sweep's ETA; a trial's pauses between shared phases are not its end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QProgressBar, QWidget

from ftgui.core.errors import UserError
from ftgui.core.events import (
    BatchEnded,
    EpochEnded,
    PhaseEnded,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
    TrialEnded,
    TrialStarted,
)
from ftgui.core.sweep.record import SweepRecord
from ftgui.core.training.run_summary import RunSummary
from ftgui.core.views.remaining_time import RemainingTime
from ftgui.core.views.sweep_estimate import SweepEta, epochs_to_train
from ftgui.gui.shared.event_handlers import EventView, handles
from ftgui.gui.train.setting_widgets import window_words

STOPPED_TEXT = "Stopped: every finished epoch is kept (File → Resume run… continues it)"
REFRESH_MS = 1000  # the ETA counts down between batches
TEXT_MARGIN = 6  # pixels kept free at each end of the bar's text
SWEEP_STEPS = 1000  # bar units per epoch of a sweep


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
        self.sweep: SweepEta | None = None  # while a sweep runs
        self.trial = ""  # "Trial 2 of 6" while one of its runs goes
        self._trial_number = 0
        self._fraction = 0.0  # of the current epoch, in a sweep
        self._batch_clock = 0.0
        self._phase = 0
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
        self.sweep, self.trial = None, ""
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
        """The training process has gone; a run that did not end or fail leaves the bar ready,
        a sweep its last line (how it ended)."""
        if self.active and self.sweep is not None:
            self._settle(self.format(), full=self.sweep.done >= self.sweep.total)
        elif self.active:
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
        self.setFormat(f"{self.trial} · {event.text}" if self.trial else event.text)

    @handles(TrialStarted)
    def _trial_started(self, event: TrialStarted) -> None:
        if self.sweep is None:  # the sweep's first: its plan, minus what a resume keeps
            folder = Path(event.run_dir).parent
            try:
                left = epochs_to_train(SweepRecord.load(folder), folder)
            except UserError:
                left = {}
            self.sweep = SweepEta(left)
            self._show_sweep()
        self._trial_number = event.trial
        self.trial = f"Trial {event.trial} of {event.trials}"
        self.setFormat(f"{self.trial} · starting…")

    @handles(TrialEnded)
    def _trial_ended(self, event: TrialEnded) -> None:
        if self.sweep is not None:
            self.sweep.trial_ended(event.trial)
            if event.trial == self._trial_number:
                self._fraction = 0.0
            self._show_sweep()

    def _show_sweep(self) -> None:
        if self.sweep is not None:  # a halted or failed trial's epochs are off the total
            done = min(self.sweep.done + self._fraction, self.sweep.total)
            self.setRange(0, max(self.sweep.total, 1) * SWEEP_STEPS)
            self.setValue(round(done * SWEEP_STEPS))

    @handles(RunStarted)
    def _run_started(self, event: RunStarted) -> None:
        self._plan = [(p.epochs, p.steps_per_epoch) for p in event.phases]
        self.remaining = RemainingTime(event.phases)
        if self.sweep is None:
            self.setRange(0, max(self.remaining.total(), 1))
            self.setValue(0)

    @handles(PhaseStarted)
    def _phase_started(self, event: PhaseStarted) -> None:
        self._set_done(self._batches_at(event.phase, 0))
        self.remaining.pause()

    @handles(EpochEnded)
    def _epoch_ended(self, event: EpochEnded) -> None:
        if self.sweep is not None and not event.replayed:
            self.sweep.epoch_ended(self._trial_number, event.phase, event.seconds)
            self._fraction = 0.0
            self._show_sweep()
        if event.replayed:  # finished before a resume: done, and its time is its phase's speed
            self._set_done(self._batches_at(event.phase, event.epoch + 1))
            self.remaining.replayed(event.phase, event.seconds)

    @handles(PhaseEnded)
    def _phase_ended(self, event: PhaseEnded) -> None:
        if event.stopped and self.sweep is None:  # a sweep pauses trials: it says its end
            self._stop_refreshing()
            self.setFormat(
                f"Stopped in phase {event.phase + 1} after {event.epochs_done} finished epochs"
            )

    def _set_done(self, batches: int) -> None:
        self._done = batches
        if self.sweep is None:
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
        if self.sweep is not None:
            self._fraction = event.batch / max(event.steps_per_epoch, 1)
            self._batch_clock = self.clock()
            self._phase = event.phase
            self._position = f"{self.trial} · {self._position.replace('Phase', 'phase')}"
            self._show_sweep()
        self._show_position()
        if not self._refresh.isActive():
            self._refresh.start()

    def _show_position(self) -> None:
        what = "sweep ETA" if self.sweep is not None else "ETA"
        self.setFormat(f"{self._position} · {what} {self.eta()}")

    def _stop_refreshing(self) -> None:
        self._refresh.stop()

    def eta_seconds(self) -> float | None:
        """Seconds left at each phase's measured speed; None before anything was measured."""
        return self._left()[0]

    def _left(self) -> tuple[float | None, bool]:
        if self.sweep is None:
            return self.remaining.left(self._done, self.clock())
        seconds, guessed = self.sweep.seconds_left()
        if seconds is not None:  # the current epoch's part done, counting down between batches
            speed = self.sweep.speed(self._phase)
            gone = self._fraction * speed + self.clock() - self._batch_clock
            seconds = max(seconds - min(gone, speed), 0.0)
        return seconds, guessed

    def eta(self) -> str:
        """The time left as "m:ss", "≈m:ss" while a phase's speed is guessed, "…" unknown."""
        seconds, guessed = self._left()
        if seconds is None:
            return "…"
        return ("≈" if guessed else "") + clock_text(round(seconds))

    @handles(RunEnded)
    def _run_ended(self, event: RunEnded) -> None:
        self._stop_refreshing()
        if self.sweep is not None:  # a trial's end or pause: the sweep goes on
            self.trial = ""
            return
        self.active = False
        if self.maximum() == 0:  # ended before its first phase was laid out
            self.setRange(0, 1)
        text = STOPPED_TEXT if event.stopped else "Finished"
        if not event.stopped:
            self.setValue(self.maximum())
        if event.test_metrics:
            text += f" · test accuracy {event.test_metrics['accuracy']:.3f}"
        self.setFormat(text)
