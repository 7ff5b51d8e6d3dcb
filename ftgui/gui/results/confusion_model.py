"""The confusion matrix as a table model and its view: counts and row percentages on a heatmap.

Up to six classes the headers carry the names; above, the class numbers (the names are in the
tooltips and in the per-class table beside it), so twenty classes fit without scrolling.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

Index = QModelIndex | QPersistentModelIndex
SPELLED_OUT = 6  # up to this many classes the columns carry names; above, numbers
COLORMAP = pg.colormap.get("cividis")  # perceptually uniform and colour-blind safe
FEW_CELL = 76  # the side of a cell up to SPELLED_OUT classes; above, cells share the space


class ConfusionModel(QAbstractTableModel):
    """Rows: true classes; columns: predicted classes. Empty until `set_matrix`."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: list[str] = []
        self.counts = np.zeros((0, 0), dtype=int)
        self.shares = np.zeros((0, 0))
        self._colours: list[list[QColor]] = []
        self._small_font = QFont()
        self._small_font.setPointSizeF(self._small_font.pointSizeF() * 0.8)

    def set_matrix(self, classes: list[str], confusion: list[list[int]]) -> None:
        self.beginResetModel()
        self.classes = list(classes)
        self.counts = np.array(confusion, dtype=int).reshape(len(classes), len(classes))
        totals = self.counts.sum(axis=1, keepdims=True)
        self.shares = np.divide(
            self.counts, totals, out=np.zeros(self.counts.shape), where=totals > 0
        )
        self._colours = [COLORMAP.map(row, mode="qcolor") for row in self.shares]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.classes)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.classes)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        count, share = int(self.counts[row, column]), float(self.shares[row, column])
        if role == Qt.ItemDataRole.DisplayRole:
            if len(self.classes) > SPELLED_OUT:
                return str(count) if count else ""
            return f"{count}\n{share:.0%}"
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._colours[row][column]
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor("#000000") if share > 0.55 else QColor("#ffffff")
        if role == Qt.ItemDataRole.FontRole and len(self.classes) > SPELLED_OUT:
            return self._small_font
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{count} {self.classes[row]} images predicted as {self.classes[column]} "
                f"({share:.1%} of {self.classes[row]}); click to see them"
            )
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not 0 <= section < len(self.classes):
            return None
        name = self.classes[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section) if len(self.classes) > SPELLED_OUT else name
        if role == Qt.ItemDataRole.ToolTipRole:
            side = "true" if orientation == Qt.Orientation.Vertical else "predicted"
            return f"{side} class {section}: {name}"
        return None


class ConfusionView(QTableView):
    """The matrix over its own `confusion` model; selects what the gallery beside it shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.confusion = ConfusionModel()
        self.setModel(self.confusion)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setWordWrap(False)
        self.set_matrix([], [])

    def set_matrix(self, classes: list[str], confusion: list[list[int]]) -> None:
        self.confusion.set_matrix(classes, confusion)
        few = len(classes) <= SPELLED_OUT
        mode = QHeaderView.ResizeMode.Fixed if few else QHeaderView.ResizeMode.Stretch
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(mode)  # many classes: the whole matrix in view
            header.setMinimumSectionSize(16)
            header.setDefaultSectionSize(FEW_CELL)

    def select(self, cell: tuple[int, int] | None = None, true_class: int = -1) -> None:
        """Select one cell, or one true class's row, or (neither given) nothing."""
        flag = QItemSelectionModel.SelectionFlag
        selection = self.selectionModel()
        if cell is not None:
            selection.setCurrentIndex(self.confusion.index(*cell), flag.ClearAndSelect)
        elif true_class >= 0:
            row = self.confusion.index(true_class, 0)
            selection.setCurrentIndex(row, flag.ClearAndSelect | flag.Rows)
        else:
            selection.clearSelection()

    def picture(self) -> QPixmap:
        """The matrix as drawn, without the selection's highlight over a cell's colour."""
        selection = self.selectionModel()
        kept = selection.selection()
        selection.clearSelection()
        try:
            return self.grab()
        finally:
            selection.select(kept, QItemSelectionModel.SelectionFlag.Select)
