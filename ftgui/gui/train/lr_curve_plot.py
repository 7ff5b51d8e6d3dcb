"""The learning-rate finder's curve: the smoothed loss (and each batch's loss, faint) against
the learning rate on a log axis, fastai's three suggestions marked in their own colours, and the
phase's current rate as a grey dashed line."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:  # the core's run modules load slowly; the window needs only the type
    from ftgui.core.run.lr_find import LrFinding

SMOOTHED_COLOUR, RAW_COLOUR, CURRENT_COLOUR = "#4C72B0", "#b8c4d8", "#555555"
SUGGESTION_COLOURS = {"valley": "#2ca02c", "minimum/10": "#8e44ad", "steepest": "#d35400"}
LABEL_HEIGHTS = {"valley": 0.95, "minimum/10": 0.85, "steepest": 0.75}  # labels never overlap
CURRENT_HEIGHT = 0.65
TAIL = 5  # the last steps (fastai's skip_end): the loss shoots up there, the view ignores it


def rate_text(rate: float) -> str:
    """A learning rate to two significant digits, as the phase editor writes it (1.2e-05)."""
    return f"{rate:.2g}"


def finite(values: tuple[float, ...]) -> np.ndarray:
    """`values` with inf and NaN as NaN (drawn as gaps)."""
    array = np.asarray(values, dtype=float)
    return np.where(np.isfinite(array), array, np.nan)


def loss_at(finding: LrFinding, rate: float) -> float:
    """The smoothed loss at `rate` (interpolated on log10 of the rate; the ends beyond it)."""
    x = np.log10(np.asarray(finding.curve.lrs, dtype=float))
    y = finite(finding.curve.smoothed)
    keep = np.isfinite(y)
    return float(np.interp(math.log10(rate), x[keep], y[keep])) if keep.any() else math.nan


class LrCurvePlot(pg.PlotWidget):
    """One range test drawn: `show_finding`, then `set_current` when the phase's rate changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        super().__init__(parent)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setLogMode(x=True, y=False)
        item.setLabel("bottom", "learning rate (log scale)")
        item.getAxis("bottom").enableAutoSIPrefix(False)  # 1e-05, not "0.01 (x0.001)"
        item.setLabel("left", "training loss")
        item.showGrid(x=True, y=True, alpha=0.15)
        self.legend = item.addLegend(offset=(-8, 8), labelTextSize="8pt")
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 225))  # the rising curve passes behind
        self.raw = item.plot(pen=pg.mkPen(RAW_COLOUR, width=1), name="loss of each batch")
        self.smoothed = item.plot(pen=pg.mkPen(SMOOTHED_COLOUR, width=2), name="smoothed loss")
        self.points: dict[str, pg.PlotDataItem] = {}
        self.lines: dict[str, pg.InfiniteLine] = {}
        for name, colour in SUGGESTION_COLOURS.items():
            self.points[name] = item.plot(
                pen=None, symbol="o", symbolSize=9, symbolBrush=colour, symbolPen="w", name=name
            )
            self.lines[name] = self._line(colour, Qt.PenStyle.DashLine, name, LABEL_HEIGHTS[name])
        self.current = self._line(
            CURRENT_COLOUR, Qt.PenStyle.DotLine, "phase's rate", CURRENT_HEIGHT
        )
        self.current_sample = pg.PlotDataItem(pen=self.current.pen)
        self.legend.addItem(self.current_sample, "phase's rate")
        self.current_rate: float | None = None
        self.clear_finding()

    def _line(self, colour: str, style: Qt.PenStyle, label: str, height: float) -> pg.InfiniteLine:
        line = pg.InfiniteLine(
            angle=90,
            movable=False,
            pen=pg.mkPen(colour, width=1.5, style=style),
            label=label,
            labelOpts={"position": height, "color": colour, "anchors": [(0, 0.5), (0, 0.5)]},
        )
        self.getPlotItem().addItem(line, ignoreBounds=True)
        return line

    def clear_finding(self) -> None:
        """Nothing drawn (a range test is running)."""
        self.raw.setData([], [])
        self.smoothed.setData([], [])
        for name in SUGGESTION_COLOURS:
            self.points[name].setData([], [])
            self.lines[name].hide()
        self.current.hide()
        self.current_rate = None

    def show_finding(self, finding: LrFinding) -> None:
        """Draw the curve, its suggestions and the phase's rate; the view fits the curve."""
        curve = finding.curve
        self.raw.setData(curve.lrs, finite(curve.losses), connect="finite")
        self.smoothed.setData(curve.lrs, finite(curve.smoothed), connect="finite")
        for name, rate in finding.suggestions.items():
            self.points[name].setData([rate], [loss_at(finding, rate)])
            self.lines[name].setPos(math.log10(rate))
            self.lines[name].label.setFormat(f"{name} {rate_text(rate)}")
            self.lines[name].show()
            self.legend.getLabel(self.points[name]).setText(f"{name}: {rate_text(rate)}")
        self.set_current(finding.learning_rate)
        self._fit(finding)

    def set_current(self, rate: float) -> None:
        """Move the grey line to the phase's learning rate now."""
        self.current_rate = rate
        self.current.setPos(math.log10(rate))
        self.current.label.setFormat(f"phase's rate {rate_text(rate)}")
        self.current.show()
        self.legend.getLabel(self.current_sample).setText(f"phase's rate: {rate_text(rate)}")

    def _fit(self, finding: LrFinding) -> None:
        rates = [*finding.curve.lrs, *finding.suggestions.values(), finding.learning_rate]
        x = np.log10(np.asarray(rates, dtype=float))
        self.setXRange(float(x.min()), float(x.max()), padding=0.03)
        smoothed = finite(finding.curve.smoothed)
        if len(smoothed) > 2 * TAIL:  # the divergence leaves the view at the top, as in fastai
            smoothed = smoothed[:-TAIL]
        if np.isfinite(smoothed).any():  # the raw losses may leave the view: they are noise
            low, high = float(np.nanmin(smoothed)), float(np.nanmax(smoothed))
            self.setYRange(low, high if high > low else low + 1, padding=0.08)
