"""The Results tab's calibration pane: the chosen model's reliability diagram and ECE figures.

They are read from `evaluation/<model>-calibration.json` off the GUI thread (no TensorFlow);
a model without one says how to make it, and Calibrate fits it in the analysis process.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ftgui.core.analysis.calibration import Calibration, read_calibration
from ftgui.core.errors import UserError
from ftgui.core.service.analysis_process import CalibrateRequest
from ftgui.gui.analysis_client import failure_text
from ftgui.gui.results.reliability import ReliabilityPlot, ece_text, missing_text
from ftgui.gui.shared.tasks import BackgroundTask

Shown = tuple[str, str]  # (run folder, model)


class CalibrationPanel(QWidget):
    """`show_model(run_dir, model)` shows that model's calibration, or how to make one."""

    errored = Signal(object, object)
    _said = Signal(str)  # a calibration's progress, from the task's thread

    def __init__(self, client: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.shown: Shown | None = None
        self.calibration: Calibration | None = None
        self._damaged = False
        self._fitting: Shown | None = None  # what the calibration going on is for
        self.plot = ReliabilityPlot()
        self.figures = QLabel("")
        self.figures.setWordWrap(True)
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        self.figures.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.calibrate_button = QPushButton("Calibrate")
        self.calibrate_button.setToolTip(
            "Fit a temperature on the validation split (scoring it first when needed) and "
            "write evaluation/<model>-calibration.json"
        )
        self._read, self._fit = BackgroundTask(self), BackgroundTask(self)
        row = QHBoxLayout()
        row.addWidget(self.figures, 1)
        row.addWidget(self.calibrate_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addLayout(row)
        self.calibrate_button.clicked.connect(self.calibrate_or_cancel)
        self._read.succeeded.connect(self._show)
        self._read.failed.connect(self._read_failed)
        self._fit.succeeded.connect(self._fitted)
        self._fit.failed.connect(self._fit_failed)
        self._said.connect(self.figures.setText)
        self.show_model(None, None)

    def show_model(self, run_dir: str | None, model: str | None) -> None:
        """Read and show `model`'s calibration (None: nothing chosen)."""
        self._read.cancel()
        self.shown = (run_dir, model) if run_dir and model else None
        self._show(None)
        if self.shown is None:
            self.figures.setText("")
            self._set_idle()
            return
        self.figures.setText(f"Reading {model}'s calibration…")
        self._read.start(lambda state: read_calibration(run_dir, model))

    def _show(self, calibration: Calibration | None) -> None:
        self.calibration, self._damaged = calibration, False
        self.plot.set_calibration(calibration)
        if self.shown is not None and not self._fit.is_running():
            run_dir, model = self.shown
            text = ece_text(calibration) if calibration else missing_text(run_dir, model)
            self.figures.setText(text)
        self._set_idle()

    def _read_failed(self, error: BaseException) -> None:
        self._show(None)
        self._damaged = True
        self.figures.setText(str(error) if isinstance(error, UserError) else failure_text(error)[0])
        self._set_idle()

    # -- fitting in the analysis process --------------------------------------------------
    def calibrate_or_cancel(self) -> None:
        if self._fit.is_running():
            self.client.cancel_call(self._fit)
            self._fitting = None
            if self.shown is not None:
                self.show_model(*self.shown)
            self._set_idle()
            return
        if self.shown is None:
            return
        run_dir, model = self.shown
        again = self.calibration is not None or self._damaged
        self._fitting = self.shown
        self.figures.setText(f"Calibrating {model}… (loading TensorFlow first)")
        self.client.call_in(self._fit, CalibrateRequest(run_dir, model, again), self._said.emit)
        self._set_idle()

    def _fitted(self, calibration: Calibration | None) -> None:
        fitted, self._fitting = self._fitting, None
        if fitted == self.shown and calibration is not None:
            self._show(calibration)
        elif self.shown is not None:
            self.show_model(*self.shown)  # another model was chosen meanwhile: read its own

    def _fit_failed(self, error: BaseException) -> None:
        self._fitting = None
        reason, details = failure_text(error)
        self.figures.setText(f"✗ {reason}")
        self._set_idle()
        self.errored.emit(reason, details)

    def _set_idle(self) -> None:
        fitting = self._fit.is_running()
        if fitting:
            self.calibrate_button.setText("Cancel")
        elif self.calibration is not None:
            self.calibrate_button.setText("Calibrate again")
        else:
            self.calibrate_button.setText("Calibrate")
        self.calibrate_button.setEnabled(fitting or self.shown is not None)
