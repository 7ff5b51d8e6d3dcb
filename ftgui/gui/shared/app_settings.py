"""The window's own settings (recent files, geometry, folds, dialog folders), kept under FTGUI_HOME.

Qt's default would be a file under ~/.config whatever FTGUI_HOME says; keeping them beside the
rest of ftgui's state means one variable moves all of it (a trial home sees no other user's runs).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from ftgui.core.paths import ftgui_home, runs_dir

SETTINGS_FILE = "window.ini"


def window_settings() -> QSettings:
    """`FTGUI_HOME/window.ini`, read afresh (FTGUI_HOME may differ between calls in tests)."""
    return QSettings(str(ftgui_home() / SETTINGS_FILE), QSettings.Format.IniFormat)


def default_folder() -> str:
    """Where a dialog with no remembered folder opens: the runs folder when it exists, else home."""
    return str(runs_dir()) if runs_dir().is_dir() else str(Path.home())


def start_folder(kind: str) -> str:
    """The folder the `kind` dialog ("data", "weights", "plots", "csv", …) last chose, if it still
    exists, else `default_folder()`: never the program's working folder."""
    folder = str(window_settings().value(f"folders/{kind}", "") or "")
    return folder if folder and Path(folder).is_dir() else default_folder()


def remember_folder(kind: str, path: str) -> None:
    """Remember `path`'s folder (or `path` itself when it is one) for the next `kind` dialog."""
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    window_settings().setValue(f"folders/{kind}", str(folder))
