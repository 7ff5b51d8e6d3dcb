"""The Results tab's test-time augmentation line: the shown model on the shown split with and
without TTA (`tta_evaluation.compare_tta`, in the analysis process): both accuracies, the
predictions it turns right→wrong and wrong→right, and its time cost. A comparison stored
earlier (`evaluation/<model>-<split>-tta.json`) shows at once."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ftgui.core.analysis.tta_evaluation import TtaComparison, tta_file
from ftgui.core.service.analysis_process import TtaRequest
from ftgui.gui.analysis_client import failure_text
from ftgui.gui.shared.tasks import BackgroundTask

Shown = tuple[str, str, str]  # (run folder, model, split)
HINT = "Compare this split's accuracy with and without test-time augmentation."


def read_comparison(run_dir: str, model: str, split: str) -> TtaComparison | None:
    """The stored comparison, None when there is none or it cannot be read."""
    path = tta_file(run_dir, model, split)
    try:
        return TtaComparison(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def tta_text(comparison: TtaComparison) -> str:
    """Both accuracies, the two flip counts and the cost, in one line."""
    ratio = comparison.seconds_tta / comparison.seconds if comparison.seconds else float("nan")
    gain = comparison.accuracy_tta - comparison.accuracy
    return (
        f"TTA ({len(comparison.views)} views) on {comparison.images} {comparison.split} images: "
        f"accuracy {comparison.accuracy:.3f} → <b>{comparison.accuracy_tta:.3f}</b> "
        f"({gain:+.3f}) · right→wrong {comparison.right_to_wrong}, wrong→right "
        f"{comparison.wrong_to_right} · {comparison.seconds:.2f} s → "
        f"{comparison.seconds_tta:.2f} s (×{ratio:.1f})"
    )


class TtaRow(QWidget):
    """A button and a line; `show_split(run_dir, model, split)` says which evaluation."""

    errored = Signal(object, object)

    def __init__(self, client: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.shown: Shown | None = None
        self.comparison: TtaComparison | None = None
        self._running: Shown | None = None
        self.button = QPushButton("Test-time augmentation")
        self.button.setToolTip(
            "Score the split again as the mean over the image, its four corner crops and, when "
            "training flipped images, its mirror image; writes "
            "evaluation/<model>-<split>-tta.json"
        )
        self.line = QLabel(HINT)
        self.line.setWordWrap(True)
        self.line.setTextFormat(Qt.TextFormat.RichText)
        self.line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._read, self._compare = BackgroundTask(self), BackgroundTask(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.line, 1)
        self.button.clicked.connect(self.compare_or_cancel)
        self._read.succeeded.connect(self._show)
        self._compare.succeeded.connect(self._compared)
        self._compare.failed.connect(self._failed)
        self.show_split(None, None, None)

    def show_split(self, run_dir: str | None, model: str | None, split: str | None) -> None:
        """Show the stored comparison of `model` on `split`, or the hint."""
        self._read.cancel()
        self.shown = (run_dir, model, split) if run_dir and model and split else None
        self._show(None)
        if self.shown is not None:
            self._read.start(lambda state: read_comparison(run_dir, model, split))

    def _show(self, comparison: TtaComparison | None) -> None:
        self.comparison = comparison
        if self._running is None or self._running != self.shown:
            self.line.setText(tta_text(comparison) if comparison else HINT)
            if comparison is not None:
                self.line.setToolTip("Views: " + ", ".join(comparison.views))
        self._set_idle()

    def compare_or_cancel(self) -> None:
        if self._compare.is_running():
            self.client.cancel_call(self._compare)
            self._running = None
            self.line.setText("Test-time augmentation cancelled.")
            self._set_idle()
            return
        if self.shown is None:
            return
        run_dir, model, split = self._running = self.shown
        self.line.setText(
            f"Scoring {model} on the {split} split with and without test-time augmentation… "
            f"(loading TensorFlow and the model first)"
        )
        self.client.call_in(self._compare, TtaRequest(run_dir, model, split))
        self._set_idle()

    def _compared(self, comparison: TtaComparison | None) -> None:
        done, self._running = self._running, None
        if done == self.shown:
            self._show(comparison)
        self._set_idle()

    def _failed(self, error: BaseException) -> None:
        done, self._running = self._running, None
        reason, details = failure_text(error)
        if done == self.shown:
            self.line.setText(f"✗ {reason}")
        self._set_idle()
        self.errored.emit(reason, details)

    def _set_idle(self) -> None:
        running = self._compare.is_running()
        self.button.setText("Cancel TTA" if running else "Test-time augmentation")
        self.button.setEnabled(running or self.shown is not None)
