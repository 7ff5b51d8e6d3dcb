"""Ticked runs' curves on one timeline: loss and accuracy against the run epoch, a colour per run,
each run's phase starts and best epoch marked, a legend naming each run by what differs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from ftgui.core.views.run_table import RunCurves
from ftgui.core.views.timeline import METRICS
from ftgui.gui.experiments.legend import OverlayLegend
from ftgui.gui.shared.phase_labels import stagger_labels
from ftgui.gui.shared.plot_export import render_svg

# Tableau's ten qualitative colours (matplotlib's tab10): distinct for ten runs on white.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
STAR_SIZE = 15


@dataclass(frozen=True)
class OverlayRun:
    """One run as the overlay draws it."""

    label: str
    colour: str
    curves: RunCurves


class RunOverlay(QWidget):
    """Loss and accuracy side by side (x linked), the legend under them; `show_runs` replaces
    what is drawn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        self.runs: list[OverlayRun] = []
        self.plots: dict[str, pg.PlotWidget] = {}
        self._lines: dict[str, list[pg.InfiniteLine]] = {m: [] for m in METRICS}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        row = QHBoxLayout()
        row.setSpacing(0)
        for metric, title in (("loss", "Loss"), ("accuracy", "Accuracy")):
            widget = pg.PlotWidget()
            item = widget.getPlotItem()
            item.setTitle(title)
            item.setLabel("bottom", "run epoch")
            for axis in ("bottom", "left"):
                item.getAxis(axis).enableAutoSIPrefix(False)
            item.layout.setContentsMargins(2, 2, 14, 2)
            item.getViewBox().sigTransformChanged.connect(partial(self._stagger, metric))
            self.plots[metric] = widget
            row.addWidget(widget, 1)
        self.plots["accuracy"].setXLink(self.plots["loss"])
        layout.addLayout(row, 1)
        self.legend = OverlayLegend()
        layout.addWidget(self.legend)
        self.show_runs([])

    def show_runs(self, runs: list[OverlayRun]) -> None:
        """Draw `runs` (in order; later ones on top), replacing what was drawn."""
        self.runs = list(runs)
        for metric, widget in self.plots.items():
            item = widget.getPlotItem()
            item.clear()
            self._lines[metric] = []
            seen: set[tuple[int, str]] = set()
            for run in runs:
                self._draw(item, metric, run, seen)
            self._stagger(metric)
        accuracy = self.plots["accuracy"].getPlotItem()
        accuracy.setYRange(-0.04, 1.04, padding=0)
        longest = max((len(run.curves.x) for run in runs), default=1)
        self.plots["loss"].getPlotItem().setXRange(0, max(longest, 1), padding=0.02)
        self.plots["loss"].getPlotItem().enableAutoRange(axis="y")
        self.legend.show_labels([r.label for r in runs], [r.colour for r in runs])

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.legend.fit(event.size().width())  # a new height before the layout runs
        super().resizeEvent(event)

    def _draw(self, item: pg.PlotItem, metric: str, run: OverlayRun, seen: set) -> None:
        curves, colour = run.curves, run.colour
        for start, name in curves.phases[1:]:  # each run's own phase starts, in its colour
            labelled = metric == "loss" and (start, name) not in seen  # one label per start
            seen.add((start, name))
            label = {"position": 0.97, "anchors": [(0, 0), (0, 0)], "color": colour,
                     "fill": pg.mkBrush(255, 255, 255, 210)}  # fmt: skip
            line = pg.InfiniteLine(
                start,
                angle=90,
                pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DotLine),
                label=name if labelled else None,
                labelOpts=label if labelled else None,
            )
            if labelled:
                self._lines[metric].append(line)
            item.addItem(line)
        train = item.plot(
            curves.x,
            curves.train[metric],
            pen=pg.mkPen(colour, width=1.2, style=Qt.PenStyle.DashLine),
        )
        train.setOpacity(0.8)
        item.plot(curves.x, curves.val[metric], pen=pg.mkPen(colour, width=2))
        if curves.best_epoch is not None:
            best = curves.best_epoch
            star = pg.ScatterPlotItem(
                [float(best)],
                [float(curves.val[metric][best - 1])],
                symbol="star",
                size=STAR_SIZE,
                brush=pg.mkBrush(colour),
                pen=pg.mkPen("#222222", width=1),
            )
            star.setZValue(10)
            item.addItem(star)

    def _stagger(self, metric: str, *_: object) -> None:
        """Move a phase label down a row where it would overlap the one before it."""
        view = self.plots[metric].getViewBox()
        labels = sorted(
            (line.label for line in self._lines[metric]), key=lambda label: label.line.value()
        )
        stagger_labels(view, labels)

    def export(self, path: str) -> bool:
        """The plots and legend as PNG, or as SVG when `path` ends in .svg."""
        if path.lower().endswith(".svg"):
            return render_svg(self, path)
        return self.grab().save(path, "PNG")
