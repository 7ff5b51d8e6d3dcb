"""The File menu's work: configurations, run folders, resume, the Kaggle import, plots, recents.

Reading a run folder and importing a dataset run as background tasks; results come back as
signals the window wires to the editors, the curves and the run controller.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QProgressDialog, QWidget

from ftgui.core.data.kaggle import import_dogs_vs_cats
from ftgui.core.errors import UserError
from ftgui.core.events import Event
from ftgui.core.paths import runs_dir
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.resume import load_run_config, plan_resume
from ftgui.core.training.run_folder import (
    RunFolder,
)
from ftgui.core.training.run_summary import RunSummary
from ftgui.core.views.opened_run import read_run
from ftgui.gui.shared.app_settings import remember_folder, start_folder, window_settings
from ftgui.gui.shared.plot_export import ask_plot_path, render_svg
from ftgui.gui.shared.tasks import BackgroundTask, TaskState
from ftgui.gui.train.curves import CurvesWidget
from ftgui.gui.train.setting_widgets import window_words

MAX_RECENT = 8
SHOW_PROGRESS_AFTER_MS = 500


def with_suffix(path: str, suffix: str) -> str:
    """`path` with `suffix` added when the name has none (a dialog may return it bare)."""
    return path if Path(path).suffix else path + suffix


def recent_label(path: str) -> str:
    """How the Recent menu shows a path: "Run: name — folder" or "Config: file — folder"."""
    kind = "Run" if Path(path).is_dir() else "Config"
    return f"{kind}: {Path(path).name} — {Path(path).parent}"


def runs_start() -> str:
    """Where run-folder dialogs open: the runs folder when it exists, else the last run opened."""
    return str(runs_dir()) if runs_dir().is_dir() else start_folder("runs")


def check_resumable(folder: str) -> RunConfig:
    """The configuration of a run that can be resumed; UserError saying why not otherwise."""
    config = load_run_config(folder)
    plan_resume(RunFolder(folder), config, arrays=False)
    return config


class FileActions(QObject):
    """Owns the File menu's actions; `config_source()` gives the configuration the editors show."""

    config_opened = Signal(object)  # RunConfig
    run_opened = Signal(str, object, object, object)  # folder, RunConfig | None, events, summary
    resume_ready = Signal(str, object)  # folder, RunConfig
    dataset_imported = Signal(str)
    errored = Signal(object, object)

    def __init__(
        self, window: QWidget, config_source: Callable[[], RunConfig], plots: CurvesWidget
    ) -> None:
        super().__init__(window)
        self.window, self.config_source, self.plots = window, config_source, plots
        self.settings = window_settings()
        self.run_task = BackgroundTask(self)
        self.import_task = BackgroundTask(self)
        self.import_progress: QProgressDialog | None = None
        self.open_config_action = self._action(
            "&Open configuration…", self.open_config_dialog, QKeySequence.StandardKey.Open
        )
        self.save_config_action = self._action(
            "&Save configuration…", self.save_config_dialog, QKeySequence.StandardKey.Save
        )
        self.open_run_action = self._action("Open &run folder…", self.open_run_dialog)
        self.resume_action = self._action(
            "Res&ume run…", self.resume_run_dialog, QKeySequence("Ctrl+Shift+R")
        )
        self.import_action = self._action(
            "&Import Dogs vs Cats train.zip…", self.import_kaggle_dialog
        )
        self.export_plots_action = self._action("&Export plots as PNG…", self.export_plots_dialog)
        self.recent_menu = QMenu("Recent", window)
        self.import_task.progressed.connect(self._import_progressed)
        self.import_task.succeeded.connect(self._import_finished)
        self.import_task.failed.connect(self._import_failed)
        self.run_task.failed.connect(self._failed)
        self.run_task.succeeded.connect(lambda result: self._run_done(result))
        self._run_done: Callable[[object], None] = lambda result: None
        self.refresh_recent_menu()

    def _action(
        self, text: str, slot: object, shortcut: QKeySequence | QKeySequence.StandardKey = None
    ) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        return action

    def fill_menu(self, menu: QMenu) -> None:
        for action in (
            self.open_config_action,
            self.save_config_action,
            self.open_run_action,
            self.resume_action,
            self.import_action,
        ):
            menu.addAction(action)
        menu.addMenu(self.recent_menu)
        menu.addSeparator()
        menu.addAction(self.export_plots_action)

    def set_running(self, running: bool) -> None:
        """While a run goes, nothing may replace its settings or start another."""
        for action in (
            self.open_config_action,
            self.open_run_action,
            self.resume_action,
            self.import_action,
        ):
            action.setEnabled(not running)
        self.recent_menu.setEnabled(not running and bool(self.recent()))

    def is_busy(self) -> bool:
        return self.run_task.is_running() or self.import_task.is_running()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, UserError):
            self.errored.emit(window_words(str(error)), "")
        else:
            self.errored.emit(f"Unexpected error: {type(error).__name__}: {error}", repr(error))

    # -- configurations -------------------------------------------------------------------
    def open_config_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open configuration", start_folder("config"), "JSON (*.json)"
        )
        if path:
            remember_folder("config", path)
            self.open_config(path)

    def open_config(self, path: str) -> bool:
        try:
            config = RunConfig.load(path)
        except UserError as exc:
            self.errored.emit(window_words(str(exc)), "")
            return False
        self.config_opened.emit(without_used_run_folder(config))
        self.remember(path)
        return True

    def save_config_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Save configuration",
            str(Path(start_folder("config")) / "config.json"),
            "JSON (*.json)",
        )
        if path:
            remember_folder("config", path)
            self.save_config(with_suffix(path, ".json"))

    def save_config(self, path: str) -> bool:
        try:
            self.config_source().save(Path(path))
        except OSError as exc:
            self.errored.emit(f"Cannot save the configuration to {path} ({exc.strerror}).", "")
            return False
        except UserError as exc:
            self.errored.emit(window_words(str(exc)), "")
            return False
        self.remember(path)
        return True

    # -- run folders ----------------------------------------------------------------------
    def open_run_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open run folder", runs_start())
        if folder:
            remember_folder("runs", folder)
            self.open_run(folder)

    def open_run(self, folder: str) -> None:
        """Read a finished or stopped run in the background; `run_opened` brings it."""
        self._run_done = lambda found: self._run_read(folder, *found)
        self.run_task.start(lambda state: read_run(folder))

    def _run_read(
        self, folder: str, config: RunConfig | None, events: list[Event], summary: RunSummary
    ) -> None:
        if config is not None:
            config.out_dir = None  # a new run from these settings goes to a new folder
        self.run_opened.emit(folder, config, events, summary)
        self.remember(folder)

    def resume_run_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, "Resume a stopped or killed run", runs_start()
        )
        if folder:
            remember_folder("runs", folder)
            self.resume_run(folder)

    def resume_run(self, folder: str) -> None:
        """Check in the background that the run can continue; `resume_ready` brings it."""
        self._run_done = lambda config: self._resumable(folder, config)
        self.run_task.start(lambda state: check_resumable(folder))

    def _resumable(self, folder: str, config: RunConfig) -> None:
        self.remember(folder)
        self.resume_ready.emit(folder, config)

    # -- the Kaggle import ----------------------------------------------------------------
    def import_kaggle_dialog(self) -> None:
        archive, _ = QFileDialog.getOpenFileName(
            self.window,
            "Kaggle's Dogs vs Cats train.zip",
            start_folder("kaggle"),
            "Zip archives (*.zip)",
        )
        if archive:
            remember_folder("kaggle", archive)
            out = QFileDialog.getExistingDirectory(
                self.window, "An empty folder for the dataset", start_folder("data")
            )
            if out:
                self.import_kaggle(archive, out)

    def import_kaggle(self, archive: str, out: str) -> None:
        """The book's 1000 / 500 / 500 split per class, copied in the background; cancellable."""
        progress = QProgressDialog("Importing Dogs vs Cats…", "Cancel", 0, 100, self.window)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(SHOW_PROGRESS_AFTER_MS)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(self.cancel_import)
        self.import_progress = progress
        self._import_out = out

        def work(state: TaskState) -> str:
            import_dogs_vs_cats(archive, out, progress=state.set_progress)
            return out

        self.import_task.start(work)

    def cancel_import(self) -> None:
        """Stop copying; the files copied so far are removed by the import itself."""
        self.import_task.cancel()
        self._close_import_progress()

    def _import_progressed(self, done: int, total: int) -> None:
        if self.import_progress is not None:
            self.import_progress.setMaximum(total)
            self.import_progress.setValue(done)

    def _close_import_progress(self) -> None:
        if self.import_progress is not None:
            progress, self.import_progress = self.import_progress, None
            progress.canceled.disconnect(self.cancel_import)
            progress.close()
            progress.deleteLater()

    def _import_finished(self, out: str) -> None:
        self._close_import_progress()
        self.dataset_imported.emit(out)

    def _import_failed(self, error: BaseException) -> None:
        self._close_import_progress()
        self._failed(error)

    # -- plots ----------------------------------------------------------------------------
    def export_plots_dialog(self) -> None:
        path = ask_plot_path(self.window, "Export plots", "curves.png")
        if path:
            self.export_plots(path)

    def export_plots(self, path: str) -> bool:
        """The loss and accuracy plots as PNG, or as SVG when `path` ends in .svg."""
        self.plots.redraw_if_dirty()
        written = (
            render_svg(self.plots, path)
            if path.lower().endswith(".svg")
            else self.plots.titled_image().save(path, "PNG")
        )
        if not written:
            self.errored.emit(f"Cannot write {path}; choose another folder.", "")
            return False
        return True

    # -- recent files ---------------------------------------------------------------------
    def remember(self, path: str) -> None:
        """Put a configuration or run folder (opened, saved or trained) first in Recent."""
        recent = [p for p in self.recent() if p != str(path)]
        self.settings.setValue("recent", json.dumps([str(path), *recent][:MAX_RECENT]))
        self.refresh_recent_menu()

    def recent(self) -> list[str]:
        try:
            value = json.loads(str(self.settings.value("recent", "[]")))
        except json.JSONDecodeError:
            return []
        return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []

    def refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent():
            opener = self.open_run if Path(path).is_dir() else self.open_config
            action = self.recent_menu.addAction(recent_label(path), lambda p=path, o=opener: o(p))
            action.setToolTip(path)
        self.recent_menu.setEnabled(bool(self.recent()))


def shown_copy(config: RunConfig) -> RunConfig:
    """A resumed run's settings for the editors: Start afterwards makes a new run."""
    shown = copy.deepcopy(config)
    shown.out_dir = None
    return shown


def without_used_run_folder(config: RunConfig) -> RunConfig:
    """A run's own config.json names its folder, which already holds that run: leave the Run
    folder empty (Start then makes a new one), as opening the run folder does."""
    if config.out_dir and RunFolder(config.out_dir).holds_a_run():
        config.out_dir = None
    return config
