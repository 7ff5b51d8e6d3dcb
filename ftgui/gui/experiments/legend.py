"""The overlay's legend under the plots: a key of the line styles, then one entry per run in as
many columns as the width allows (a label wider than the whole row wraps after its commas)."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QSizePolicy

KEY_COLOUR = "#444444"
POINTS = 8.5
SAMPLE = 48  # px an entry takes besides its text: the line sample and the gaps
MARGIN = 6
EMPTY_HINT = "Tick runs in the table to overlay their curves"
KEY = (
    ("validation", {"pen": pg.mkPen(KEY_COLOUR, width=2)}),
    ("training", {"pen": pg.mkPen(KEY_COLOUR, width=1.2, style=Qt.PenStyle.DashLine)}),
    (
        "best epoch (lowest val loss)",
        {
            "pen": None,
            "symbol": "star",
            "symbolBrush": "w",
            "symbolPen": KEY_COLOUR,
            "symbolSize": 11,
        },
    ),
    ("phase start", {"pen": pg.mkPen(KEY_COLOUR, width=1, style=Qt.PenStyle.DotLine)}),
)


def text_width(text: str) -> int:
    font = QFont()
    font.setPointSizeF(POINTS)
    return QFontMetrics(font).horizontalAdvance(text)


def wrapped(label: str, width: int) -> str:
    """`label` broken after its commas into lines no wider than `width` px, as HTML."""
    lines: list[str] = []
    for part in label.split(", "):
        joined = f"{lines[-1]}, {part}" if lines else part
        if lines and text_width(joined) <= width:
            lines[-1] = joined
        else:
            lines.append(part)
    return "<br>".join(html.escape(line) for line in lines)


def _arrange(legend: pg.LegendItem, columns: int) -> None:
    """Lay `legend`'s entries out row by row in `columns` columns (LegendItem's own relayout
    drifts)."""
    layout = legend.layout
    for index in reversed(range(layout.count())):
        layout.removeAt(index)
    for index, (sample, label) in enumerate(legend.items):
        row, column = divmod(index, columns)
        layout.addItem(sample, row, 2 * column, Qt.AlignmentFlag.AlignVCenter)
        layout.addItem(label, row, 2 * column + 1, Qt.AlignmentFlag.AlignVCenter)
    legend.resize(layout.effectiveSizeHint(Qt.SizeHint.PreferredSize))


class OverlayLegend(pg.GraphicsView):
    """`show_labels(labels, colours)` lists the runs; `fit(width)` lays them out."""

    def __init__(self) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.key = self._legend()
        for name, style in KEY:
            sample = pg.PlotDataItem([np.nan], [np.nan], **style)
            self.key.addItem(sample, name)
        self.entries = self._legend()
        self.labels: list[str] = []
        self.columns = 1
        self.show_labels([], [])

    def _legend(self) -> pg.LegendItem:
        legend = pg.LegendItem(labelTextSize=f"{POINTS}pt", horSpacing=14, verSpacing=-3)
        legend.layout.setContentsMargins(2, 2, 2, 2)
        self.addItem(legend)
        return legend

    def show_labels(self, labels: Sequence[str], colours: Sequence[str]) -> None:
        self.entries.clear()
        self.labels = list(labels)
        self.key.setVisible(bool(labels))
        if not labels:
            self.entries.addItem(pg.PlotDataItem([np.nan], [np.nan], pen=None), EMPTY_HINT)
        for label, colour in zip(labels, colours, strict=True):
            sample = pg.PlotDataItem([np.nan], [np.nan], pen=pg.mkPen(colour, width=4))
            self.entries.addItem(sample, html.escape(label))
        self.fit(self.width())

    def fit(self, width: int) -> None:
        """As many columns as `width` holds (labels wrapped when one is wider than it)."""
        room = max(width - 2 * MARGIN, 200)
        _arrange(self.key, len(KEY) if self.key.width() <= room or not self.labels else 2)
        widest = max((text_width(label) for label in self.labels), default=0)
        cell = widest + SAMPLE
        self.columns = max(1, min(room // max(cell, 1), len(self.labels) or 1))
        for (_, item), label in zip(self.entries.items, self.labels, strict=False):  # no hint
            text = html.escape(label) if cell <= room else wrapped(label, room - SAMPLE)
            item.setText(text)
        _arrange(self.entries, self.columns)
        key_height = self.key.height() if self.labels else 0.0
        self.key.setPos(MARGIN, 2)
        self.entries.setPos(MARGIN, key_height + 2)
        self.setFixedHeight(int(key_height + self.entries.height()) + 6)
