"""Plots written to files: SVG (vectors) from a widget's painting."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget


def render_svg(widget: QWidget, path: str) -> bool:
    """Paint `widget` into an SVG file as vectors; False when the file cannot be written."""
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(widget.size())
    generator.setViewBox(widget.rect())
    generator.setTitle("ftgui curves")
    painter = QPainter()
    if not painter.begin(generator):
        return False
    widget.render(painter, QPoint(0, 0))
    painter.end()
    return Path(path).exists() and Path(path).stat().st_size > 0
