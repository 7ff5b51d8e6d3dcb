"""Labels of phase lines that never overlap: each moves down a row where it would cover the
label before it (the rows come from `timeline.stagger_rows`)."""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QPointF

from ftgui.core.views.timeline import stagger_rows

LABEL_ROW = 1.1  # a staggered phase label moves down by this many label heights per row


def stagger_labels(view: pg.ViewBox, labels: Sequence[pg.InfLineLabel]) -> None:
    """Re-anchor `labels` (of vertical InfiniteLines, left to right) in their rows."""
    spans = []
    for label in labels:
        left = view.mapViewToScene(QPointF(label.line.value(), 0)).x()
        spans.append((left, left + label.boundingRect().width()))
    for label, row in zip(labels, stagger_rows(spans), strict=True):
        anchor = (0, -LABEL_ROW * row)
        if label.anchors[0] != anchor:
            label.anchors = [anchor, anchor]
            label.updatePosition()
