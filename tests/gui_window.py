"""The main window the GUI tests drive, and how they fill it for a tiny run as a person would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from ftgui.core.settings.config import RunConfig
from ftgui.gui.main_window import MainWindow
from ftgui.gui.shared.app_settings import window_settings

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT_MS = 180_000


def main_window(
    qtbot,
    config: RunConfig | None = None,
    size: tuple[int, int] | None = None,
    timeout_ms: int = RUN_TIMEOUT_MS,
) -> Iterator[MainWindow]:
    """The body of conftest's `window` fixture: a shown main window with `config` (default
    settings) and no remembered state; a run still going at the end is stopped and waited for."""
    window_settings().clear()  # no recent files or geometry from an earlier test
    win = MainWindow(config or RunConfig())
    qtbot.addWidget(win)
    if size is not None:
        win.resize(*size)
    win.show()
    yield win
    if win.is_running():
        win.close_when_stopped = True
        win.stop_training()
        qtbot.waitUntil(lambda: not win.is_running(), timeout=timeout_ms)


def tiny_run(window: MainWindow, data: Path, out: Path, head: int = 2, finetune: int = 2) -> None:
    """Fill the window as a person would for a quick two-phase run."""
    window.settings_panel.data_edit.setText(str(data))
    window.settings_panel.check_dataset()
    wait_for_dataset_check(window)
    combo = window.settings_panel.weights_combo
    combo.setCurrentIndex(combo.findData("none"))
    window.settings_panel.image_size.setValue(32)
    window.settings_panel.batch_size.setValue(8)
    window.settings_panel.out_edit.setText(str(out))
    for row, epochs in enumerate((head, finetune)):
        window.phase_editor.table.cellWidget(row, 1).setValue(epochs)
        window.phase_editor.table.cellWidget(row, 3).setText("0.001")
        window.phase_editor.table.cellWidget(row, 3).textEdited.emit("0.001")


def wait_for_dataset_check(window: MainWindow) -> None:
    """The dataset field is checked off the GUI thread: wait for its answer."""
    deadline = time.monotonic() + 10
    while window.settings_panel.is_checking() and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.005)
    assert not window.settings_panel.is_checking()


def wait_for_first(window: MainWindow, qtbot, series: str) -> None:
    """Wait until phase 1's curves hold a first point of `series` (batch_x or epoch_x)."""
    phases = lambda: window.curves.timeline.phases  # noqa: E731
    qtbot.waitUntil(
        lambda: bool(phases()) and len(getattr(phases()[0], series)) >= 1, timeout=RUN_TIMEOUT_MS
    )
