"""A QThread worker that listens to a training child process and re-emits its events as signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from ftgui.core.child_process import Failed
from ftgui.core.run.training_process import Finished, Job, TrainingProcess
from ftgui.core.settings.config import RunConfig

POLL_SECONDS = 0.2


class TrainingWorker(QObject):
    """Lives on its own QThread and owns one TrainingProcess; talks to the window by signals.

    Every message from the child — `Ready` once TensorFlow has loaded, then the runner's events —
    goes out through the one `event_received` signal, as the core's frozen dataclasses
    (`Signal(object)`, never `Signal(dict)`); `errored` carries (one-sentence reason, details);
    `finished` is emitted last, always.
    """

    event_received = Signal(object)
    errored = Signal(object, object)
    finished = Signal(object)  # this worker

    def __init__(self) -> None:
        super().__init__()
        self._shutting_down = False
        self.process = TrainingProcess()

    def start_run(self, config: RunConfig, resume: bool = False) -> None:
        """Thread-safe: hand the configuration to the waiting child (`resume`: continue it)."""
        self.process.start_run(config, resume)

    def start_job(self, job: Job) -> None:
        """Thread-safe: hand `job` (a sweep) to the waiting child."""
        self.process.start_job(job)

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
                if isinstance(message, Failed):
                    self.errored.emit(message.reason, message.details)
                else:
                    self.event_received.emit(message)
        finally:
            self.process.exit_code()
            self.finished.emit(self)
