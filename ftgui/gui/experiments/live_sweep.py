"""The Experiments tab while a sweep runs: the running trial ticked as soon as it is listed, its
curves read again as its epochs end (at most once a second), the table read again as trials end."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QTimer

from ftgui.core.events import EpochEnded, RunStarted, TrialEnded, TrialStarted
from ftgui.gui.shared.event_handlers import EventView, handles

CURVES_EVERY_MS = 1000  # the running trial's curves are read again at most this often


class SweepTable(Protocol):
    """What of the Experiments tab a running sweep updates."""

    def refresh(self) -> None: ...
    def tick_when_listed(self, folder: str) -> None: ...
    def reload_curves(self, folder: str) -> None: ...


class LiveSweep(EventView, QObject):
    """Subscribed to the run controller's events; only a sweep's trials send TrialStarted."""

    def __init__(self, table: SweepTable, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.folder: str | None = None  # the running trial's run folder
        self.timer = QTimer(self, singleShot=True, interval=CURVES_EVERY_MS)
        self.timer.timeout.connect(self._reload)

    @handles(TrialStarted)
    def _trial_started(self, event: TrialStarted) -> None:
        self.folder = str(Path(event.run_dir).resolve())
        self.table.tick_when_listed(self.folder)

    @handles(RunStarted)
    def _run_started(self, event: RunStarted) -> None:
        if self.folder is not None:  # the trial's folder holds its config.json now
            self.table.refresh()

    @handles(EpochEnded)
    def _epoch_ended(self, event: EpochEnded) -> None:
        if self.folder is not None and not event.replayed and not self.timer.isActive():
            self.timer.start()

    @handles(TrialEnded)
    def _trial_ended(self, event: TrialEnded) -> None:
        self.table.refresh()

    def _reload(self) -> None:
        if self.folder is not None:
            self.table.reload_curves(self.folder)
