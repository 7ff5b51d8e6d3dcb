"""One layer's update ratio at every epoch of the run (log scale), with the three bands and
the phases marked; shown under the layer table when a measured layer is clicked."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.training.health_bands import HARDLY_LEARNING, TOO_FAST
from ftgui.core.views.layer_health import HealthHistory, RatioSeries
from ftgui.gui.train.curves import PHASE_COLOURS
from ftgui.gui.train.health_column import BAND_COLOURS, band_colour

PLOT_HEIGHT = 150
LINE_COLOUR = "#8a94a0"
AXIS_COLOUR = "#333333"
EPOCH_TICKS = 12  # up to this many epochs, one tick per epoch
Y_ROOM = 0.2  # decades above and below the outer ticks, so their labels show whole
Y_SPAN = (-5, -1)  # decades always shown (log10): both band edges with a decade around them


def _band_region(low: float, high: float, colour: str) -> pg.LinearRegionItem:
    tint = pg.mkColor(colour)
    tint.setAlpha(30)
    region = pg.LinearRegionItem(
        (low, high), orientation="horizontal", movable=False, brush=pg.mkBrush(tint)
    )
    for line in region.lines:
        line.setPen(pg.mkPen(None))
    region.setZValue(-30)
    return region


def _phase_label(phase: int, name: str) -> str:
    return f"{phase + 1}. {name}" if name else f"phase {phase + 1}"


class HealthPlot(QWidget):
    """A title line with a close button over a small pyqtgraph plot; `closed` after the
    button hides it."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer: str | None = None
        self.shown = RatioSeries([], [], [])
        self.title = QLabel()
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide this plot (click a layer to show it again)")
        self.close_button.clicked.connect(self._close)
        self.widget = pg.PlotWidget(background="w")
        self.widget.setFixedHeight(PLOT_HEIGHT)
        item = self.widget.getPlotItem()
        item.setLogMode(y=True)
        item.setLabel("bottom", "epoch")
        for name in ("bottom", "left"):
            axis = item.getAxis(name)
            axis.enableAutoSIPrefix(False)
            axis.setPen(pg.mkPen(AXIS_COLOUR))
            axis.setTextPen(pg.mkPen(AXIS_COLOUR))
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.layout.setContentsMargins(2, 2, 12, 2)
        low, high = math.log10(HARDLY_LEARNING), math.log10(TOO_FAST)
        bands = (BAND_COLOURS[name].name() for name in BAND_COLOURS)
        for (start, end), colour in zip(((-12, low), (low, high), (high, 3)), bands, strict=True):
            item.addItem(_band_region(start, end, colour))
        for edge in (low, high):
            item.addItem(pg.InfiniteLine(edge, angle=0, pen=pg.mkPen("#9aa5b1", width=1)))
        self.points = item.plot(pen=pg.mkPen(LINE_COLOUR, width=1), symbol="o", symbolSize=7)
        self.phase_lines: list[pg.InfiniteLine] = []
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.title, 1)
        header.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(header)
        layout.addWidget(self.widget)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def show_layer(self, layer: str, history: HealthHistory) -> None:
        """Draw `layer`'s ratios on the run's timeline and show the plot."""
        self.layer = layer
        self.title.setText(f"<b>{layer}</b>: update ratio per step, each epoch of the run")
        self.refresh(history)
        self.show()

    def refresh(self, history: HealthHistory) -> None:
        """Draw the shown layer again from `history` (new epochs, or a new run: then it hides
        when the layer has no measurements left)."""
        if self.layer is None or not history.has(self.layer):
            self.layer, self.shown = None, RatioSeries([], [], [])
            self.points.setData([], [])
            self.hide()
            return
        series = history.series(self.layer)
        kept = [i for i, ratio in enumerate(series.ratio) if ratio > 0]  # a log scale
        self.shown = RatioSeries(*([values[i] for i in kept] for values in vars(series).values()))
        brushes = [pg.mkBrush(band_colour(ratio)) for ratio in self.shown.ratio]
        self.points.setData(
            self.shown.x, self.shown.ratio, symbolBrush=brushes, symbolPen=pg.mkPen("w")
        )
        self._mark_phases(history)
        item = self.widget.getPlotItem()
        extent = max(history.extent(), max(self.shown.x, default=1.0))
        item.setXRange(0, extent, padding=0.02)
        if extent <= EPOCH_TICKS:
            item.getAxis("bottom").setTickSpacing(1, 1)  # whole epochs
        else:
            item.getAxis("bottom").setTickSpacing()  # automatic
        logs = [math.log10(r) for r in self.shown.ratio]
        low = min([Y_SPAN[0], *(math.floor(v) for v in logs)])
        high = max([Y_SPAN[1], *(math.ceil(v) for v in logs)])
        item.setYRange(low - Y_ROOM, high + Y_ROOM, padding=0)
        decades = [(v, f"1e{v}") for v in range(low, high + 1)]
        item.getAxis("left").setTicks([decades, []])

    def _mark_phases(self, history: HealthHistory) -> None:
        item = self.widget.getPlotItem()
        for line in self.phase_lines:
            item.removeItem(line)
        self.phase_lines = []
        for phase, start in history.phase_starts():
            colour = PHASE_COLOURS[phase % len(PHASE_COLOURS)]
            line = pg.InfiniteLine(
                start,
                angle=90,
                pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine),
                label=_phase_label(phase, history.phase_name(phase)),
                labelOpts={"position": 0.92, "anchors": [(0, 0), (0, 0)], "color": colour},
            )
            item.addItem(line)
            self.phase_lines.append(line)

    def _close(self) -> None:
        self.hide()
        self.closed.emit()
