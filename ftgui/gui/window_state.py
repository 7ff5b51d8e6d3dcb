"""The window's geometry and splitter position, remembered between sessions (QSettings)."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

DEFAULT_SIZE = (1280, 800)


def restore_window_state(settings: QSettings, window: QMainWindow, splitter: QSplitter) -> None:
    geometry = settings.value("geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(*DEFAULT_SIZE)
    state = settings.value("splitter")
    if state is not None:
        splitter.restoreState(state)


def save_window_state(settings: QSettings, window: QMainWindow, splitter: QSplitter) -> None:
    settings.setValue("geometry", window.saveGeometry())
    settings.setValue("splitter", splitter.saveState())
