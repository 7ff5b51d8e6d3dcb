"""The status bar: what the run is doing, its folder, and the device TensorFlow trains on."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from ftgui.core.training.events import RunEnded, RunStarted, Status
from ftgui.core.training.training_process import Ready

STATUS_EVENTS = (Ready, Status, RunStarted, RunEnded)


class RunStatusBar(QStatusBar):
    """Status messages on the left; the run folder and the device as permanent labels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder_label = QLabel("")
        self.device_label = QLabel("Loading TensorFlow…")
        self.addPermanentWidget(self.folder_label)
        self.addPermanentWidget(self.device_label)

    def handle(self, event: object) -> None:
        if isinstance(event, Ready):
            self.device_label.setText(event.device)
        elif isinstance(event, Status):
            self.showMessage(event.text)
        elif isinstance(event, RunStarted):
            self.device_label.setText(event.device)
            self.folder_label.setText(f"Run folder: {event.run_dir}")
        elif isinstance(event, RunEnded):
            state = "Stopped" if event.stopped else "Finished"
            self.showMessage(f"{state}. Run folder: {event.run_dir}")

    def show_loading_failed(self) -> None:
        self.device_label.setText("TensorFlow could not be loaded")

    def show_opened_run(self, folder: str) -> None:
        self.folder_label.setText(f"Showing run: {folder}")
