"""A folding section of a form: a "Title ▸" button, a one-line summary when folded, the rows
when open; open or folded is remembered between sessions (FTGUI_HOME/window.ini)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QToolButton, QVBoxLayout, QWidget

from ftgui.gui.shared.app_settings import window_settings
from ftgui.gui.shared.elided_label import ElidedLabel


class Fold(QObject):
    """The parts the form lays out: `button` in the label column, `summary` and `content` in
    the same cell beside it (only one of them is shown)."""

    def __init__(self, title: str, key: str, summary: Callable[[], str], parent: QWidget) -> None:
        """`parent` is the form: the parts belong to it before they are laid out."""
        super().__init__(parent)
        self.key, self._summary = key, summary
        self.button = QToolButton(parent)
        self.button.setText(title)
        self.button.setCheckable(True)
        self.button.setAutoRaise(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setStyleSheet("QToolButton { border: none; padding: 1px; }")  # flat when open
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.summary = ElidedLabel(parent=parent)
        self.summary.setStyleSheet("color: palette(mid);")
        self.content = QWidget(parent)
        self.rows = QVBoxLayout(self.content)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(3)
        self.button.toggled.connect(self._toggled)
        self.button.setChecked(window_settings().value(key, False, type=bool))
        self._toggled(self.button.isChecked())

    def is_open(self) -> bool:
        return self.button.isChecked()

    def set_open(self, shown: bool) -> None:
        self.button.setChecked(shown)

    def refresh(self) -> None:
        """Say again in the folded line what the rows hold."""
        self.summary.setText(self._summary())

    def _toggled(self, shown: bool) -> None:
        self.button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.content.setVisible(shown)
        self.summary.setVisible(not shown)
        self.refresh()
        window_settings().setValue(self.key, shown)
