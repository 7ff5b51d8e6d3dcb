"""The Train tab: settings, phases and layers on the left; Start/Stop, progress, curves right.

In a low window the settings give way first (they scroll in their own area), so the phases and
at least `layers_box.MIN_ROWS` layer rows stay in view; the left column as a whole scrolls only
when even that does not fit.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ftgui.gui.train.curves import CurvesWidget
from ftgui.gui.train.layers_box import LayersBox
from ftgui.gui.train.phase_editor import PhaseEditor
from ftgui.gui.train.run_progress import RunProgress
from ftgui.gui.train.setting_widgets import ReasonLabel
from ftgui.gui.train.settings_panel import SettingsPanel

BOX_MARGINS = (8, 4, 8, 6)  # left, top, right, bottom inside the editors' group boxes
SETTINGS_MIN_HEIGHT = 96  # the settings' scrolling area shows at least the dataset and weights


class TrainPage(QSplitter):
    """Holds and lays out the editors and the live view of a run; the window wires them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.settings_panel = SettingsPanel()
        self.phase_editor = PhaseEditor()
        self.layers_box = LayersBox()
        self.curves = CurvesWidget()
        self.progress = RunProgress()
        self.start_button = QPushButton("Start  (Ctrl+R)")
        self.stop_button = QPushButton("Stop  (Esc)")
        self.start_reason = ReasonLabel()  # beside Start: why it waits, or what was clamped
        self.smooth_box = QCheckBox("Smooth")
        self.smooth_box.setToolTip(
            "Draw smoothed epoch curves as the book does (exponential moving average, factor 0.8)"
        )
        self.start_button.setToolTip("Run every phase in order")
        self.stop_button.setToolTip("Stop at the end of this batch; finished epochs stay saved")
        self.start_button.setDefault(True)
        self.start_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 10px; }")
        for box in (self.settings_panel, self.phase_editor, self.layers_box):
            box.layout().setContentsMargins(*BOX_MARGINS)
        self.settings_area = FittedScrollArea(self.settings_panel, SETTINGS_MIN_HEIGHT)
        self.editors = FittedScrollArea(
            _column((self.settings_area, 0), (self.phase_editor, 0), (self.layers_box, 1))
        )
        self.addWidget(self.editors)
        controls = QHBoxLayout()
        for widget, stretch in (
            (self.start_button, 0),
            (self.stop_button, 0),
            (self.progress, 1),
            (self.smooth_box, 0),
        ):
            controls.addWidget(widget, stretch)
        self.addWidget(_column((controls, 0), (self.start_reason, 0), (self.curves, 1)))
        self.setStretchFactor(1, 1)
        self.setChildrenCollapsible(False)
        self.setSizes([560, 720])
        self.phase_editor.epochs_changed.connect(self.curves.preview_extent)


class FittedScrollArea(QScrollArea):
    """`content` in a frameless area that scrolls up and down (never sideways) when it is
    lower than `content`; it asks for `content`'s whole height and its width plus a scroll bar,
    and can shrink to `min_height`."""

    def __init__(self, content: QWidget, min_height: int = 0) -> None:
        super().__init__()
        self.min_height = min_height
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(content)
        content.installEventFilter(self)

    def _bar(self) -> int:
        return self.verticalScrollBar().sizeHint().width()

    def sizeHint(self) -> QSize:
        hint = self.widget().sizeHint()
        return QSize(hint.width() + self._bar(), self._content_height())

    def minimumSizeHint(self) -> QSize:
        width = self.widget().minimumSizeHint().width() + self._bar()
        return QSize(width, min(self.min_height, self._content_height()))

    def _content_height(self) -> int:
        """The content's height at the width it gets (wrapped lines count), before any
        layout: its preferred height."""
        content = self.widget()
        width = self.width() - self._bar()
        if self.isVisible() and content.hasHeightForWidth() and width > 0:
            return max(content.heightForWidth(width), content.minimumSizeHint().height())
        return content.sizeHint().height()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # lines wrap differently: another height fits the content

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # a row shown or hidden: the column lays out again
        return super().eventFilter(watched, event)


def _column(*items: tuple[object, int]) -> QWidget:
    """A widget stacking widgets and layouts top to bottom, each with its stretch."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    for item, stretch in items:
        if isinstance(item, QWidget):
            layout.addWidget(item, stretch)
        else:
            layout.addLayout(item, stretch)
    return column
