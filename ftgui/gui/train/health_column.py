"""The Health column's look: band colours, the bar-and-number delegate, and the bands' legend."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ftgui.core.training.health_bands import BANDS, HARDLY_LEARNING, TOO_FAST, band_of
from ftgui.core.views.layer_health import bar_fraction

HEALTH_ROLE = Qt.ItemDataRole.UserRole + 1  # the LayerHealth a Health cell shows, or None
BAND_COLOURS = {  # hardly learning, healthy, too fast
    BANDS[0][0]: QColor("#6f86b0"),
    BANDS[1][0]: QColor("#2f9e44"),
    BANDS[2][0]: QColor("#e8590c"),
}
TRACK_COLOUR = QColor("#dde3ea")
BAR_WIDTH = 40  # px of the log-scale bar beside the number, where the column is wide enough
BAR_HEIGHT = 8
THIN_BAR = 3  # px of the bar under the number in a narrow column
PADDING = 4
LEGEND_EDGES = (f" (<{HARDLY_LEARNING:.0e})", "", f" (>{TOO_FAST:.0e})")

Index = QModelIndex | QPersistentModelIndex


def band_colour(ratio: float) -> QColor:
    return QColor(BAND_COLOURS[band_of(ratio)])


class HealthDelegate(QStyledItemDelegate):
    """Draws a Health cell: a log-scale bar in its band's colour beside the ratio's number, or
    a thin bar under the number where the column is narrow."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row = index.data(HEALTH_ROLE)
        if row is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        if opt.widget is not None:  # background, selection and focus as every other cell
            opt.widget.style().drawControl(
                QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget
            )
        colour = band_colour(row.update_ratio)
        rect = option.rect.adjusted(PADDING, 1, -PADDING, -1)
        wide = rect.width() >= BAR_WIDTH + PADDING + option.fontMetrics.horizontalAdvance(text)
        if wide:
            track = QRect(rect.left(), rect.center().y() - BAR_HEIGHT // 2 + 1, BAR_WIDTH, 0)
            track.setHeight(BAR_HEIGHT)
            text_rect = rect.adjusted(BAR_WIDTH + PADDING, 0, 0, 0)
        else:
            track = QRect(rect.left(), rect.bottom() - THIN_BAR, rect.width(), THIN_BAR)
            text_rect = rect.adjusted(0, 0, 0, -THIN_BAR)
        filled = QRect(track)
        filled.setWidth(max(round(track.width() * bar_fraction(row.update_ratio)), 2))
        painter.save()
        painter.fillRect(track, TRACK_COLOUR)
        painter.fillRect(filled, colour)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.setPen(opt.palette.highlightedText().color() if selected else colour.darker(130))
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(text_rect, int(align), text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        hint = super().sizeHint(option, index)
        width = option.fontMetrics.horizontalAdvance("8.8e-88") + 2 * PADDING + 2
        return QSize(max(hint.width(), width), hint.height())


class HealthLegend(QWidget):
    """The three bands in one line, each with its colour and edges; their meaning in tooltips."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        title = QLabel("Update ratio:")
        title.setToolTip(
            "The Health column: ‖ΔW‖ / ‖W‖ of an optimizer step, the mean over sampled steps "
            "of the layer's latest epoch, on a log scale from 1e-6 to 1 (about 1e-3 is healthy)."
        )
        layout.addWidget(title)
        self.labels: dict[str, QLabel] = {}
        for (band, meaning), edge in zip(BANDS, LEGEND_EDGES, strict=True):
            swatch = f'<span style="color:{BAND_COLOURS[band].name()}">■</span>'
            label = QLabel(f"{swatch} {band}{edge.replace('<', '&lt;').replace('>', '&gt;')}")
            label.setToolTip(f"{band}: {meaning}")
            layout.addWidget(label)
            self.labels[band] = label
        layout.addStretch(1)
