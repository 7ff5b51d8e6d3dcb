"""The Predict tab's two options: calibrated confidences and test-time augmentation.

"Calibrated" is on by default when the chosen model has a calibration
(`evaluation/<model>-calibration.json`); without one it is off, and ticking it fits one on the
validation split first (in the analysis process, as `predict --calibrated` does). Either way
the predicted class is the same; only the confidences change. "TTA" averages each image's
views (`tta.tta_views`).
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from ftgui.core.analysis.calibration import read_calibration
from ftgui.core.analysis.tta import tta_views
from ftgui.core.errors import UserError

NO_CALIBRATION = (
    "{model} has no calibration yet: ticking this fits a temperature on the validation split "
    "first (python main.py calibrate RUN --model {model} does the same)."
)


class PredictOptions(QWidget):
    """Two checkboxes; `changed` when the person ticks or unticks one."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.calibrated_box = QCheckBox("Calibrated")
        self.tta_box = QCheckBox("TTA")
        self.temperature: float | None = None  # the chosen model's, when it has one
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.calibrated_box)
        layout.addWidget(self.tta_box)
        for box in (self.calibrated_box, self.tta_box):
            box.clicked.connect(self.changed)
        self.set_model(None, None, False)

    def set_model(self, run_dir: str | None, model: str | None, augmenting: bool) -> None:
        """Default the boxes for `model` of `run_dir`: calibrated when it has a calibration."""
        self.temperature, reason = None, ""
        if run_dir and model:
            try:
                calibration = read_calibration(run_dir, model)
            except UserError as exc:
                calibration, reason = None, f"{exc} "
            if calibration is not None:
                self.temperature = calibration.temperature
        with QSignalBlocker(self.calibrated_box):
            self.calibrated_box.setChecked(self.temperature is not None)
        if self.temperature is not None:
            self.calibrated_box.setToolTip(
                f"Confidences with {model}'s temperature {self.temperature:.3f}, fitted on the "
                f"validation split; the predicted class is the same."
            )
        else:
            name = model or "The model"
            self.calibrated_box.setToolTip(reason + NO_CALIBRATION.format(model=name))
        self.tta_box.setToolTip(
            "Test-time augmentation: the mean probability over "
            + ", ".join(tta_views(augmenting))
            + " (about that many times slower)."
        )

    def request(self) -> dict[str, bool]:
        """The options that differ from a plain prediction, as `AnalysisClient.predict` takes
        them."""
        chosen = {"calibrated": self.calibrated_box.isChecked(), "tta": self.tta_box.isChecked()}
        return {name: True for name, on in chosen.items() if on}

    def describe(self) -> str:
        """What follows the count of predicted images: " (calibrated, TTA)", or nothing."""
        chosen = self.request()
        words = [w for k, w in (("calibrated", "calibrated"), ("tta", "TTA")) if k in chosen]
        return f" ({', '.join(words)})" if words else ""
