"""The Results tab's per-class table: precision, recall, F1 and support of each class."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ftgui.core.analysis.evaluation_files import Evaluation

PER_CLASS_COLUMNS = ("Class", "Precision", "Recall", "F1", "Support")
FEW_CLASSES = 6  # more: the matrix numbers its classes, so the table says which is which


class PerClassTable(QTableWidget):
    """One row per class of the shown evaluation; read-only, rows selectable."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(PER_CLASS_COLUMNS), parent)
        self.setHorizontalHeaderLabels(PER_CLASS_COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def fill(self, evaluation: Evaluation | None) -> None:
        rows = list(evaluation.per_class.items()) if evaluation else []
        self.setRowCount(len(rows))
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
                self.setItem(row, column, item)
