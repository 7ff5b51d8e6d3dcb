"""The Predict tab: drop images or folders, and each gets its predicted class and top classes.

Prediction runs in the analysis process (TensorFlow) with a progress bar; rows come from a
table model with thumbnails read off the GUI thread, so thousands of images do not stall.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QPainter
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
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.analysis.models import read_run_info, run_models
from ftgui.core.analysis.predict import Prediction, write_predictions_csv
from ftgui.core.errors import UserError
from ftgui.gui.analysis_client import AnalysisClient
from ftgui.gui.tasks import BackgroundTask
from ftgui.gui.thumbnails import ThumbnailLoader

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Image", "Predicted", "Confidence", "Top classes")
IMAGE, PREDICTED, CONFIDENCE, TOP = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
TOP_ROLE = Qt.ItemDataRole.UserRole + 2
THUMBNAIL = 56
TOP_CLASSES = 3
BAR_COLOUR = QColor("#4C72B0")


class PredictionTable(QAbstractTableModel):
    """Rows: one prediction each, newest files replacing older rows of the same path."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: list[str] = []
        self.rows: list[Prediction] = []
        self._row_of: dict[str, int] = {}
        self.thumbnails = ThumbnailLoader(THUMBNAIL, self)
        self.thumbnails.ready.connect(self._thumbnail_ready)

    def set_classes(self, classes: list[str]) -> None:
        self.beginResetModel()
        self.classes, self.rows, self._row_of = list(classes), [], {}
        self.endResetModel()

    def add(self, predictions: list[Prediction]) -> None:
        fresh = []
        for prediction in predictions:
            row = self._row_of.get(prediction.path)
            if row is None:
                fresh.append(prediction)
            else:
                self.rows[row] = prediction
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        if fresh:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self.rows.extend(fresh)
            for offset, prediction in enumerate(fresh):
                self._row_of[prediction.path] = first + offset
            self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        prediction, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                Path(prediction.path).name,
                self.classes[prediction.predicted],
                f"{prediction.confidence:.3f}",
                None,
            )[column]
        if role == Qt.ItemDataRole.DecorationRole and column == IMAGE:
            return self.thumbnails.thumbnail(prediction.path) or self.thumbnails.loading
        if role == Qt.ItemDataRole.ToolTipRole:
            return prediction.path
        if role == SORT_ROLE:
            keys = (prediction.path, self.classes[prediction.predicted], prediction.confidence)
            return keys[column] if column < TOP else prediction.confidence
        if role == TOP_ROLE:
            ranked = sorted(enumerate(prediction.probabilities), key=lambda p: -p[1])
            return [(self.classes[i], p) for i, p in ranked[:TOP_CLASSES]]
        return None

    def _thumbnail_ready(self, path: str) -> None:
        row = self._row_of.get(path)
        if row is not None:
            index = self.index(row, IMAGE)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class ConfidenceFilter(QSortFilterProxyModel):
    """Sorts by the real numbers; with `below` set, keeps rows whose confidence is below it."""

    def __init__(self) -> None:
        super().__init__()
        self.below: float | None = None
        self.setSortRole(SORT_ROLE)

    def set_below(self, below: float | None) -> None:
        self.below = below
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self.below is None:
            return True
        table = self.sourceModel()
        return table.rows[source_row].confidence < self.below


