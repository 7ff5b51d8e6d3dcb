"""Write each finished epoch's record off the training thread, one record at a time.

An epoch's record (its history row, then its checkpoint) takes ~0.1 s to write at VGG16's
block5 size; written while the next epoch computes, it costs training almost nothing. The epoch
is announced (its event, its TensorBoard values) only once the record is on disk, so whatever
the window or terminal shows as finished survives a kill.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class RecordWriter:
    """Runs one write at a time in a background thread; announces each on the caller's thread."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._announce: Callable[[], None] | None = None

    def submit(self, write: Callable[[], None], announce: Callable[[], None]) -> None:
        """Wait for the previous record, then start `write`; `announce` follows it."""
        self.wait()
        self._announce = announce
        self._thread = threading.Thread(
            target=self._write, args=(write,), name="ftgui-epoch-record", daemon=True
        )
        self._thread.start()

    def _write(self, write: Callable[[], None]) -> None:
        try:
            write()
        except BaseException as exc:  # re-raised on the training thread by `wait`
            self._error = exc

    def poll(self) -> None:
        """Announce the record being written if it has reached the disk (never blocks)."""
        if self._thread is not None and not self._thread.is_alive():
            self.wait()

    def wait(self) -> None:
        """Wait for the record being written, then announce it; its write error is raised."""
        if self._thread is None:
            return
        self._thread.join()
        self._thread = None
        error, self._error = self._error, None
        announce, self._announce = self._announce, None
        if error is not None:
            raise error
        if announce is not None:
            announce()
