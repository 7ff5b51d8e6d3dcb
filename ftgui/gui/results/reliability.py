"""The reliability diagram of a model's calibration: per confidence bin, how often the model
was right against how sure it was, before and after the temperature, with the diagonal a
perfectly calibrated model follows (Guo et al. 2017, figure 1)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ftgui.core.analysis.calibration import Bin, Calibration

BEFORE_COLOUR, AFTER_COLOUR, DIAGONAL_COLOUR = "#DD8452", "#4C72B0", "#999999"
BEFORE, AFTER, DIAGONAL = "before calibration", "after (temperature {:.2f})", "perfectly calibrated"


def bin_points(bins: list[Bin], calibrated: bool) -> tuple[list[float], list[float]]:
    """(mean confidence, accuracy) of each bin holding an image, before or after."""
    points = [
        (b.confidence_calibrated, b.accuracy_calibrated)
        if calibrated
        else (b.confidence, b.accuracy)
        for b in bins
        if (b.count_calibrated if calibrated else b.count)
    ]
    return [x for x, _ in points], [y for _, y in points]


def ece_text(calibration: Calibration) -> str:
    """The temperature and the expected calibration errors it gives, one split a line."""
    rule = "lowest validation NLL" if calibration.fit == "nll" else "lowest validation ECE"
    validation = calibration.validation
    lines = [
        f"Temperature <b>{calibration.temperature:.3f}</b> ({rule}).",
        f"Validation ECE {calibration.ece_before:.4f} → <b>{calibration.ece_after:.4f}</b> "
        f"({validation.images} images, fitted on them)",
    ]
    test = calibration.test
    if test is None:
        lines.append("No test split: nothing held out to check the temperature on.")
    else:
        lines.append(
            f"Test ECE {test.ece_before:.4f} → <b>{test.ece_after:.4f}</b> "
            f"({test.images} images, held out)"
        )
    return "<br>".join(lines)


def missing_text(run_dir: str, model: str) -> str:
    """What to do when a model has no calibration yet."""
    return (
        f"{model} has no calibration yet: press Calibrate, or run "
        f"<code>python main.py calibrate {run_dir} --model {model}</code>"
    )


class ReliabilityPlot(pg.PlotWidget):
    """Accuracy against mean confidence per bin (validation), before and after calibration."""

    def __init__(self, parent: QWidget | None = None) -> None:
        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        super().__init__(parent)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        item.setLabel("bottom", "mean confidence in the bin")
        item.setLabel("left", "accuracy in the bin")
        item.setTitle("Reliability (validation, 15 bins)", size="9pt")
        item.showGrid(x=True, y=True, alpha=0.15)
        self.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.02)
        self.legend = item.addLegend(offset=(8, 8), labelTextSize="8pt")
        dashed = pg.mkPen(DIAGONAL_COLOUR, width=1, style=Qt.PenStyle.DashLine)
        self.diagonal = item.plot([0, 1], [0, 1], pen=dashed, name=DIAGONAL)
        self.before = item.plot(
            pen=pg.mkPen(BEFORE_COLOUR, width=1.5),
            symbol="o",
            symbolSize=8,
            symbolBrush=BEFORE_COLOUR,
            symbolPen=None,
            name=BEFORE,
        )
        self.after = item.plot(
            pen=pg.mkPen(AFTER_COLOUR, width=1.5),
            symbol="s",
            symbolSize=8,
            symbolBrush=AFTER_COLOUR,
            symbolPen=None,
            name=AFTER.format(1.0),
        )
        self.setMinimumSize(240, 220)

    def set_calibration(self, calibration: Calibration | None) -> None:
        """Draw `calibration`'s validation bins; None empties the plot (the diagonal stays)."""
        bins = calibration.bins if calibration is not None else []
        self.before.setData(*bin_points(bins, calibrated=False))
        self.after.setData(*bin_points(bins, calibrated=True))
        temperature = calibration.temperature if calibration is not None else 1.0
        self.legend.getLabel(self.after).setText(AFTER.format(temperature))

    def points(self) -> tuple[tuple[list[float], list[float]], ...]:
        """((x, y) before, (x, y) after) as drawn."""
        return tuple(_drawn(item) for item in (self.before, self.after))


def _drawn(item: pg.PlotDataItem) -> tuple[list[float], list[float]]:
    x, y = item.getData()
    return ([] if x is None else [float(v) for v in x], [] if y is None else [float(v) for v in y])
