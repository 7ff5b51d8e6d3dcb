"""The Predict tab: drop images or folders, and each gets its predicted class and top classes.

Prediction runs in the analysis process (TensorFlow) with a progress bar; rows come from a
table model (`prediction_table`) with thumbnails read off the GUI thread, so thousands of images
do not stall. Export CSV writes every row, whatever the confidence filter shows. Ticking
"Calibrated" or "TTA" (`options`) predicts the rows shown again, so their confidences follow.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.analysis.models import read_run_info, run_models
from ftgui.core.analysis.predict import Prediction, Problem, write_predictions_csv
from ftgui.core.errors import UserError
from ftgui.gui.analysis_client import AnalysisClient
from ftgui.gui.predict.options import PredictOptions
from ftgui.gui.predict.table import (
    CONFIDENCE,
    IMAGE,
    PREDICTED,
    THUMBNAIL,
    TOP,
    ConfidenceFilter,
    PredictionTable,
    TopClassesDelegate,
)
from ftgui.gui.shared.app_settings import remember_folder, start_folder
from ftgui.gui.shared.tasks import BackgroundTask

NAMED_PROBLEMS = 3  # files named in the line above the table; the tooltip lists more
LISTED_PROBLEMS = 50  # files listed in its tooltip
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.gif *.bmp *.webp)"


def plural(count: int, word: str) -> str:
    """`1 file`, `2 files`."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def problems_text(problems: list[Problem], predicted: int) -> tuple[str, str]:
    """(a line naming the first unusable files and why, a tooltip listing up to 50 of them)."""
    named = "; ".join(f"{Path(p['path']).name} ({p['reason']})" for p in problems[:NAMED_PROBLEMS])
    if len(problems) > NAMED_PROBLEMS:
        named += f" and {len(problems) - NAMED_PROBLEMS:,} more (hover for the list)"
    line = f"{plural(len(problems), 'file')} could not be used: {named}."
    if predicted:
        were = "was" if predicted == 1 else "were"
        line += f" The other {plural(predicted, 'image')} {were} predicted."
    listed = [f"{p['path']}: {p['reason']}" for p in problems[:LISTED_PROBLEMS]]
    if len(problems) > LISTED_PROBLEMS:
        listed.append(f"… and {len(problems) - LISTED_PROBLEMS:,} more")
    return line, "\n".join(listed)


