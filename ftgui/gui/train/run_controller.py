"""The run controller: starts, stops and keeps warm the training process; one event stream out."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from ftgui.core.run.training_process import Job
from ftgui.core.settings.config import RunConfig
from ftgui.core.sweep.serve import run_sweep
from ftgui.gui.shared.event_handlers import EventView, handlers_of
from ftgui.gui.train.worker import TrainingWorker


class RunController(QObject):
    """Owns the training process of the current run and, between runs, a warm one.

    Views subscribe to the event types they declare handlers for (`subscribe_view`), other
    listeners to the types they name (`subscribe`); each event goes, in subscription order, to
    the listeners of its exact type. A sweep (`start_sweep`) sends each trial's run events
    through the same stream; views about one whole run (its summary) subscribe with
    `sweeps=False` and hear nothing while a sweep runs. `running_changed` tells the editors to
    lock or unlock; `idle` fires when a run's process has gone.
    """

    event_received = Signal(object)  # Ready, then every core event of a run, in order
    errored = Signal(object, object)  # (one-sentence reason, details)
    running_changed = Signal(bool)
    stopping = Signal()
    idle = Signal()
    preload_failed = Signal()  # the warm process died before any run

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.standby: tuple[QThread, TrainingWorker] | None = None  # waiting for the next run
        self.keep_warm = False
        self.sweeping = False  # the running process runs a sweep
        self._listeners: dict[type, list[Callable[[Any], object]]] = {}
        self._run_only: set[Callable[[Any], object]] = set()  # not called during a sweep
        self.event_received.connect(self._deliver)

    def subscribe(self, handler: Callable[[Any], object], *types: type) -> None:
        """Call `handler(event)` for every event of one of `types`, on the GUI thread."""
        for event_type in types:
            self._listeners.setdefault(event_type, []).append(handler)

    def subscribe_view(self, view: EventView, sweeps: bool = True) -> None:
        """Deliver to `view` every event of a type it declares a handler for, and no other
        (with `sweeps=False`, not while a sweep runs)."""
        for event_type, handler in handlers_of(view).items():
            self.subscribe(handler, event_type)
            if not sweeps:
                self._run_only.add(handler)

    def listeners(self, event_type: type) -> list[Callable[[Any], object]]:
        """What an event of `event_type` is handed to, in order."""
        return list(self._listeners.get(event_type, ()))

    def _deliver(self, event: object) -> None:
        """Each listener in turn; one that raises is reported (as Qt reports a failing slot)
        and the others still get the event."""
        for handler in self._listeners.get(type(event), ()):
            if self.sweeping and handler in self._run_only:
                continue
            try:
                handler(event)
            except Exception:
                sys.excepthook(*sys.exc_info())

    def is_running(self) -> bool:
        return self.worker is not None

    def start(self, config: RunConfig, resume: bool = False) -> None:
        """Run `config` (or continue it with `resume`) in the warm process or a new one."""
        if self.worker is not None:
            return
        self._take_process(sweeping=False).start_run(config, resume)
        self.running_changed.emit(True)

    def start_sweep(self, folder: str) -> None:
        """Run (or continue) the sweep saved in `folder`, with the same stop and events."""
        if self.worker is not None:
            return
        job = Job(run_sweep, (folder,))
        self._take_process(sweeping=True).start_job(job)
        self.running_changed.emit(True)

    def _take_process(self, sweeping: bool) -> TrainingWorker:
        self.thread, self.worker = self.standby or self._spawn()
        self.standby = None
        self.sweeping = sweeping
        return self.worker

    def stop(self) -> None:
        """The run (or sweep) stops at the end of the current batch; finished epochs are kept."""
        if self.worker is not None:
            self.worker.request_stop()
            self.stopping.emit()

    def start_preloading(self) -> None:
        """Keep the next run's process started: TensorFlow loads while the person sets up."""
        self.keep_warm = True
        if self.standby is None and self.worker is None:
            self.standby = self._spawn()

    def shut_down(self) -> None:
        """End the warm process (never a running one: stop it first)."""
        self.keep_warm = False
        if self.standby is not None:
            thread, worker = self.standby
            self.standby = None
            worker.shut_down_idle()
            thread.quit()
            thread.wait()

    def _spawn(self) -> tuple[QThread, TrainingWorker]:
        """A training process with its listening thread; TensorFlow starts loading at once."""
        thread = QThread(self)
        worker = TrainingWorker()
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.event_received.connect(self.event_received)
        worker.errored.connect(self.errored)
        worker.finished.connect(self._worker_finished)
        thread.start()
        return thread, worker

    def _worker_finished(self, worker: TrainingWorker) -> None:
        thread = worker.thread()
        thread.quit()
        thread.wait()
        if self.standby is not None and worker is self.standby[1]:  # died before a run
            self.standby = None
            self.preload_failed.emit()
            return
        if worker is not self.worker:
            return
        self.worker, self.thread, self.sweeping = None, None, False
        if self.keep_warm:
            self.standby = self._spawn()
        self.running_changed.emit(False)
        self.idle.emit()
