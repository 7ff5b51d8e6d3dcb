"""Plots written to files: SVG (vectors) from a widget's painting."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPoint
from PySide6.QtGui import QPainter, QTransform
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QGraphicsView, QWidget

from ftgui.gui.shared.app_settings import remember_folder, start_folder

SVG = "http://www.w3.org/2000/svg"
SHAPES = {f"{{{SVG}}}{tag}" for tag in ("path", "polyline", "polygon")}
NUMBER = r"-?[\d.]+(?:e[-+]?\d+)?"
POINT = re.compile(f"({NUMBER}),({NUMBER})")


@contextmanager
def export_mode(widget: QWidget) -> Iterator[None]:
    """Put every pyqtgraph item under `widget` in export mode, as pyqtgraph's own exporters do:
    scatter markers are then drawn as vector paths instead of fragments of their pixmap atlas
    (an SVG can only hold the whole atlas per marker) and the "A" buttons are hidden. Views
    paint their background directly, not as a cached bitmap."""
    views = [widget] if isinstance(widget, pg.GraphicsView) else []
    views += widget.findChildren(pg.GraphicsView)
    items = [i for v in views for i in v.scene().items() if isinstance(i, pg.GraphicsItem)]
    caches = [view.cacheMode() for view in views]
    for view in views:
        view.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
    for item in items:
        item.setExportMode(True, {"antialias": True})
    try:
        yield
    finally:
        for item in items:
            item.setExportMode(False)
        for view, cache in zip(views, caches, strict=True):
            view.setCacheMode(cache)


def _mapped(text: str, transform: QTransform) -> str:
    """The `x,y` pairs of path data or of a points list, mapped through `transform`."""

    def point(match: re.Match[str]) -> str:
        x, y = transform.map(float(match[1]), float(match[2]))
        return f"{x:.6g},{y:.6g}"

    return POINT.sub(point, text)


def flatten_strokes(path: str) -> None:
    """Move the transform of each group of stroked shapes into their coordinates. Qt writes
    one-pixel pens drawn in data units as a scaling transform plus `vector-effect=
    "non-scaling-stroke"`, which ImageMagick and librsvg ignore (strokes hundreds of px wide)."""
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    tree = ET.parse(path)
    for group in tree.iter(f"{{{SVG}}}g"):
        matrix = re.fullmatch(r"matrix\((.*)\)", group.get("transform", ""))
        shapes = list(group)
        if (
            matrix is None
            or group.get("stroke", "none") == "none"
            or not shapes
            or any(s.tag not in SHAPES or s.get("vector-effect") is None for s in shapes)
        ):
            continue
        transform = QTransform(*(float(n) for n in matrix[1].split(",")))
        for shape in shapes:
            attribute = "d" if shape.tag.endswith("path") else "points"
            shape.set(attribute, _mapped(shape.get(attribute, ""), transform))
        del group.attrib["transform"]
    tree.write(path, encoding="UTF-8", xml_declaration=True)


def render_svg(widget: QWidget, path: str) -> bool:
    """Paint `widget` into an SVG file as vectors; False when the file cannot be written."""
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(widget.size())
    generator.setViewBox(widget.rect())
    generator.setResolution(widget.logicalDpiX())  # text as large as on screen (default 72 dpi)
    generator.setTitle("ftgui curves")
    painter = QPainter()
    if not painter.begin(generator):
        return False
    with export_mode(widget):
        widget.render(painter, QPoint(0, 0))
    painter.end()
    if not Path(path).exists() or Path(path).stat().st_size == 0:
        return False
    flatten_strokes(path)
    return True


def ask_plot_path(parent: QWidget, title: str, name: str) -> str | None:
    """Ask where to export plots (PNG or SVG, in the folder plots last went to); the chosen
    path with the chosen format's suffix when the name has none, or None when cancelled."""
    path, chosen = QFileDialog.getSaveFileName(
        parent,
        title,
        str(Path(start_folder("plots")) / name),
        "PNG image (*.png);;SVG vector image (*.svg)",
    )
    if not path:
        return None
    remember_folder("plots", path)
    return path if Path(path).suffix else path + (".svg" if "svg" in chosen else ".png")
