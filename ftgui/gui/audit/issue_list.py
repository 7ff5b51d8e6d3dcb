"""The likely label errors as a gallery built for fast review.

Each item paints its thumbnail, the decision badge, "given → suggested", the self-confidence
and a bar per class (the out-of-sample probability; the given class orange, the suggested one
blue). Keys: K keep, E exclude, R then a class's number relabel (Esc forgets the R), arrows
move; a decision taken on one item moves on to the next.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ftgui.core.data.decisions import EXCLUDE, KEEP, RELABEL
from ftgui.gui.audit.issue_model import (
    DecisionRole,
    IssueModel,
    IssueRole,
    ProbabilitiesRole,
    decision_text,
)
from ftgui.gui.shared.thumbnails import ThumbnailLoader

THUMB = 112
CELL = QSize(THUMB + 40, THUMB + 74)
BARS_HEIGHT = 18
BADGE_COLORS = {
    KEEP: QColor(46, 139, 87),
    EXCLUDE: QColor(200, 40, 40),
    RELABEL: QColor(40, 90, 200),
}
GIVEN, SUGGESTED, OTHER = QColor(230, 140, 30), QColor(50, 110, 220), QColor(150, 150, 150)


class IssueDelegate(QStyledItemDelegate):
    """Paints one flagged image: thumbnail, badge, caption, confidence and per-class bars."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return CELL - QSize(6, 6)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter)
        rect = option.rect.adjusted(4, 4, -4, -4)
        issue, decision = index.data(IssueRole), index.data(DecisionRole)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        top = QRect(rect.left() + (rect.width() - THUMB) // 2, rect.top(), THUMB, THUMB)
        if pixmap is not None:
            if decision is not None and decision.action == EXCLUDE:
                painter.setOpacity(0.35)  # excluded: still there, faded
            painter.drawPixmap(top, pixmap)
            painter.setOpacity(1.0)
        if decision is not None:
            self._badge(painter, top, decision.action, decision_text(decision))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_color = option.palette.highlightedText() if selected else option.palette.text()
        painter.setPen(text_color.color())
        line = QRect(rect.left(), top.bottom() + 4, rect.width(), 16)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
        metrics = painter.fontMetrics()
        caption = metrics.elidedText(
            f"#{issue.rank} {issue.label} → {issue.suggested}",
            Qt.TextElideMode.ElideMiddle,
            line.width(),
        )
        painter.drawText(line, flags, caption)
        painter.drawText(
            line.translated(0, 16), flags, f"self-confidence {issue.self_confidence:.3f}"
        )
        classes = index.model().classes if isinstance(index.model(), IssueModel) else []
        bars = QRect(rect.left() + 6, line.bottom() + 20, rect.width() - 12, BARS_HEIGHT)
        draw_bars(painter, bars, index.data(ProbabilitiesRole) or [], classes, issue)
        painter.restore()

    def _badge(self, painter: QPainter, top: QRect, action: str, text: str) -> None:
        metrics = painter.fontMetrics()
        width = min(metrics.horizontalAdvance(text) + 10, top.width())
        badge = QRect(top.left(), top.top(), width, metrics.height() + 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BADGE_COLORS.get(action, OTHER))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)


def draw_bars(
    painter: QPainter, rect: QRect, shares: list[float], classes: list[str], issue: object
) -> None:
    """One bar per class, as tall as its probability; given class orange, suggested blue."""
    if not shares:
        return
    painter.setPen(QColor(128, 128, 128, 90))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect.adjusted(0, 0, -1, -1))
    painter.setPen(Qt.PenStyle.NoPen)
    width = rect.width() / len(shares)
    for k, share in enumerate(shares):
        name = classes[k] if k < len(classes) else ""
        color = GIVEN if name == issue.label else SUGGESTED if name == issue.suggested else OTHER
        height = round(max(0.0, min(1.0, share)) * (rect.height() - 2))
        height = max(height, 2) if name == issue.label else height  # the given class shows
        left = rect.left() + round(k * width) + 1
        right = rect.left() + round((k + 1) * width) - 1
        painter.setBrush(color)
        painter.drawRect(left, rect.bottom() - height, max(right - left, 1), height)


class IssueList(QListView):
    """The review gallery; `decision_keyed(action, label)` when a review key is pressed."""

    decision_keyed = Signal(str, str)
    relabel_armed = Signal(bool)  # R was pressed: the next number names the class

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = ThumbnailLoader(THUMB, self)
        self.issue_model = IssueModel(self.loader, self)
        self.armed = False
        self.setModel(self.issue_model)
        self.setItemDelegate(IssueDelegate(self))
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setGridSize(CELL)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(CELL.height() // 4)

    def selected_rows(self) -> list[int]:
        """The selected rows in rank order, or the current row when nothing is selected."""
        rows = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        current = self.currentIndex()
        return rows or ([current.row()] if current.isValid() else [])

    def advance(self) -> None:
        """Move to the next item (after a decision on one), selecting it alone."""
        row = self.currentIndex().row() + 1
        if 0 < row < self.issue_model.rowCount():
            self.setCurrentIndex(self.issue_model.index(row))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, text = event.key(), event.text()
        if self.armed and text.isdigit() and text != "0":
            self._arm(False)
            number = int(text)
            classes = self.issue_model.classes
            if number <= len(classes):
                self.decision_keyed.emit(RELABEL, classes[number - 1])
            return
        if key == Qt.Key.Key_K:
            self._arm(False)
            self.decision_keyed.emit(KEEP, "")
        elif key == Qt.Key.Key_E:
            self._arm(False)
            self.decision_keyed.emit(EXCLUDE, "")
        elif key == Qt.Key.Key_R:
            self._arm(True)
        elif key == Qt.Key.Key_Escape and self.armed:
            self._arm(False)
        else:
            super().keyPressEvent(event)

    def _arm(self, on: bool) -> None:
        if on != self.armed:
            self.armed = on
            self.relabel_armed.emit(on)
