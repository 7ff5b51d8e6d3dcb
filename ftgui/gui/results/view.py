"""The Results tab: what a run's model gets right and wrong, and why.

Confusion matrix and per-class table for a chosen model and split, the model's reliability
diagram beside them and a test-time augmentation comparison below; a click on a cell or a class
shows those images in the gallery, hardest first; a click on an image shows it with Grad-CAM.
Everything is read from the run folder's `evaluation/` files off the GUI thread; a missing
evaluation is computed by the analysis process on request.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.analysis.evaluation_files import Evaluation, ImageResult
from ftgui.core.analysis.models import FINAL
from ftgui.core.errors import UserError
from ftgui.core.views.results_data import (
    RunContents,
    changed_by_fine_tuning,
    find_image,
    read_contents,
    read_shown,
)
from ftgui.gui.analysis_client import AnalysisClient
from ftgui.gui.results.calibration_panel import CalibrationPanel
from ftgui.gui.results.confusion_model import ConfusionView
from ftgui.gui.results.gallery import Gallery
from ftgui.gui.results.image_detail import ImageDetail
from ftgui.gui.results.per_class import PerClassTable
from ftgui.gui.results.tta_row import TtaRow
from ftgui.gui.shared.app_settings import remember_folder, start_folder
from ftgui.gui.shared.tasks import BackgroundTask

Cell = tuple[int, int]  # (true class, predicted class)


class ResultsView(QWidget):
    """Shows one run's evaluations; `show_run(folder)` loads it in the background."""

    errored = Signal(object, object)
    run_shown = Signal(str)  # the run shown from now on (the Audit tab shows its audit)
    audit_requested = Signal(str)  # audit the open run's dataset

    def __init__(self, client: AnalysisClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.contents: RunContents | None = None
        self.evaluation: Evaluation | None = None
        self.changes: tuple[list[ImageResult], list[ImageResult]] = ([], [])
        self.earlier_model: str | None = None  # what `changes` compares the final model with
        self.model_combo, self.split_combo = QComboBox(), QComboBox()
        self.evaluate_button = QPushButton("Evaluate")
        self.save_button = QPushButton("Save PNG…")
        self.audit_button = QPushButton("Audit dataset…")
        self.audit_button.setToolTip("Likely label errors and leaks in this run's dataset")
        self.save_button.setToolTip("Save the confusion matrix as a PNG image")
        self.summary = QLabel("Open a run (File → Open run folder…) or train one to see results.")
        self.summary.setWordWrap(True)
        self.matrix = ConfusionView()
        self.confusion = self.matrix.confusion
        self.per_class = PerClassTable()
        self.calibration = CalibrationPanel(client)
        self.tta = TtaRow(client)
        self.fixed_button = QPushButton("Fixed")
        self.broken_button = QPushButton("Broken")
        self.gallery = Gallery()
        self.detail = ImageDetail(client)
        self._contents_task, self._shown_task = BackgroundTask(self), BackgroundTask(self)
        self._build()
        self._connect()
        self._set_evaluation(None)

    def _build(self) -> None:
        for combo in (self.model_combo, self.split_combo):  # a long model name shows whole
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for button, what in ((self.fixed_button, "wrong"), (self.broken_button, "right")):
            button.setToolTip(
                f"Images the classifier phase's best model got {what} and the final model "
                f"{'right' if what == 'wrong' else 'wrong'}, on this split"
            )
        controls = QHBoxLayout()
        for widget in (QLabel("Model"), self.model_combo, QLabel("Split"), self.split_combo):
            controls.addWidget(widget)
        controls.addWidget(self.evaluate_button)
        controls.addStretch(1)
        controls.addWidget(self.audit_button)
        changes = QHBoxLayout()
        changes.addWidget(QLabel("By fine-tuning:"))
        changes.addWidget(self.fixed_button)
        changes.addWidget(self.broken_button)
        changes.addStretch(1)
        changes.addWidget(self.save_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.summary)
        matrix_title = QLabel("Confusion matrix (rows: true class, columns: predicted)")
        matrix_title.setWordWrap(True)
        left_layout.addWidget(matrix_title)
        beside = QSplitter(Qt.Orientation.Horizontal)  # the reliability diagram beside it
        beside.addWidget(self.matrix)
        beside.addWidget(self.calibration)
        left_layout.addWidget(beside, 3)
        left_layout.addLayout(changes)
        left_layout.addWidget(self.tta)
        left_layout.addWidget(self.per_class, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget in (left, self.gallery, self.detail):
            splitter.addWidget(widget)
        splitter.setSizes([640, 340, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)  # above all three panes: each shows the chosen evaluation
        layout.addWidget(splitter)

    def _connect(self) -> None:
        for combo in (self.model_combo, self.split_combo):  # by hand or set from code alike
            combo.currentIndexChanged.connect(self._selection_changed)
        self.evaluate_button.clicked.connect(self.evaluate_selected)
        self.save_button.clicked.connect(self.save_matrix_dialog)
        self.audit_button.clicked.connect(
            lambda: self.contents and self.audit_requested.emit(self.contents.run_dir)
        )
        self.matrix.clicked.connect(lambda index: self.show_cell(index.row(), index.column()))
        self.matrix.verticalHeader().sectionClicked.connect(self.show_class)
        self.per_class.cellClicked.connect(lambda row, column: self.show_class(row))
        self.fixed_button.clicked.connect(lambda: self._show_changes(0))
        self.broken_button.clicked.connect(lambda: self._show_changes(1))
        self.gallery.image_activated.connect(self._show_detail)
        self._contents_task.succeeded.connect(self._contents_read)
        self._contents_task.failed.connect(lambda error: self._read_failed(error, run=True))
        self._shown_task.succeeded.connect(lambda found: self._set_evaluation(*found))
        self._shown_task.failed.connect(self._read_failed)
        self.client.evaluation_done.connect(self._evaluated)
        self.client.evaluation_failed.connect(self._evaluation_failed)
        self.client.status.connect(self.summary.setText)
        for pane in (self.calibration, self.tta):
            pane.errored.connect(self.errored)

    # -- which run, model and split -------------------------------------------------------
    def show_run(self, run_dir: str, model: str | None = None, split: str | None = None) -> None:
        """Read what the run folder holds, then show `model` on `split` (or the defaults)."""
        self.detail.clear()  # at once: its image belongs to the run shown before
        self._read_run(run_dir, model, split)
        self.run_shown.emit(run_dir)

    def _read_run(self, run_dir: str, model: str | None, split: str | None) -> None:
        self._shown_task.cancel()  # a late read of the run shown before is dropped
        self._wanted = (model, split)
        self.summary.setText(f"Reading {run_dir}…")
        self._contents_task.start(lambda state: read_contents(run_dir))

    def _contents_read(self, contents: RunContents) -> None:
        self.contents = contents
        model, split = self._wanted
        _refill(self.model_combo, contents.models, model or FINAL)
        _refill(self.split_combo, contents.splits, split or contents.splits[0])
        self._selection_changed()

    def selected(self) -> tuple[str, str]:
        return self.model_combo.currentText(), self.split_combo.currentText()

    def _selection_changed(self) -> None:
        self._shown_task.cancel()  # a late read of the model or split chosen before is dropped
        contents = self.contents
        if contents is None or not contents.models:
            self._set_evaluation(None)
            self.calibration.show_model(None, None)
            self.tta.show_split(None, None, None)
            self.summary.setText("This run holds no model yet.")
            return
        model, split = self.selected()
        self.calibration.show_model(contents.run_dir, model)
        self.tta.show_split(contents.run_dir, model, split)
        if (model, split) not in contents.stored:
            self._set_evaluation(None)
            self.summary.setText(
                f"{model} has not been evaluated on the {split} split yet; press Evaluate."
            )
            return
        compare = contents.first_best if model == FINAL else None
        self._shown_task.start(lambda state: read_shown(contents.run_dir, model, split, compare))

    def evaluate_selected(self) -> None:
        """Evaluate the chosen model on the chosen split in the analysis process."""
        if self.contents is None or self.client.is_evaluating():
            return
        model, split = self.selected()
        self.evaluate_button.setEnabled(False)
        self.summary.setText(f"Evaluating {model} on the {split} split…")
        self.client.evaluate(self.contents.run_dir, model, split)

    def _evaluated(self, evaluation: Evaluation | None) -> None:
        self.evaluate_button.setEnabled(True)
        if evaluation is not None and self.contents is not None:
            self._read_run(self.contents.run_dir, evaluation.model, evaluation.split)

    def _evaluation_failed(self, reason: str, details: str) -> None:
        self.evaluate_button.setEnabled(True)
        self.summary.setText(reason)
        self.errored.emit(reason, details)

    def _read_failed(self, error: BaseException, run: bool = False) -> None:
        """Say why; show nothing rather than what was chosen before (and, for a run, its list)."""
        if run:
            self.contents = None
            self.model_combo.clear()
            self.split_combo.clear()
            self.calibration.show_model(None, None)
            self.tta.show_split(None, None, None)
        self._set_evaluation(None)
        reason = str(error) if isinstance(error, UserError) else f"Cannot read results: {error}"
        self.summary.setText(reason)

    # -- what is shown --------------------------------------------------------------------
    def _set_evaluation(self, evaluation: Evaluation | None, earlier: Evaluation | None = None):
        """Show `evaluation`; the detail's image follows it (that model's row) or empties."""
        self.evaluation = evaluation
        self.earlier_model = earlier.model if earlier else None
        self.audit_button.setEnabled(self.contents is not None)
        classes = evaluation.classes if evaluation else []
        self.matrix.set_matrix(classes, evaluation.confusion if evaluation else [])
        self.per_class.fill(evaluation)
        self.changes = (
            changed_by_fine_tuning(earlier, evaluation) if earlier and evaluation else ([], [])
        )
        for button, images, what in zip(
            (self.fixed_button, self.broken_button), self.changes, ("Fixed", "Broken"), strict=True
        ):
            button.setText(f"{what}: {len(images)}")
            button.setEnabled(earlier is not None)
        self.save_button.setEnabled(evaluation is not None)
        followed = self._followed(evaluation)
        if evaluation is None:
            self._show_in_gallery([], "")
            return
        skipped = (
            f" ({len(evaluation.skipped)} unreadable files skipped)" if evaluation.skipped else ""
        )
        self.summary.setText(
            f"{evaluation.model} on the {evaluation.split} split: accuracy "
            f"<b>{evaluation.accuracy:.3f}</b> · loss {evaluation.loss:.4f} · "
            f"{len(evaluation.images)} images{skipped}. Click a cell or a class to see its images."
        )
        if followed is not None:  # its cell under this model, and this model's row beside
            self.show_cell(followed.label, followed.predicted)
            self._show_detail(followed)
            return
        worst = max(
            ((t, p) for t in range(len(classes)) for p in range(len(classes)) if t != p),
            key=lambda cell: self.confusion.counts[cell],
            default=None,
        )
        if worst is not None and self.confusion.counts[worst]:
            self.show_cell(*worst)  # the most frequent confusion, to start with
        else:  # nothing confused: every image, hardest first
            self._show_in_gallery(evaluation.images, f"all {evaluation.split} images")

    def _followed(self, evaluation: Evaluation | None) -> ImageResult | None:
        """The detail's image as `evaluation` scored it; without one the detail empties."""
        shown, contents = self.detail.result, self.contents
        same_run = contents is not None and self.detail.run_dir == contents.run_dir
        found = find_image(evaluation, shown.path) if shown is not None and same_run else None
        if found is None:
            self.detail.clear()
        return found

    def show_cell(self, true: int, predicted: int) -> None:
        """The images of class `true` predicted as `predicted`, hardest first."""
        evaluation = self.evaluation
        if evaluation is None:
            return
        names = evaluation.classes
        what = "correct" if true == predicted else f"predicted as {names[predicted]}"
        self._show_in_gallery(
            evaluation.in_cell(true, predicted), f"{names[true]} {what}", cell=(true, predicted)
        )

    def show_class(self, true: int) -> None:
        """Every image of one true class, hardest first."""
        evaluation = self.evaluation
        if evaluation is None or not 0 <= true < len(evaluation.classes):
            return
        images = [image for image in evaluation.images if image.label == true]
        self._show_in_gallery(images, f"all {evaluation.classes[true]}", true_class=true)

    def _show_changes(self, which: int) -> None:
        if self.evaluation is None:
            return
        before = self.earlier_model or "the earlier model"
        what = ("fixed by fine-tuning: wrong", "broken by fine-tuning: right")[which]
        self._show_in_gallery(self.changes[which], f"{what} with {before}")

    def _show_in_gallery(
        self, images: list[ImageResult], title: str, cell: Cell | None = None, true_class: int = -1
    ) -> None:
        """Show `images`; the matrix and the class table select what they are, or nothing."""
        self.matrix.select(cell, true_class)
        if true_class < 0:
            self.per_class.clearSelection()
        else:
            self.per_class.selectRow(true_class)
        classes = self.evaluation.classes if self.evaluation else []
        self.gallery.show_images(images, classes, title)
        if self.detail.result is not None:  # still shown beside: find it among them
            self.gallery.select(self.detail.result.path)

    def _show_detail(self, image: ImageResult) -> None:
        if self.evaluation is not None and self.contents is not None:
            self.detail.show_image(
                image, self.evaluation.classes, self.contents.run_dir, self.evaluation.model
            )

    def save_matrix_dialog(self) -> None:
        """Ask where to save the matrix, starting in the folder a plot was last saved to."""
        shown = self.evaluation
        name = f"confusion-{shown.model}-{shown.split}.png" if shown else "confusion.png"
        start = os.path.join(start_folder("plots"), name)
        path, _ = QFileDialog.getSaveFileName(self, "Save confusion matrix", start, "PNG (*.png)")
        if path and self.save_matrix(path):
            remember_folder("plots", path)

    def save_matrix(self, path: str) -> bool:
        if not self.matrix.picture().save(path, "PNG"):
            self.errored.emit(f"Cannot write {path}; choose another folder.", "")
            return False
        return True


def _refill(combo: QComboBox, items: list[str], wanted: str) -> None:
    with QSignalBlocker(combo):  # quietly: the caller shows the choice once both are set
        combo.clear()
        combo.addItems(items)
        if wanted in items:
            combo.setCurrentIndex(items.index(wanted))
