"""The image detail's two painted widgets: the image scaled to fit, and the probability bars."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

ALL_BARS_UP_TO = 20  # more classes than this: the top TOP_BARS (and the true class)
TOP_BARS = 10


def probability_rows(
    probabilities: tuple[float, ...], classes: list[str], label: int
) -> list[tuple[str, float, bool]]:
    """(class name, probability, is the true class), most probable first.

    Every class up to ALL_BARS_UP_TO classes; beyond that the top TOP_BARS plus the true class.
    """
    order = sorted(range(len(probabilities)), key=lambda i: -probabilities[i])
    if len(order) > ALL_BARS_UP_TO:
        order = order[:TOP_BARS] + ([label] if label not in order[:TOP_BARS] else [])
    return [
        (classes[i] if i < len(classes) else f"class {i}", float(probabilities[i]), i == label)
        for i in order
    ]


class ImageView(QWidget):
    """An image scaled to fit (keeping its aspect), centred; or a line of text instead."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = QImage()
        self.text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 150)

    def set_image(self, image: QImage, text: str = "") -> None:
        self.image, self.text = image, text
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(520, 400)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self.image.isNull():
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.text)
            return
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(x, y, size.width(), size.height()), self.image)


class ProbabilityBars(QWidget):
    """Horizontal bars, one per class: name, bar, value; the true class bold, in its own colour."""

    ROW = 20
    NAME_WIDTH = 110
    VALUE_WIDTH = 44
    BAR = QColor(49, 104, 142)  # viridis blue
    TRUE_BAR = QColor(230, 159, 0)  # Okabe–Ito orange: tells apart from blue for every eye

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, float, bool]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: list[tuple[str, float, bool]]) -> None:
        self.rows = rows
        self.setFixedHeight(self.ROW * len(rows) + 4)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(280, self.ROW * len(self.rows) + 4)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        track = self.palette().color(QPalette.ColorRole.Mid)
        track.setAlpha(60)
        plain, bold = QFont(self.font()), QFont(self.font())
        bold.setBold(True)
        bar_left = self.NAME_WIDTH + 6
        bar_width = max(self.width() - bar_left - self.VALUE_WIDTH - 4, 10)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row, (name, probability, is_true) in enumerate(self.rows):
            top = 2 + row * self.ROW
            painter.setFont(bold if is_true else plain)
            painter.setPen(text)
            shown = painter.fontMetrics().elidedText(
                name, Qt.TextElideMode.ElideMiddle, self.NAME_WIDTH
            )
            painter.drawText(0, top, self.NAME_WIDTH, self.ROW, right, shown)
            painter.fillRect(bar_left, top + 4, bar_width, self.ROW - 8, track)
            length = round(bar_width * min(max(probability, 0.0), 1.0))
            painter.fillRect(
                bar_left, top + 4, length, self.ROW - 8, self.TRUE_BAR if is_true else self.BAR
            )
            painter.drawText(
                bar_left + bar_width, top, self.VALUE_WIDTH, self.ROW, right, f"{probability:.3f}"
            )
