"""What can be done with the run selected in the table: Open, Use these settings, Resume, Show
folder. The first three are signals the main window answers as its File menu does; Resume on a
stopped sweep's line continues the sweep (`sweep_resume_requested`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from ftgui.core.errors import UserError
from ftgui.core.sweep.record import PENDING, SweepRecord
from ftgui.core.training.run_folder import CONFIG_FILE
from ftgui.core.views.run_table import RunRow, SweepGroup


def sweep_left(folder: str) -> int:
    """Trials of the sweep in `folder` still to run (0 when it cannot be read)."""
    try:
        return sum(t.state == PENDING for t in SweepRecord.load(Path(folder)).trials)
    except (UserError, OSError):
        return 0


class RunButtons(QWidget):
    """Buttons for one selected run (or sweep: Resume and Show folder); `set_row` chooses it."""

    open_requested = Signal(str)  # run folder: show it in the Results tab
    settings_requested = Signal(str)  # its config.json: load it into the Train tab
    resume_requested = Signal(str)  # run folder: continue it
    sweep_resume_requested = Signal(str)  # sweep folder: run its trials left

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row: RunRow | SweepGroup | None = None
        self.running = False
        self.open_button = QPushButton("&Open")
        self.open_button.setToolTip("Show this run in the Results tab (its curves in Train)")
        self.settings_button = QPushButton("&Use these settings")
        self.settings_button.setToolTip("Copy this run's settings into the Train tab")
        self.resume_button = QPushButton("Resu&me")
        self.folder_button = QPushButton("Show fo&lder")
        self.folder_button.setToolTip("Open the run's folder in the file manager")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for button in (
            self.open_button,
            self.settings_button,
            self.resume_button,
            self.folder_button,
        ):
            layout.addWidget(button)
        layout.addStretch(1)
        self.open_button.clicked.connect(lambda: self.open_requested.emit(self._folder()))
        self.settings_button.clicked.connect(
            lambda: self.settings_requested.emit(str(Path(self._folder()) / CONFIG_FILE))
        )
        self.resume_button.clicked.connect(self._resume)
        self.folder_button.clicked.connect(self.show_folder)
        self.set_row(None)

    def _folder(self) -> str:
        return self.row.folder if self.row is not None else ""

    def _resume(self) -> None:
        if isinstance(self.row, SweepGroup):
            self.sweep_resume_requested.emit(self.row.folder)
        else:
            self.resume_requested.emit(self._folder())

    def set_row(self, row: RunRow | SweepGroup | None) -> None:
        self.row = row
        self._update()

    def set_running(self, running: bool) -> None:
        """While a run goes, nothing may replace the Train tab's settings or start another."""
        self.running = running
        self._update()

    def _update(self) -> None:
        run = self.row if isinstance(self.row, RunRow) else None
        has_config = run is not None and (Path(run.folder) / CONFIG_FILE).is_file()
        self.open_button.setEnabled(has_config and not self.running)
        self.settings_button.setEnabled(has_config and not self.running)
        self.resume_button.setEnabled(run is not None and run.resumable and not self.running)
        self.resume_button.setToolTip(
            "Continue this stopped run from its last finished epoch"
            if run is not None and run.resumable
            else "Only a stopped run with a checkpoint can be resumed"
            + (f"; this one is {run.status}" if run is not None else "")
        )
        self.folder_button.setEnabled(self.row is not None and Path(self._folder()).is_dir())
        if isinstance(self.row, SweepGroup):
            left = sweep_left(self.row.folder)
            self.resume_button.setEnabled(bool(left) and not self.running)
            self.resume_button.setToolTip(
                f"Continue this sweep: {left} of its {len(self.row.trials)} trials to run"
                if left
                else "Every trial of this sweep has ended"
            )

    def show_folder(self) -> None:
        if self.row is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.row.folder))
