"""Duplicate pairs side by side, leaks between splits first (the order `duplicates.csv` has).

Each row's picture is both thumbnails next to each other, composed on the GUI thread once
both have arrived; its text names the splits, the kind (exact or near) and the similarity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from ftgui.core.audit.files import PairRow
from ftgui.gui.shared.thumbnails import ThumbnailLoader

THUMB = 88
GAP = 8
LEAK_COLOR = QColor(200, 40, 40)
PairRole = Qt.ItemDataRole.UserRole + 1


def pair_text(pair: PairRow) -> str:
    """Three lines: what the pair is, then each image's name and split."""
    what = f"LEAK {pair.split_a} ↔ {pair.split_b}" if pair.leak else f"within {pair.split_a}"
    return (
        f"{what} · {pair.kind} · similarity {pair.similarity:.3f}\n"
        f"{Path(pair.path_a).name} ({pair.split_a})\n{Path(pair.path_b).name} ({pair.split_b})"
    )


class PairModel(QAbstractListModel):
    """Rows are PairRows; the decoration is the two thumbnails side by side."""

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.pairs: list[PairRow] = []
        self._pictures: dict[int, QPixmap] = {}
        self._rows: dict[str, list[int]] = {}
        loader.ready.connect(self._thumbnail_ready)

    def set_pairs(self, pairs: list[PairRow]) -> None:
        self.beginResetModel()
        self.pairs = list(pairs)
        self._pictures = {}
        self._rows = {}
        for row, pair in enumerate(self.pairs):
            for path in (pair.path_a, pair.path_b):
                self._rows.setdefault(path, []).append(row)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.pairs)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        pair = self.pairs[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return pair_text(pair)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._picture(index.row())
        if role == Qt.ItemDataRole.ForegroundRole and pair.leak:
            return LEAK_COLOR
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{pair.path_a}\n{pair.path_b}"
        if role == PairRole:
            return pair
        return None

    def _picture(self, row: int) -> QPixmap:
        if row in self._pictures:
            return self._pictures[row]
        pair = self.pairs[row]
        a, b = self.loader.thumbnail(pair.path_a), self.loader.thumbnail(pair.path_b)
        picture = QPixmap(QSize(2 * THUMB + GAP, THUMB))
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        painter.drawPixmap(0, 0, a or self.loader.loading)
        painter.drawPixmap(THUMB + GAP, 0, b or self.loader.loading)
        painter.end()
        if a is not None and b is not None:
            self._pictures[row] = picture
        return picture

    def _thumbnail_ready(self, path: str) -> None:
        for row in self._rows.get(path, ()):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class PairList(QListView):
    """The pairs, one per line: both images, then what they are."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = ThumbnailLoader(THUMB, self)
        self.pair_model = PairModel(self.loader, self)
        self.setModel(self.pair_model)
        self.setIconSize(QSize(2 * THUMB + GAP, THUMB))
        self.setUniformItemSizes(True)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
