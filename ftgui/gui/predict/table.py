"""The Predict tab's table: one row per predicted image, a confidence filter, top-class bars."""

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
)
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ftgui.core.analysis.predict import Prediction
from ftgui.gui.shared.thumbnails import ThumbnailLoader

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Image", "Predicted", "Confidence", "Top classes")
IMAGE, PREDICTED, CONFIDENCE, TOP = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
TOP_ROLE = Qt.ItemDataRole.UserRole + 2
THUMBNAIL = 56
TOP_CLASSES = 3
BAR_COLOUR = QColor("#4C72B0")
LABEL_WIDTH = 170  # the most a class name and its probability take before the bars


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
        if role == Qt.ItemDataRole.ToolTipRole and column == TOP:
            return "\n".join(f"{self.classes[i]}: {p:.3f}" for i, p in prediction.top(TOP_CLASSES))
        if role == Qt.ItemDataRole.ToolTipRole:
            return prediction.path
        if role == SORT_ROLE:
            keys = (prediction.path, self.classes[prediction.predicted], prediction.confidence)
            return keys[column] if column < TOP else prediction.confidence
        if role == TOP_ROLE:
            return [(self.classes[i], p) for i, p in prediction.top(TOP_CLASSES)]
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
    """The top classes of a row as bars, each after its (elided) name and its probability."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        super().paint(painter, option, index)
        ranked = index.data(TOP_ROLE) or []
        rect = option.rect.adjusted(4, 4, -4, -4)
        line = max(rect.height() // max(len(ranked), 1), 1)
        label_width = min(LABEL_WIDTH, rect.width() // 2)
        metrics = option.fontMetrics
        number_width = metrics.horizontalAdvance("0.00")
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text = option.palette.highlightedText() if selected else option.palette.text()
        painter.save()
        painter.setPen(text.color())
        for n, (name, probability) in enumerate(ranked):
            top = rect.top() + n * line
            name_width = label_width - number_width - 10
            shown = metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_width)
            middle = Qt.AlignmentFlag.AlignVCenter
            painter.drawText(QRect(rect.left(), top, name_width, line), middle, shown)
            painter.drawText(
                QRect(rect.left() + name_width, top, number_width + 6, line),
                middle | Qt.AlignmentFlag.AlignRight,
                f"{probability:.2f}",
            )
            width = int((rect.width() - label_width) * probability)
            painter.fillRect(
                QRect(rect.left() + label_width, top + 3, max(width, 1), line - 6), BAR_COLOUR
            )
        painter.restore()
