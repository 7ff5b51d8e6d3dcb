"""Live loss and accuracy plots on one timeline across phases (pyqtgraph, redrawn by a QTimer)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QResizeEvent
from PySide6.QtWidgets import QFrame, QSizePolicy, QVBoxLayout, QWidget

from ftgui.core.events import BatchEnded, EpochEnded, PhaseStarted, RunStarted
from ftgui.core.views.timeline import METRICS, PhaseSeries, Timeline, smooth_curve
from ftgui.gui.shared.event_handlers import EventView, handles
from ftgui.gui.shared.phase_labels import stagger_labels

REDRAW_HZ = 10
PHASE_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860")
TRAIN_COLOUR = "#1f5fa8"
VAL_COLOUR = "#d9480f"
RIGHT_MARGIN = 18  # room for the last x tick label and the right spine
MARKER_ROOM = 10  # px kept around accuracy 0 and 1: half the best-model star and its outline
LEGEND = (
    ("train (per batch)", pg.mkPen(TRAIN_COLOUR, width=1), None, TRAIN_COLOUR),
    ("train (epoch)", None, "o", TRAIN_COLOUR),
    ("validation", pg.mkPen(VAL_COLOUR, width=1), "s", VAL_COLOUR),
    ("best model (lowest val loss)", None, "star", "#f5c400"),
)


class _PhaseItems:
    """The plot items of one phase in one plot, created once and then only fed with setData."""

    def __init__(self, plot: pg.PlotItem, series: PhaseSeries, colour: str, index: int) -> None:
        band_colour = pg.mkColor(colour)
        band_colour.setAlpha(28)
        self.band = pg.LinearRegionItem(
            (series.start, series.start + max(series.epochs, 1)),
            movable=False,
            brush=pg.mkBrush(band_colour),
            pen=pg.mkPen(None),
        )
        self.band.setZValue(-20)
        plot.addItem(self.band)
        self.boundary = pg.InfiniteLine(
            series.start,
            angle=90,
            pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine),
            label=f"{index + 1}. {series.name}",
            labelOpts={
                "position": 0.96,
                "anchors": [(0, 0), (0, 0)],
                "color": colour,
                "fill": pg.mkBrush(255, 255, 255, 200),
            },
        )
        plot.addItem(self.boundary)
        self.batches = plot.plot(pen=pg.mkPen(TRAIN_COLOUR, width=1), name=None)
        self.batches.setOpacity(0.35)
        self.batches.setClipToView(True)
        self.batches.setDownsampling(auto=True, method="peak")
        self.train = plot.plot(
            pen=None, symbol="o", symbolSize=6, symbolBrush=TRAIN_COLOUR, symbolPen=None
        )
        self.val = plot.plot(
            pen=pg.mkPen(VAL_COLOUR, width=1),
            symbol="s",
            symbolSize=6,
            symbolBrush=VAL_COLOUR,
            symbolPen=None,
        )
        self.train_smooth = plot.plot(pen=pg.mkPen(TRAIN_COLOUR, width=2.5))
        self.val_smooth = plot.plot(pen=pg.mkPen(VAL_COLOUR, width=2.5))
        self._drawn_batches = -1
        self._drawn_epochs: tuple[int, bool] = (-1, False)
        self.best = plot.plot(
            pen=None, symbol="star", symbolSize=16, symbolBrush="#f5c400", symbolPen="#7a6200"
        )

    def update(self, series: PhaseSeries, metric: str, smooth: bool) -> None:
        """Feed only what changed since the last call (finished phases cost nothing)."""
        if len(series.batch_x) != self._drawn_batches:
            self._drawn_batches = len(series.batch_x)
            self.batches.setData(series.batch_x.view(), series.batch[metric].view())
        if (len(series.epoch_x), smooth) == self._drawn_epochs:
            return
        self._drawn_epochs = (len(series.epoch_x), smooth)
        x = series.epoch_x.view()
        train, val = series.train[metric].view(), series.val[metric].view()
        self.train.setData(x, train)
        self.val.setData(x, val)
        empty = np.empty(0)
        self.train_smooth.setData(x if smooth else empty, smooth_curve(train) if smooth else empty)
        self.val_smooth.setData(x if smooth else empty, smooth_curve(val) if smooth else empty)
        best = series.best_epoch()
        if best is None:
            self.best.setData(empty, empty)
        else:
            self.best.setData([x[best]], [val[best]])


class _LegendRow(pg.GraphicsView):
    """The legend as a row above the plots (two rows when narrow), so it never hides data."""

    def __init__(self) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.legend = pg.LegendItem(labelTextSize="8pt", horSpacing=12)
        self.legend.layout.setContentsMargins(2, 2, 2, 2)
        self.addItem(self.legend)
        for name, pen, symbol, colour in LEGEND:
            style = {"pen": pen, "symbol": symbol, "symbolBrush": colour, "symbolPen": None}
            # one NaN point, or the symbol style never reaches the sample's scatter
            sample = pg.PlotDataItem([np.nan], [np.nan], symbolSize=8, **style)
            self.legend.addItem(sample, name)
        self._columns = 0
        self._arrange(len(LEGEND))
        self._one_row_width = self.legend.width()

    def _arrange(self, columns: int) -> None:
        """Lay the entries out in `columns` columns (LegendItem's own relayout drifts down)."""
        if columns == self._columns:
            return
        self._columns = columns
        layout = self.legend.layout
        for index in reversed(range(layout.count())):
            layout.removeAt(index)
        for index, (sample, label) in enumerate(self.legend.items):
            row, column = divmod(index, columns)
            layout.addItem(sample, row, 2 * column, Qt.AlignmentFlag.AlignVCenter)
            layout.addItem(label, row, 2 * column + 1)
        size = layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        self.legend.resize(size)
        self.setFixedHeight(int(size.height()) + 2)

    def fit(self, width: int) -> None:
        """All entries in one row where `width` allows, else two rows; centred."""
        self._arrange(len(LEGEND) if width >= self._one_row_width else 2)
        self.legend.setPos(max((width - self.legend.width()) / 2, 0), 1)


def _frame(item: pg.PlotItem) -> None:
    """Plain epoch numbers (no "x0.001" scaling), a right spine and room for the last label."""
    for name in ("bottom", "left"):
        item.getAxis(name).enableAutoSIPrefix(False)
    item.showAxis("right")
    item.getAxis("right").setStyle(showValues=False)
    item.getAxis("right").setWidth(1)
    item.layout.setContentsMargins(2, 2, RIGHT_MARGIN, 2)


class CurvesWidget(EventView, QWidget):
    """Two stacked plots (loss, accuracy) sharing the x axis; call `mark_dirty` after new data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        self.timeline = Timeline()
        self._extent = 0.0
        self.smooth = False
        self.redraws = 0
        self.run_name = ""
        self._dirty = False
        self._items: dict[str, list[_PhaseItems]] = {m: [] for m in METRICS}
        self.plots: dict[str, pg.PlotWidget] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.legend_row = _LegendRow()
        layout.addWidget(self.legend_row)
        for metric, label in (("loss", "Loss"), ("accuracy", "Accuracy")):
            widget = pg.PlotWidget()
            item = widget.getPlotItem()
            item.setTitle(label)
            item.setLabel("bottom", "epoch")
            _frame(item)
            item.getViewBox().sigTransformChanged.connect(partial(self._stagger_labels, metric))
            self.plots[metric] = widget
            layout.addWidget(widget)
        self.plots["accuracy"].setXLink(self.plots["loss"])
        self.plots["accuracy"].getViewBox().sigResized.connect(self._show_accuracy_range)
        self._show_accuracy_range()
        self._planned = 1.0
        self._show_extent(self._planned)
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // REDRAW_HZ)
        self._timer.timeout.connect(self.redraw_if_dirty)
        self._timer.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.legend_row.fit(event.size().width())  # a new height before the layout runs
        super().resizeEvent(event)

    @handles(RunStarted)
    def _run_started(self, event: RunStarted) -> None:  # the run's name and planned extent
        self.run_name = Path(event.run_dir).name
        self.set_extent(sum(max(p.epochs, 1) for p in event.phases))

    @handles(PhaseStarted)
    def _phase_started(self, event: PhaseStarted) -> None:
        self.start_phase(event.name, event.epochs)

    @handles(BatchEnded)
    def _batch_ended(self, event: BatchEnded) -> None:
        self.add_batch(event.epoch, event.batch, event.steps_per_epoch, event.logs)

    @handles(EpochEnded)
    def _epoch_ended(self, event: EpochEnded) -> None:
        self.add_epoch(event.epoch, event.logs)

    def show_events(self, events: list[object], run_dir: str = "") -> None:
        """Replace what is drawn with a finished run's events, drawn at once."""
        self.clear()
        self.run_name = Path(run_dir).name
        for event in events:
            self.handle(event)
        self.redraw_if_dirty()

    def clear(self) -> None:
        """Remove every run's items; the axes go back to what an empty plot shows."""
        for metric, widget in self.plots.items():
            for items in self._items[metric]:
                for attribute in vars(items).values():
                    widget.getPlotItem().removeItem(attribute)
            self._items[metric] = []
        self.timeline = Timeline()
        self._extent = 0.0
        self._show_extent(self._planned)
        loss = self.plots["loss"].getPlotItem()
        loss.setYRange(0, 1, padding=0)
        loss.enableAutoRange(axis="y")
        self._show_accuracy_range()
        self.mark_dirty()

    def _show_accuracy_range(self) -> None:
        """0 to 1 with MARKER_ROOM pixels beyond, so markers at 0 and 1 are drawn whole."""
        height = max(self.plots["accuracy"].getViewBox().height(), 8.0 * MARKER_ROOM)
        room = MARKER_ROOM / (height - 2 * MARKER_ROOM)
        self.plots["accuracy"].getPlotItem().setYRange(-room, 1 + room, padding=0)

    def _stagger_labels(self, metric: str, *_: object) -> None:
        """Move a phase label one row down where it would overlap the label before it."""
        view = self.plots[metric].getViewBox()
        labels = [items.boundary.label for items in self._items[metric]]
        stagger_labels(view, labels)

    def start_phase(self, name: str, epochs: int) -> PhaseSeries:
        series = self.timeline.start_phase(name, epochs)
        self.set_extent(series.start + max(epochs, 1))
        index = len(self.timeline.phases) - 1
        colour = PHASE_COLOURS[index % len(PHASE_COLOURS)]
        for metric, widget in self.plots.items():
            self._items[metric].append(_PhaseItems(widget.getPlotItem(), series, colour, index))
            self._stagger_labels(metric)
        self.mark_dirty()
        return series

    def set_extent(self, epochs: float) -> None:
        """Fix the x axis to the run's planned epochs, so new points do not re-lay the axes."""
        self._extent = max(self._extent, epochs)
        self._show_extent(self._extent)

    def preview_extent(self, epochs: float) -> None:
        """Empty plots show 0 to the planned epochs (a drawn run keeps its own axis)."""
        self._planned = max(float(epochs), 1.0)
        if not self.timeline.phases:
            self._show_extent(self._planned)

    def _show_extent(self, epochs: float) -> None:
        self.plots["loss"].getPlotItem().setXRange(0, max(epochs, 1.0), padding=0.02)

    def add_batch(self, epoch: int, batch: int, steps: int, logs: dict[str, float]) -> None:
        self.timeline.phases[-1].add_batch(epoch, batch, steps, logs)
        self.mark_dirty()

    def add_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        self.timeline.phases[-1].add_epoch(epoch, logs)
        self.mark_dirty()

    def set_smoothing(self, on: bool) -> None:
        self.smooth = on
        self.mark_dirty()

    def mark_dirty(self) -> None:
        self._dirty = True

    def redraw_if_dirty(self) -> None:
        """Push the buffers into the plot items (at most REDRAW_HZ times a second)."""
        if not self._dirty:
            return
        self._dirty = False
        self.redraws += 1
        for metric in METRICS:
            for series, items in zip(self.timeline.phases, self._items[metric], strict=True):
                items.update(series, metric, self.smooth)

    def title_line(self) -> str:
        """The run's name and, per phase, its epochs and best validation numbers."""
        parts = []
        for index, series in enumerate(self.timeline.phases):
            text = f"{index + 1}. {series.name}: {len(series.epoch_x)}/{series.epochs} epochs"
            best = series.best_epoch()
            if best is not None:
                loss = series.val["loss"].view()[best]
                accuracy = series.val["accuracy"].view()[best]
                text += f", best val_loss {loss:.4f}, val_acc {accuracy:.4f} (epoch {best + 1})"
            parts.append(text)
        return " · ".join([self.run_name or "ftgui run", *parts])

    def titled_image(self) -> QImage:
        """The plots as an image with the title line above them (for File → Export plots)."""
        self.redraw_if_dirty()
        plots = self.grab().toImage()
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.05)
        metrics = QFontMetrics(font)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
        text_box = metrics.boundingRect(0, 0, plots.width() - 16, 2000, flags, self.title_line())
        image = QImage(plots.width(), plots.height() + text_box.height() + 12, plots.format())
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setFont(font)
        painter.setPen(QColor("#222222"))
        painter.drawText(8, 6, plots.width() - 16, text_box.height(), flags, self.title_line())
        painter.drawImage(0, text_box.height() + 12, plots)
        painter.end()
        return image

    def curve_points(self, metric: str) -> list[int]:
        """Points drawn per phase in a plot (batches + epochs), as the plot items hold them."""
        counts = []
        for items in self._items[metric]:
            data = [item.getData()[0] for item in (items.batches, items.train, items.val)]
            counts.append(sum(len(x) for x in data if x is not None))
        return counts
