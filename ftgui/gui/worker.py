"""Run the core's phase runner on a QThread and re-emit its plain events as Qt signals."""

from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QObject, Signal, Slot

from ftgui.core.config import RunConfig
from ftgui.core.errors import UserError
from ftgui.core.events import (
    BatchEnded,
    EpochEnded,
    Event,
    PhaseEnded,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
)


class TrainingWorker(QObject):
    """Lives on its own QThread; only talks to the window through these signals.

    Payloads are the core's frozen event dataclasses (`Signal(object)`, never `Signal(dict)`).
    `errored` carries (one-sentence reason, details); `finished` is emitted last, always.
    """

    status_changed = Signal(object)
    run_started = Signal(object)
    phase_started = Signal(object)
    batch_ended = Signal(object)
    epoch_ended = Signal(object)
    phase_ended = Signal(object)
    run_ended = Signal(object)
    errored = Signal(object, object)
    finished = Signal()

    def __init__(self, config: RunConfig) -> None:
        super().__init__()
        self.config = config
        self.stop_requested = threading.Event()
        self._signals = {
            Status: self.status_changed,
            RunStarted: self.run_started,
            PhaseStarted: self.phase_started,
            BatchEnded: self.batch_ended,
            EpochEnded: self.epoch_ended,
            PhaseEnded: self.phase_ended,
            RunEnded: self.run_ended,
        }

    def request_stop(self) -> None:
        """Thread-safe: the runner stops at the next batch end."""
        self.stop_requested.set()

    def _forward(self, event: Event) -> None:
        self._signals[type(event)].emit(event)

    @Slot()
    def run(self) -> None:
        from ftgui.core.runner import run

        try:
            run(self.config, self._forward, self.stop_requested)
        except UserError as exc:
            self.errored.emit(str(exc), "")
        except Exception as exc:  # anything else still reaches the window as a dialog
            reason = f"Training failed: {type(exc).__name__}: {exc}".splitlines()[0]
            self.errored.emit(reason, traceback.format_exc())
        finally:
            self.finished.emit()


class Preloader(QObject):
    """Imports TensorFlow in the background at start-up and reports the device it sees."""

    loaded = Signal(str)
    failed = Signal(str)
    finished = Signal()

    @Slot()
    def run(self) -> None:
        try:
            from ftgui.core.device import setup_devices

            self.loaded.emit(setup_devices())
        except Exception as exc:
            self.failed.emit(f"TensorFlow could not be loaded ({type(exc).__name__}: {exc}).")
        finally:
            self.finished.emit()
