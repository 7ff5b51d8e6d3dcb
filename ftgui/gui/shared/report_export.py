"""File → Export report…: the shown run as one self-contained HTML file (`core.report`).

A save dialog proposes RUN/report.html; the analysis process writes it (Grad-CAM needs
TensorFlow) while the status line says what it is doing and a Cancel button beside it stops it;
a failure is one sentence; the written file's path comes in a message that can open it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QStatusBar, QWidget

from ftgui.core.report import REPORT_FILE
from ftgui.core.service.analysis_process import ReportRequest
from ftgui.core.views.results_data import RunContents
from ftgui.gui.analysis_client import failure_text
from ftgui.gui.shared.tasks import BackgroundTask

NO_RUN = "Open a run that has a model first (File → Open run folder…)."
SHOWN_MS = 15_000  # how long the status line keeps the result


class ShowsRun(Protocol):
    """What says which run the report is of: the Results tab's `contents`."""

    contents: RunContents | None


def html_path(path: str) -> str:
    """`path` ending in .html or .htm (a save dialog may return it bare)."""
    return path if Path(path).suffix.lower() in (".html", ".htm") else path + ".html"


class ReportExport(QObject):
    """Owns the menu action, the status bar's Cancel button and the report being written."""

    errored = Signal(object, object)
    written = Signal(object)  # the report's Path
    _said = Signal(str)  # what the report is doing, from the task's thread

    def __init__(
        self,
        client: object,
        bar: QStatusBar,
        shown: ShowsRun,
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self.client, self.bar, self.shown, self.window = client, bar, shown, window
        self.out: str | None = None  # the report being written
        self.message: QMessageBox | None = None  # the last "written" message
        self.action = QAction("Export &report…", window)
        self.action.setToolTip("The shown run as one HTML file that opens anywhere, offline")
        self.cancel_button = QPushButton("Cancel report")
        self.cancel_button.hide()
        bar.addPermanentWidget(self.cancel_button)
        self._task = BackgroundTask(self)
        self.action.triggered.connect(self.export_dialog)
        self.cancel_button.clicked.connect(self.cancel)
        self._said.connect(lambda text: self.bar.showMessage(f"Report: {text}"))
        self._task.succeeded.connect(self._written)
        self._task.failed.connect(self._failed)

    def is_writing(self) -> bool:
        return self._task.is_running()

    def export_dialog(self) -> None:
        """Ask where to write the shown run's report (RUN/report.html first), then write it."""
        contents = self.shown.contents
        if contents is None or not contents.models:
            self.errored.emit(NO_RUN, "")
            return
        start = str(Path(contents.run_dir) / REPORT_FILE)
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export report", start, "HTML (*.html *.htm)"
        )
        if path:
            self.write(contents.run_dir, html_path(path))

    def write(self, run_dir: str, out: str) -> None:
        """Write the report in the analysis process; `written` or `errored` answer."""
        if self.is_writing():
            self.errored.emit(f"A report is being written to {self.out}; cancel it first.", "")
            return
        self.out = out
        self.bar.showMessage("Report: loading TensorFlow and the model…")
        self.cancel_button.show()
        self.client.call_in(self._task, ReportRequest(run_dir, out), self._said.emit)

    def cancel(self) -> None:
        """Stop writing; nothing is written (the report is written whole or not at all)."""
        if self.is_writing():
            self.client.cancel_call(self._task)
        self._finish("Report cancelled; nothing written.")

    def _finish(self, text: str) -> None:
        self.cancel_button.hide()
        self.bar.showMessage(text, SHOWN_MS)
        self.out = None

    def _written(self, path: Path | None) -> None:
        if path is None:  # stopped in the process
            self._finish("Report cancelled; nothing written.")
            return
        self._finish(f"Report written: {path}")
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "ftgui",
            f"Wrote the report to {path}. It holds everything it shows and opens offline.",
            QMessageBox.StandardButton.Close,
            self.window,
        )
        opener = box.addButton("Open in browser", QMessageBox.ButtonRole.ActionRole)
        opener.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        self.message = box
        box.open()
        self.written.emit(Path(path))

    def _failed(self, error: BaseException) -> None:
        reason, details = failure_text(error)
        self._finish(f"Report failed: {reason}")
        self.errored.emit(reason, details)
