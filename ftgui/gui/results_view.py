"""The Results tab: what a run's model gets right and wrong, and why.

Confusion matrix and per-class table for a chosen model and split; a click on a cell or a class
shows those images in the gallery, hardest first; a click on an image shows it with Grad-CAM.
Everything is read from the run folder's `evaluation/` files off the GUI thread; a missing
evaluation is computed by the analysis process on request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.analysis.evaluation import available_splits
from ftgui.core.analysis.evaluation_files import (
    Evaluation,
    ImageResult,
    read_evaluation,
    stored_evaluations,
)
from ftgui.core.analysis.models import FINAL, read_run_info, run_models
from ftgui.core.errors import UserError
from ftgui.gui.analysis_client import AnalysisClient
from ftgui.gui.confusion_model import ConfusionModel
from ftgui.gui.gallery import Gallery
from ftgui.gui.image_detail import ImageDetail
from ftgui.gui.tasks import BackgroundTask

PER_CLASS_COLUMNS = ("Class", "Precision", "Recall", "F1", "Support")
FEW_CLASSES = 6  # up to this many: big cells with counts and %; more: cells share the space
FEW_CELL = 76


@dataclass
class RunContents:
    """What a run folder offers the Results tab, read without TensorFlow."""

    run_dir: str
    models: list[str]
    splits: list[str]
    stored: list[tuple[str, str]] = field(default_factory=list)
    first_best: str | None = None  # the classifier phase's best model, to compare with final


def read_contents(run_dir: str) -> RunContents:
    info = read_run_info(run_dir)
    models = run_models(info)
    stored = stored_evaluations(run_dir)
    try:
        splits = available_splits(info)
    except UserError:  # the dataset moved: what was evaluated before can still be shown
        splits = sorted({split for _, split in stored}) or ["validation"]
    best = [m.name for m in models if m.phase is not None]
    first_best = best[0] if len(best) > 1 or (best and FINAL in {m.name for m in models}) else None
    return RunContents(run_dir, [m.name for m in models], splits, stored, first_best)


def read_shown(run_dir: str, model: str, split: str, compare: str | None) -> tuple:
    """The chosen evaluation and, when stored, the classifier phase's on the same split."""
    evaluation = read_evaluation(run_dir, model, split)
    earlier = None
    if compare and compare != model:
        try:
            earlier = read_evaluation(run_dir, compare, split)
        except UserError:
            earlier = None
    return evaluation, earlier


def changed_by_fine_tuning(
    earlier: Evaluation, final: Evaluation
) -> tuple[list[ImageResult], list[ImageResult]]:
    """(fixed, broken): images the earlier model got wrong and final right, and the reverse."""
    before = {image.path: image.predicted == image.label for image in earlier.images}
    fixed, broken = [], []
    for image in final.images:
        right_before = before.get(image.path)
        if right_before is None:
            continue
        right_now = image.predicted == image.label
        if right_now and not right_before:
            fixed.append(image)
        elif right_before and not right_now:
            broken.append(image)
    return fixed, broken