class PredictView(QWidget):
    """Classify new images with a run's model; `set_run(folder)` chooses the run."""

    errored = Signal(object, object)

    def __init__(self, client: AnalysisClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.run_dir: str | None = None
        self.table = PredictionTable()
        self.proxy = ConfidenceFilter()
        self.proxy.setSourceModel(self.table)
        self.view = QTableView()
        self.run_label = QLabel("No run chosen: train one, or File → Open run folder…")
        self.model_combo = QComboBox()
        self.options = PredictOptions()
        self.augmenting = False  # the run's training flipped images (TTA mirrors them too)
        self.add_files_button = QPushButton("Add images…")
        self.add_folder_button = QPushButton("Add folder…")
        self.clear_button = QPushButton("Clear")
        self.export_button = QPushButton("Export CSV…")
        self.below_box = QCheckBox("Only confidence below")
        self.below_spin = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=0.8)
        self.shown_label = QLabel("")
        self.progress = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.problems_label = QLabel("")
        self._run_task = BackgroundTask(self)
        self._build()
        self._connect()
        self._set_busy(False)
        self.setAcceptDrops(True)

    def _build(self) -> None:
        view = self.view
        view.setModel(self.proxy)
        view.setSortingEnabled(True)
        view.sortByColumn(CONFIDENCE, Qt.SortOrder.AscendingOrder)
        view.setItemDelegateForColumn(TOP, TopClassesDelegate(view))
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setIconSize(self.table.thumbnails.loading.size())
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.verticalHeader().setDefaultSectionSize(THUMBNAIL + 8)
        header = view.horizontalHeader()
        header.setSectionResizeMode(TOP, QHeaderView.ResizeMode.Stretch)
        for column, width in ((IMAGE, 260), (PREDICTED, 130), (CONFIDENCE, 90)):
            view.setColumnWidth(column, width)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Drop images or folders here, or press Add")
        self.problems_label.setStyleSheet("color: #c0392b;")
        self.problems_label.hide()
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shown_label.setContentsMargins(6, 0, 6, 0)
        self.shown_label.hide()
        self.export_button.setToolTip("Every predicted image, whatever the filter shows")
        top = QHBoxLayout()
        for widget in (self.run_label, QLabel("Model"), self.model_combo, self.options):
            top.addWidget(widget)
        top.addStretch(1)
        for widget in (self.add_files_button, self.add_folder_button, self.clear_button):
            top.addWidget(widget)
        bottom = QHBoxLayout()
        for widget in (self.below_box, self.below_spin, self.shown_label, self.export_button):
            bottom.addWidget(widget)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(bottom)
        layout.addWidget(self.problems_label)
        layout.addWidget(view, 1)

    def _connect(self) -> None:
        self.add_files_button.clicked.connect(self._add_files_dialog)
        self.add_folder_button.clicked.connect(self._add_folder_dialog)
        self.clear_button.clicked.connect(self.clear)
        self.export_button.clicked.connect(self._export_dialog)
        self.below_box.toggled.connect(self._filter_changed)
        self.below_spin.valueChanged.connect(self._filter_changed)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset):
            signal.connect(self._show_count)
        self.cancel_button.clicked.connect(self.client.cancel_prediction)
        self.cancel_button.clicked.connect(lambda: self._set_busy(False))
        self.model_combo.activated.connect(self.clear)
        self.model_combo.currentIndexChanged.connect(self._model_chosen)
        self.options.changed.connect(self._options_changed)
        self.client.predicted.connect(self._predicted)
        self.client.prediction_failed.connect(self._failed)
        self.client.prediction_progressed.connect(self._progressed)
        self._run_task.succeeded.connect(self._run_read)
        self._run_task.failed.connect(lambda error: self.run_label.setText(str(error)))

    # -- the run --------------------------------------------------------------------------
    def set_run(self, run_dir: str) -> None:
        """Use this run's models; its class names and models are read in the background."""
        self._run_task.start(lambda state: _run_models(run_dir))

    def _run_read(self, found: tuple[str, list[str], list[str], bool]) -> None:
        run_dir, classes, models, self.augmenting = found
        self.run_dir = run_dir
        self.run_label.setText(f"Run: {Path(run_dir).name}")
        self.run_label.setToolTip(run_dir)
        self.model_combo.clear()
        self.model_combo.addItems(models)
        self.table.set_classes(classes)
        self._model_chosen()
        self._set_busy(False)

    def _model_chosen(self) -> None:
        """The options' defaults follow the model: calibrated when it has a calibration."""
        self.options.set_model(self.run_dir, self.model_combo.currentText(), self.augmenting)

    def _options_changed(self) -> None:
        """Predict the rows shown again with the options ticked now."""
        if self.table.rows and not self.client.is_predicting():
            self.predict([row.path for row in self.table.rows])

    # -- predicting -----------------------------------------------------------------------
    def predict(self, paths: list[str]) -> None:
        """Predict the images in `paths` (files or folders) with the chosen model."""
        if self.run_dir is None or not self.model_combo.currentText():
            self._say("Choose a run with a model first (File → Open run folder…).")
            return
        self._say("")
        self._set_busy(True)
        self.progress.setRange(0, 0)
        self.progress.setFormat("Loading the model…")
        model = self.model_combo.currentText()
        self.client.predict(self.run_dir, model, paths, **self.options.request())

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"Predicting: {done:,}/{total:,} images")

    def _predicted(self, predictions: list[Prediction], problems: list[dict[str, str]]) -> None:
        self.table.add(predictions)
        self._set_busy(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        described = self.options.describe()
        self.progress.setFormat(f"{self.table.rowCount():,} images predicted{described}")
        if problems:
            self._say(*problems_text(problems, len(predictions)))
        elif not predictions:
            self._say("No images were found there.")

    def _failed(self, reason: str, details: str) -> None:
        self._set_busy(False)
        self.progress.setRange(0, 1)
        self.progress.setFormat("Prediction failed")
        self._say(reason)
        self.errored.emit(reason, details)

    def _say(self, text: str, tooltip: str = "") -> None:
        """A line above the table about what could not be done; hidden when empty."""
        self.problems_label.setText(text)
        self.problems_label.setToolTip(tooltip)
        self.problems_label.setVisible(bool(text))

    def _set_busy(self, busy: bool) -> None:
        ready = self.run_dir is not None
        for widget in (self.add_files_button, self.add_folder_button, self.model_combo):
            widget.setEnabled(ready and not busy)
        self.options.setEnabled(ready and not busy)
        self.cancel_button.setEnabled(busy)
        self.export_button.setEnabled(not busy and self.table.rowCount() > 0)
        self.clear_button.setEnabled(not busy)

    def clear(self) -> None:
        self.table.set_classes(self.table.classes)
        self._say("")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Drop images or folders here, or press Add")
        self._set_busy(False)

    def _filter_changed(self) -> None:
        self.proxy.set_below(self.below_spin.value() if self.below_box.isChecked() else None)
        self._show_count()

    def _show_count(self) -> None:
        """ "5 of 12 shown" beside the filter while it is on."""
        total = self.table.rowCount()
        self.shown_label.setText(f"{self.proxy.rowCount():,} of {total:,} shown")
        self.shown_label.setVisible(self.proxy.below is not None and total > 0)

    # -- files ----------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and self.run_dir is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.predict(paths)

    def _add_files_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Images to classify", start_folder("predict"), IMAGE_FILTER
        )
        if paths:
            remember_folder("predict", paths[0])
            self.predict(paths)

    def _add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "A folder of images to classify", start_folder("predict")
        )
        if folder:
            remember_folder("predict", folder)
            self.predict([folder])

    def _export_dialog(self) -> None:
        start = str(Path(start_folder("csv")) / "predictions.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export predictions", start, "CSV (*.csv)")
        if path:
            remember_folder("csv", path)
            self.export_csv(path)

    def export_csv(self, path: str) -> bool:
        """Every predicted image, in the order predicted, whatever the filter shows (as
        `predict --csv` writes them)."""
        try:
            write_predictions_csv(path, self.table.rows, self.table.classes)
        except UserError as exc:
            self.errored.emit(str(exc), "")
            return False
        return True


def _run_models(run_dir: str) -> tuple[str, list[str], list[str], bool]:
    info = read_run_info(run_dir)
    models = [model.name for model in run_models(info)]
    return run_dir, info.class_names, models, info.config.augmenting
