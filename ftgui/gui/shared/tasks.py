"""Slow work off the GUI thread, cancellable, with results delivered back on it.

Orange3's concurrent-task pattern: the task is a plain function that only talks to a small
`TaskState` (progress, "was I cancelled?"); its result or exception comes back to the GUI thread
as a signal; a task that was cancelled or replaced by a newer one has its late result dropped.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ftgui-task")


class Cancelled(Exception):
    """Raised inside a task by `TaskState.check` once the task has been cancelled."""


class TaskState:
    """What a running task may touch: report progress, ask whether it should stop."""

    def __init__(self, report: Callable[[TaskState, int, int], None]) -> None:
        self._report = report
        self._cancelled = threading.Event()
        self._last_permille = -1

    def cancel(self) -> None:
        self._cancelled.set()

    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        """Raise `Cancelled` when the task should stop: call it between units of work."""
        if self._cancelled.is_set():
            raise Cancelled

    def set_progress(self, done: int, total: int) -> None:
        """Report `done` of `total` (at most a thousand reports per task); raises when cancelled."""
        self.check()
        permille = 1000 * done // max(total, 1)
        if permille != self._last_permille:
            self._last_permille = permille
            self._report(self, done, total)


class BackgroundTask(QObject):
    """Runs one function at a time on a worker thread; starting again cancels the previous run.

    `succeeded(result)`, `failed(exception)` and `progressed(done, total)` arrive on the GUI
    thread and only for the current, uncancelled run.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int)
    _finished = Signal(object, object)  # (state, future), from the worker thread
    _progress = Signal(object, int, int)  # (state, done, total), from the worker thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state: TaskState | None = None
        queued = Qt.ConnectionType.QueuedConnection  # always later, on the GUI thread
        self._finished.connect(self._deliver, queued)
        self._progress.connect(self._forward_progress, queued)

    def start(self, function: Callable[[TaskState], Any]) -> None:
        """Run `function(state)` off the GUI thread, cancelling a run still going."""
        self.cancel()
        state = TaskState(lambda *report: _emit_if_alive(self._progress, *report))
        self._state = state
        future = _POOL.submit(function, state)
        future.add_done_callback(lambda done: _emit_if_alive(self._finished, state, done))

    def cancel(self) -> None:
        """Ask the current run to stop; whatever it returns from now on is dropped."""
        if self._state is not None:
            self._state.cancel()
            self._state = None

    def is_running(self) -> bool:
        return self._state is not None

    def _forward_progress(self, state: TaskState, done: int, total: int) -> None:
        if state is self._state:
            self.progressed.emit(done, total)

    def _deliver(self, state: TaskState, future: Future) -> None:
        if state is not self._state:
            return  # cancelled or replaced: a late result is dropped
        self._state = None
        error = future.exception()
        if error is None:
            self.succeeded.emit(future.result())
        elif not isinstance(error, Cancelled):
            self.failed.emit(error)


def _emit_if_alive(signal: Any, *args: object) -> None:
    """Emit from a worker thread; a task whose owner was deleted meanwhile reports nothing."""
    with contextlib.suppress(RuntimeError):  # "Internal C++ object already deleted"
        signal.emit(*args)