class TopClassesDelegate(QStyledItemDelegate):
    """The top classes of a row as labelled horizontal bars."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        super().paint(painter, option, index)
        ranked = index.data(TOP_ROLE) or []
        rect = option.rect.adjusted(4, 4, -4, -4)
        line = max(rect.height() // max(len(ranked), 1), 1)
        label_width = min(110, rect.width() // 2)
        painter.save()
        for n, (name, probability) in enumerate(ranked):
            top = rect.top() + n * line
            label = QRect(rect.left(), top, label_width - 4, line)
            painter.setPen(option.palette.text().color())
            painter.drawText(label, Qt.AlignmentFlag.AlignVCenter, f"{name} {probability:.2f}")
            width = int((rect.width() - label_width) * probability)
            painter.fillRect(
                QRect(rect.left() + label_width, top + 3, max(width, 1), line - 6), BAR_COLOUR
            )
        painter.restore()


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
        self.add_files_button = QPushButton("Add images…")
        self.add_folder_button = QPushButton("Add folder…")
        self.clear_button = QPushButton("Clear")
        self.export_button = QPushButton("Export CSV…")
        self.below_box = QCheckBox("Only confidence below")
        self.below_spin = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=0.8)
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
        top = QHBoxLayout()
        for widget in (self.run_label, QLabel("Model"), self.model_combo):
            top.addWidget(widget)
        top.addStretch(1)
        for widget in (self.add_files_button, self.add_folder_button, self.clear_button):
            top.addWidget(widget)
        bottom = QHBoxLayout()
        for widget in (self.below_box, self.below_spin, self.export_button):
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
        self.cancel_button.clicked.connect(self.client.cancel_prediction)
        self.cancel_button.clicked.connect(lambda: self._set_busy(False))
        self.model_combo.activated.connect(self.clear)
        self.client.predicted.connect(self._predicted)
        self.client.prediction_failed.connect(self._failed)
        self.client.prediction_progressed.connect(self._progressed)
        self._run_task.succeeded.connect(self._run_read)
        self._run_task.failed.connect(lambda error: self.run_label.setText(str(error)))

    # -- the run --------------------------------------------------------------------------
    def set_run(self, run_dir: str) -> None:
        """Use this run's models; its class names and models are read in the background."""
        self._run_task.start(lambda state: _run_models(run_dir))

    def _run_read(self, found: tuple[str, list[str], list[str]]) -> None:
        run_dir, classes, models = found
        self.run_dir = run_dir
        self.run_label.setText(f"Run: {Path(run_dir).name}")
        self.run_label.setToolTip(run_dir)
        self.model_combo.clear()
        self.model_combo.addItems(models)
        self.table.set_classes(classes)
        self._set_busy(False)

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
        self.client.predict(self.run_dir, self.model_combo.currentText(), paths)

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"Predicting: {done:,}/{total:,} images")

    def _predicted(self, predictions: list[Prediction], problems: list[dict[str, str]]) -> None:
        self.table.add(predictions)
        self._set_busy(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat(f"{self.table.rowCount():,} images predicted")
        if problems:
            self._say(
                f"{len(problems)} files could not be used (hover for the reasons); the rest "
                f"were predicted."
            )
            self.problems_label.setToolTip(
                "\n".join(f"{p['path']}: {p['reason']}" for p in problems[:50])
            )
        elif not predictions:
            self._say("No images were found there.")

    def _failed(self, reason: str, details: str) -> None:
        self._set_busy(False)
        self.progress.setRange(0, 1)
        self.progress.setFormat("Prediction failed")
        self._say(reason)
        self.errored.emit(reason, details)

    def _say(self, text: str) -> None:
        """A line above the table about what could not be done; hidden when empty."""
        self.problems_label.setText(text)
        self.problems_label.setVisible(bool(text))

    def _set_busy(self, busy: bool) -> None:
        ready = self.run_dir is not None
        for widget in (self.add_files_button, self.add_folder_button, self.model_combo):
            widget.setEnabled(ready and not busy)
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
            self, "Images to classify", "", "Images (*.jpg *.jpeg *.png *.gif *.bmp *.webp)"
        )
        if paths:
            self.predict(paths)

    def _add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder of images to classify")
        if folder:
            self.predict([folder])

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export predictions", "predictions.csv", "CSV (*.csv)"
        )
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> bool:
        """The rows as shown (sorted and filtered) as a CSV file."""
        shown = [
            self.table.rows[self.proxy.mapToSource(self.proxy.index(row, 0)).row()]
            for row in range(self.proxy.rowCount())
        ]
        try:
            write_predictions_csv(path, shown, self.table.classes)
        except UserError as exc:
            self.errored.emit(str(exc), "")
            return False
        return True


def _run_models(run_dir: str) -> tuple[str, list[str], list[str]]:
    info = read_run_info(run_dir)
    return run_dir, info.class_names, [model.name for model in run_models(info)]