class ResultsView(QWidget):
    """Shows one run's evaluations; `show_run(folder)` loads it in the background."""

    errored = Signal(object, object)

    def __init__(self, client: AnalysisClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.contents: RunContents | None = None
        self.evaluation: Evaluation | None = None
        self.changes: tuple[list[ImageResult], list[ImageResult]] = ([], [])
        self.model_combo, self.split_combo = QComboBox(), QComboBox()
        self.evaluate_button = QPushButton("Evaluate")
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip("Save the confusion matrix as a PNG image")
        self.summary = QLabel("Open a run (File → Open run folder…) or train one to see results.")
        self.summary.setWordWrap(True)
        self.confusion = ConfusionModel()
        self.matrix = QTableView()
        self.per_class = QTableWidget(0, len(PER_CLASS_COLUMNS))
        self.fixed_button = QPushButton("Fixed")
        self.broken_button = QPushButton("Broken")
        self.gallery = Gallery()
        self.detail = ImageDetail(client)
        self._contents_task, self._shown_task = BackgroundTask(self), BackgroundTask(self)
        self._build()
        self._connect()
        self._set_evaluation(None)

    def _build(self) -> None:
        self.matrix.setModel(self.confusion)
        self.matrix.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.matrix.setWordWrap(False)
        for header in (self.matrix.horizontalHeader(), self.matrix.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.per_class.setHorizontalHeaderLabels(PER_CLASS_COLUMNS)
        self.per_class.verticalHeader().setVisible(False)
        self.per_class.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.per_class.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.per_class.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.per_class.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
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
        changes = QHBoxLayout()
        changes.addWidget(QLabel("By fine-tuning:"))
        changes.addWidget(self.fixed_button)
        changes.addWidget(self.broken_button)
        changes.addStretch(1)
        changes.addWidget(self.save_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(controls)
        left_layout.addWidget(self.summary)
        matrix_title = QLabel("Confusion matrix (rows: true class, columns: predicted)")
        matrix_title.setWordWrap(True)
        left_layout.addWidget(matrix_title)
        left_layout.addWidget(self.matrix, 3)
        left_layout.addLayout(changes)
        left_layout.addWidget(self.per_class, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget in (left, self.gallery, self.detail):
            splitter.addWidget(widget)
        splitter.setSizes([470, 430, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        self.model_combo.activated.connect(self._selection_changed)
        self.split_combo.activated.connect(self._selection_changed)
        self.evaluate_button.clicked.connect(self.evaluate_selected)
        self.save_button.clicked.connect(self.save_matrix_dialog)
        self.matrix.clicked.connect(lambda index: self.show_cell(index.row(), index.column()))
        self.matrix.verticalHeader().sectionClicked.connect(self.show_class)
        self.per_class.cellClicked.connect(lambda row, column: self.show_class(row))
        self.fixed_button.clicked.connect(lambda: self._show_changes(0))
        self.broken_button.clicked.connect(lambda: self._show_changes(1))
        self.gallery.image_activated.connect(self._show_detail)
        self._contents_task.succeeded.connect(self._contents_read)
        self._contents_task.failed.connect(self._read_failed)
        self._shown_task.succeeded.connect(lambda found: self._set_evaluation(*found))
        self._shown_task.failed.connect(self._read_failed)
        self.client.evaluation_done.connect(self._evaluated)
        self.client.evaluation_failed.connect(self._evaluation_failed)
        self.client.status.connect(self.summary.setText)

    # -- which run, model and split -------------------------------------------------------
    def show_run(self, run_dir: str, model: str | None = None, split: str | None = None) -> None:
        """Read what the run folder holds, then show `model` on `split` (or the defaults)."""
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
        contents = self.contents
        if contents is None or not contents.models:
            self._set_evaluation(None)
            self.summary.setText("This run holds no model yet.")
            return
        model, split = self.selected()
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
            self.show_run(self.contents.run_dir, evaluation.model, evaluation.split)

    def _evaluation_failed(self, reason: str, details: str) -> None:
        self.evaluate_button.setEnabled(True)
        self.summary.setText(reason)
        self.errored.emit(reason, details)

    def _read_failed(self, error: BaseException) -> None:
        reason = str(error) if isinstance(error, UserError) else f"Cannot read results: {error}"
        self.summary.setText(reason)

    # -- what is shown --------------------------------------------------------------------
    def _set_evaluation(self, evaluation: Evaluation | None, earlier: Evaluation | None = None):
        self.evaluation = evaluation
        classes = evaluation.classes if evaluation else []
        self.confusion.set_matrix(classes, evaluation.confusion if evaluation else [])
        few = len(classes) <= FEW_CLASSES
        mode = QHeaderView.ResizeMode.Fixed if few else QHeaderView.ResizeMode.Stretch
        for header in (self.matrix.horizontalHeader(), self.matrix.verticalHeader()):
            header.setSectionResizeMode(mode)  # many classes: the whole matrix in view
            header.setMinimumSectionSize(16)
            header.setDefaultSectionSize(FEW_CELL)
        self._fill_per_class(evaluation)
        self.changes = (
            changed_by_fine_tuning(earlier, evaluation) if earlier and evaluation else ([], [])
        )
        for button, images, what in zip(
            (self.fixed_button, self.broken_button), self.changes, ("Fixed", "Broken"), strict=True
        ):
            button.setText(f"{what}: {len(images)}")
            button.setEnabled(earlier is not None)
        self.save_button.setEnabled(evaluation is not None)
        self.gallery.clear()
        if evaluation is None:
            return
        skipped = (
            f" ({len(evaluation.skipped)} unreadable files skipped)" if evaluation.skipped else ""
        )
        self.summary.setText(
            f"{evaluation.model} on the {evaluation.split} split: accuracy "
            f"<b>{evaluation.accuracy:.3f}</b> · loss {evaluation.loss:.4f} · "
            f"{len(evaluation.images)} images{skipped}. Click a cell or a class to see its images."
        )
        worst = max(
            ((t, p) for t in range(len(classes)) for p in range(len(classes)) if t != p),
            key=lambda cell: self.confusion.counts[cell],
            default=None,
        )
        if worst is not None and self.confusion.counts[worst]:
            self.show_cell(*worst)  # the most frequent confusion, to start with
        else:  # nothing confused: every image, hardest first
            self.gallery.show_images(evaluation.images, classes, f"all {evaluation.split} images")

    def _fill_per_class(self, evaluation: Evaluation | None) -> None:
        rows = list(evaluation.per_class.items()) if evaluation else []
        self.per_class.setRowCount(len(rows))
        numbered = len(rows) > FEW_CLASSES  # the matrix shows numbers: say which is which
        for row, (name, scores) in enumerate(rows):
            values = (
                [f"{row}  {name}" if numbered and name != str(row) else name]
                + [f"{scores[key]:.3f}" for key in ("precision", "recall", "f1")]
                + [str(int(scores["support"]))]
            )
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.per_class.setItem(row, column, item)

    def show_cell(self, true: int, predicted: int) -> None:
        """The images of class `true` predicted as `predicted`, hardest first."""
        evaluation = self.evaluation
        if evaluation is None:
            return
        names = evaluation.classes
        what = "correct" if true == predicted else f"predicted as {names[predicted]}"
        self.gallery.show_images(
            evaluation.in_cell(true, predicted), names, f"{names[true]} {what}"
        )

    def show_class(self, true: int) -> None:
        """Every image of one true class, hardest first."""
        evaluation = self.evaluation
        if evaluation is None or not 0 <= true < len(evaluation.classes):
            return
        images = [image for image in evaluation.images if image.label == true]
        self.gallery.show_images(images, evaluation.classes, f"all {evaluation.classes[true]}")

    def _show_changes(self, which: int) -> None:
        if self.evaluation is None:
            return
        title = ("right only after fine-tuning", "wrong only after fine-tuning")[which]
        self.gallery.show_images(self.changes[which], self.evaluation.classes, title)

    def _show_detail(self, image: ImageResult) -> None:
        if self.evaluation is not None and self.contents is not None:
            self.detail.show_image(
                image, self.evaluation.classes, self.contents.run_dir, self.evaluation.model
            )

    def save_matrix_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save confusion matrix", "confusion.png", "PNG (*.png)"
        )
        if path:
            self.save_matrix(path)

    def save_matrix(self, path: str) -> bool:
        if not self.matrix.grab().save(path, "PNG"):
            self.errored.emit(f"Cannot write {path}; choose another folder.", "")
            return False
        return True


def _refill(combo: QComboBox, items: list[str], wanted: str) -> None:
    combo.clear()
    combo.addItems(items)
    if wanted in items:
        combo.setCurrentIndex(items.index(wanted))
