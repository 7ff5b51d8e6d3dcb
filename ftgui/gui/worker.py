"""A QThread worker that listens to a training child process and re-emits its events as signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from ftgui.core.settings.config import RunConfig
from ftgui.core.training.events import (
    BatchEnded,
    EpochEnded,
    PhaseEnded,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
)
from ftgui.core.training.training_process import Failed, Finished, Ready, TrainingProcess

POLL_SECONDS = 0.2


class TrainingWorker(QObject):
    """Lives on its own QThread and owns one TrainingProcess; talks to the window by signals.

    Payloads are the core's frozen event dataclasses (`Signal(object)`, never `Signal(dict)`).
    `device_found` fires when the child has loaded TensorFlow; `errored` carries (one-sentence
    reason, details); `finished` is emitted last, always.
    """

    device_found = Signal(str)
    status_changed = Signal(object)
    run_started = Signal(object)
    phase_started = Signal(object)
    batch_ended = Signal(object)
    epoch_ended = Signal(object)
    phase_ended = Signal(object)
    run_ended = Signal(object)
    errored = Signal(object, object)
    finished = Signal(object)  # this worker

    def __init__(self) -> None:
        super().__init__()
        self._shutting_down = False
        self.process = TrainingProcess()
        self._signals = {
            Status: self.status_changed,
            RunStarted: self.run_started,
            PhaseStarted: self.phase_started,
            BatchEnded: self.batch_ended,
            EpochEnded: self.epoch_ended,
            PhaseEnded: self.phase_ended,
            RunEnded: self.run_ended,
        }

    def start_run(self, config: RunConfig, resume: bool = False) -> None:
        """Thread-safe: hand the configuration to the waiting child (`resume`: continue it)."""
        self.process.start_run(config, resume)

    def request_stop(self) -> None:
        """Thread-safe: the child stops at the next batch end."""
        self.process.request_stop()

    def shut_down_idle(self) -> None:
        """Thread-safe: end a child that has not started a run, without reporting an error."""
        self._shutting_down = True
        self.process.quit()
        self.process.process.terminate()

    @Slot()
    def run(self) -> None:
        try:
            while True:
                try:
                    message = self.process.receive(POLL_SECONDS)
                except (EOFError, OSError):
                    code = self.process.exit_code()
                    if self._shutting_down:
                        return
                    self.errored.emit(
                        f"The training process ended unexpectedly (exit code {code}); if it "
                        f"ran out of memory, use a smaller batch size or image size.",
                        "",
                    )
                    return
                if message is None:
                    continue
                if isinstance(message, Finished):
                    return
                self._dispatch(message)
        finally:
            self.process.exit_code()
            self.finished.emit(self)

    def _dispatch(self, message: object) -> None:
        if isinstance(message, Ready):
            self.device_found.emit(message.device)
        elif isinstance(message, Failed):
            self.errored.emit(message.reason, message.details)
        else:
            self._signals[type(message)].emit(message)  # type: ignore[index]
