"""The curves as drawn and as exported: SVG markers, phase labels, accuracy range, legend, clear."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from ftgui.core.views.timeline import stagger_rows
from ftgui.gui.shared.plot_export import render_svg
from ftgui.gui.train.curves import CurvesWidget

SIZES = ((712, 682), (456, 522))  # the curves' size in a 1280×800 and a 1024×640 window


def _overfitting_run(curves: CurvesWidget) -> None:
    """A 1-epoch first phase, then 20 epochs whose validation loss falls, then climbs above
    where it began (late points at the top right); the best epoch is at accuracy 1.0."""
    steps = 5
    for name, epochs in (("Train classifier", 1), ("Fine-tune", 20)):
        curves.start_phase(name, epochs)
        for epoch in range(epochs):
            for batch in range(steps):
                curves.add_batch(epoch, batch, steps, {"loss": 0.6 / (epoch + 1), "accuracy": 0.8})
            val_loss = 0.7 if name != "Fine-tune" else 0.5 - 0.05 * epoch + 0.008 * epoch**2
            logs = {"loss": 0.6 / (epoch + 1), "accuracy": 0.9, "val_loss": val_loss}
            curves.add_epoch(epoch, {**logs, "val_accuracy": 1.0 if epoch >= 2 else 0.85})


def _shown(qtbot, size: tuple[int, int]) -> CurvesWidget:
    curves = CurvesWidget()
    qtbot.addWidget(curves)
    curves.resize(*size)
    curves.show()
    _overfitting_run(curves)
    curves.redraw_if_dirty()
    QApplication.processEvents()
    curves.grab()  # lays out and paints once: view transforms and labels are current
    return curves


@pytest.fixture(params=SIZES, ids=("1280x800", "1024x640"))
def curves(qtbot, request) -> CurvesWidget:
    return _shown(qtbot, request.param)


def _in_curves(curves: CurvesWidget, item: pg.GraphicsObject, rect: QRectF) -> QRectF:
    """`rect` (in `item`'s scene) in the curves widget's coordinates."""
    view = item.scene().views()[0]
    polygon = view.mapFromScene(rect)
    return QRectF(polygon.boundingRect()).translated(QPointF(view.mapTo(curves, QPoint(0, 0))))


def _markers(curves: CurvesWidget) -> list[tuple[QPointF, float]]:
    """Every scatter marker drawn: centre in the widget's coordinates and size in px."""
    found = []
    for widget in curves.plots.values():
        for item in widget.getPlotItem().listDataItems():
            scatter = item.scatter
            for spot in scatter.points() if scatter.isVisible() else []:
                centre = scatter.mapToScene(spot.pos())
                rect = _in_curves(curves, scatter, QRectF(centre, centre))
                found.append((rect.center(), float(spot.size())))
    return found


def _pixels(patch: QImage) -> np.ndarray:
    """The patch shrunk to 3×3 pixels (smoothly), as RGBA numbers."""
    small = patch.scaled(3, 3, mode=Qt.TransformationMode.SmoothTransformation)
    small = small.convertToFormat(QImage.Format.Format_RGBA8888)
    return np.frombuffer(small.constBits(), np.uint8, 3 * 3 * 4).astype(float)


def test_svg_export_draws_markers_like_the_png(curves, tmp_path):
    titled = curves.titled_image()  # File → Export plots as PNG: the title line, then the plots
    png = titled.copy(0, titled.height() - curves.height(), curves.width(), curves.height())
    png = png.convertToFormat(QImage.Format.Format_RGB32)
    assert render_svg(curves, str(tmp_path / "curves.svg"))
    svg = QImage(png.size(), QImage.Format.Format_RGB32)
    svg.fill(QColor("white"))
    painter = QPainter(svg)
    QSvgRenderer(str(tmp_path / "curves.svg")).render(painter)
    painter.end()
    markers = _markers(curves)
    assert len(markers) > 40  # epoch dots, validation squares and best stars of both plots
    differences = []
    for centre, size in markers:
        patch = QRectF(0, 0, size + 4, size + 4)
        patch.moveCenter(centre)
        # smoothed to 3×3: sub-pixel placement and antialiasing differ, shapes must not
        png_patch, svg_patch = (_pixels(image.copy(patch.toAlignedRect())) for image in (png, svg))
        differences.append(np.abs(png_patch - svg_patch).max())
    assert max(differences) < 60, differences  # a marker drawn from the sprite atlas: 110 and more
    again = curves.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    assert again == png  # export mode is undone: the window draws as before


def test_svg_strokes_stay_thin_without_non_scaling_stroke_support(curves, tmp_path):
    """librsvg and ImageMagick ignore vector-effect: no stroke may sit under a scaling transform."""
    assert render_svg(curves, str(tmp_path / "curves.svg"))
    scaled = []
    for group in ET.parse(tmp_path / "curves.svg").iter("{http://www.w3.org/2000/svg}g"):
        matrix = re.fullmatch(r"matrix\((.*)\)", group.get("transform", ""))
        if matrix and group.get("stroke", "none") != "none" and len(group):
            a, b, c, d = (abs(float(n)) for n in matrix[1].split(",")[:4])
            if max(abs(a - 1), b, c, abs(d - 1)) > 1e-6:
                scaled.append(matrix[0])
    assert not scaled


def test_phase_labels_never_overlap(curves):
    for widget in curves.plots.values():
        labels = [
            item.sceneBoundingRect()
            for item in widget.scene().items()
            if isinstance(item, pg.InfLineLabel)
        ]
        assert len(labels) == 2
        assert not labels[0].intersects(labels[1]), labels


def test_stagger_rows_moves_only_what_would_overlap():
    assert stagger_rows([(0, 100), (30, 90), (120, 150), (140, 160)]) == [0, 1, 0, 1]


def test_accuracy_markers_at_one_are_drawn_whole(curves):
    view = curves.plots["accuracy"].getViewBox()
    inside = _in_curves(curves, view, view.sceneBoundingRect())
    one = view.mapViewToScene(QPointF(0, 1))
    one_y = _in_curves(curves, view, QRectF(one, one)).center().y()
    tops = [(centre, size) for centre, size in _markers(curves) if abs(centre.y() - one_y) < 1]
    assert any(size == 16 for _, size in tops)  # the best star sits at 1.0
    for centre, size in tops:
        marker = QRectF(0, 0, size + 2, size + 2)  # with its outline
        marker.moveCenter(centre)
        assert inside.contains(marker), (marker, inside)
    low, high = view.viewRange()[1]
    ticks = view.parentItem().getAxis("left").tickValues(low, high, view.height())[0][1]
    assert max(ticks) == pytest.approx(1.0)  # still labelled 0 to 1


def test_legend_covers_no_data_point(curves):
    legends = [
        _in_curves(curves, item, item.sceneBoundingRect())
        for view in curves.findChildren(pg.GraphicsView)
        for item in view.scene().items()
        if isinstance(item, pg.LegendItem)
    ]
    assert len(legends) == 1
    points = []
    for widget in curves.plots.values():
        for item in widget.getPlotItem().listDataItems():
            x, y = item.getData()
            for point in zip(x if x is not None else [], y if y is not None else [], strict=True):
                scene = item.mapToScene(QPointF(*point))
                points.append(_in_curves(curves, item, QRectF(scene, scene)).center())
    assert len(points) > 100
    assert not [p for p in points if legends[0].contains(p)]


def test_clear_puts_the_axes_back_to_an_empty_plot(qtbot):
    curves = _shown(qtbot, SIZES[0])
    empty_accuracy = CurvesWidget()
    qtbot.addWidget(empty_accuracy)
    empty_accuracy.resize(*SIZES[0])
    empty_accuracy.show()
    QApplication.processEvents()
    loss = curves.plots["loss"].getPlotItem()
    loss.setYRange(3, 4)  # the old run's scale, zoomed by hand (auto-range off)
    curves.plots["accuracy"].getPlotItem().setYRange(0.5, 0.6)
    curves.clear()
    QApplication.processEvents()
    assert loss.getViewBox().autoRangeEnabled()[1]
    assert loss.viewRange()[1] == pytest.approx([0, 1], abs=0.05)
    accuracy = curves.plots["accuracy"].getPlotItem().viewRange()[1]
    assert accuracy == pytest.approx(empty_accuracy.plots["accuracy"].getPlotItem().viewRange()[1])
