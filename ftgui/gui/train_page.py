"""The Train tab: settings, phases and layers on the left; Start/Stop, progress, curves right."""

from __future__ import annotations

from PySide6.QtCore import Qt
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

from ftgui.gui.curves import CurvesWidget
from ftgui.gui.layers_box import LayersBox
from ftgui.gui.phase_editor import PhaseEditor
from ftgui.gui.run_progress import RunProgress
from ftgui.gui.settings_panel import SettingsPanel


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
        self.smooth_box = QCheckBox("Smooth")
        self.smooth_box.setToolTip(
            "Draw smoothed epoch curves as the book does (exponential moving average, factor 0.8)"
        )
        self.start_button.setToolTip("Run every phase in order")
        self.stop_button.setToolTip("Stop at the end of this batch; finished epochs stay saved")
        self.start_button.setDefault(True)
        self.start_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 10px; }")
        self.editors = _scrolling(
            _column((self.settings_panel, 0), (self.phase_editor, 0), (self.layers_box, 1))
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
        self.addWidget(_column((controls, 0), (self.curves, 1)))
        self.setStretchFactor(1, 1)
        self.setChildrenCollapsible(False)
        self.setSizes([560, 720])
        self.phase_editor.epochs_changed.connect(self.curves.preview_extent)


def _scrolling(content: QWidget) -> QScrollArea:
    """`content` in a frameless area that scrolls up and down (never sideways) when the window
    is too low for it."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(content)
    width = content.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width()
    area.setMinimumWidth(width)
    return area


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
