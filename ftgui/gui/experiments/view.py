"""The Experiments tab: every run in the runs folder (sweeps' trials under their sweep), sorted
and filtered in a tree; ticked runs overlaid below; buttons for the selected run.

The folder is read in the background (`shared.tasks`) when the tab is shown and on Refresh;
ticked runs' histories too. Open, Use these settings and Resume are signals the main window
answers as File → Open run folder, Open configuration and Resume run do. Sweep… plans a sweep of
the Train tab's settings (`sweep_dialog`); `sweep_requested` (also Resume on a sweep's line)
asks the main window to run it, and `live` keeps the table and overlay in step meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QShowEvent, QStandardItem
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.errors import UserError
from ftgui.core.paths import runs_dir
from ftgui.core.settings.config import RunConfig
from ftgui.core.views.run_table import (
    RunCurves,
    RunRow,
    RunTable,
    differing_settings,
    read_run_table,
    run_curves,
    run_label,
)
from ftgui.gui.experiments.live_sweep import LiveSweep
from ftgui.gui.experiments.overlay import PALETTE, OverlayRun, RunOverlay
from ftgui.gui.experiments.run_buttons import RunButtons
from ftgui.gui.experiments.run_tree import ROW_ROLE, RunFilter, RunTreeModel
from ftgui.gui.experiments.sweep_dialog import SweepDialog
from ftgui.gui.shared.plot_export import ask_plot_path
from ftgui.gui.shared.tasks import BackgroundTask, TaskState

ALL_DATASETS = "All datasets"
DATE_COLUMN = 1
TABLE_SHARE = 40  # % of the height the table gets at first
RUN_COLUMN_WIDTH = 210  # px at most: long sweep names elide, the tooltip has the folder
LISTED_SKIPPED = 20  # folders named in the summary's tooltip


def _read_curves(folders: list[str], state: TaskState) -> dict[str, RunCurves | str]:
    """Each folder's curves, or the sentence saying why it has none."""
    found: dict[str, RunCurves | str] = {}
    for done, folder in enumerate(folders):
        state.set_progress(done, len(folders))
        try:
            found[folder] = run_curves(folder)
        except (UserError, OSError, ValueError, KeyError, TypeError) as exc:
            found[folder] = str(exc)
    return found


class ExperimentsView(QWidget):
    """The runs folder as a table of runs; `refresh()` reads it again."""

    open_requested = Signal(str)
    settings_requested = Signal(str)
    resume_requested = Signal(str)
    sweep_requested = Signal(str)  # a sweep folder to run (new, or stopped)

    def __init__(self, parent: QWidget | None = None, root: str | None = None) -> None:
        super().__init__(parent)
        self.root = root  # None: the runs folder (FTGUI_RUNS_DIR) at each refresh
        self.table = RunTable()
        self.curves: dict[str, RunCurves | str] = {}  # by folder; emptied on refresh
        self.colours: dict[str, str] = {}  # ticked folder → its colour, kept while ticked
        self.auto_tick: set[str] = set()  # resolved folders to tick once listed (a sweep's)
        self.config_source: Callable[[], RunConfig] = RunConfig  # the Train tab's settings
        self.sweep_dialog: SweepDialog | None = None
        self.live = LiveSweep(self, self)
        self.model = RunTreeModel()
        self.proxy = RunFilter()
        self.proxy.setSourceModel(self.model)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(DATE_COLUMN, Qt.SortOrder.DescendingOrder)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.dataset_box = QComboBox()
        self.dataset_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.dataset_box.addItem(ALL_DATASETS)
        self.refresh_button = QPushButton("Refre&sh")
        self.sweep_button = QPushButton("S&weep…")
        self.sweep_button.setToolTip("Try several values of the Train tab's settings in one go")
        self.summary = QLabel()
        self.export_button = QPushButton("Export o&verlay…")
        self.export_button.setToolTip("Save the overlaid curves as PNG or SVG")
        self.buttons = RunButtons()
        self.overlay = RunOverlay()
        self.table_task = BackgroundTask(self)
        self.curves_task = BackgroundTask(self)
        self._tick_timer = QTimer(self, singleShot=True, interval=0)
        self._colouring = False
        self._shown = False
        self._build_layout()
        self._connect()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("&Dataset:", buddy=self.dataset_box))
        top.addWidget(self.dataset_box)
        top.addWidget(self.refresh_button)
        top.addWidget(self.summary, 1)
        top.addWidget(self.sweep_button)
        top.addWidget(self.export_button)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addLayout(top)
        upper_layout.addWidget(self.tree, 1)
        upper_layout.addWidget(self.buttons)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(self.overlay)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        self.refresh_button.clicked.connect(self.refresh)
        self.sweep_button.clicked.connect(self.open_sweep_dialog)
        self.buttons.sweep_resume_requested.connect(self.sweep_requested)
        self.dataset_box.currentTextChanged.connect(self._filter)
        self.export_button.clicked.connect(self.export_dialog)
        self.table_task.succeeded.connect(self.show_table)
        self.table_task.progressed.connect(
            lambda done, total: self.summary.setText(f"Reading {done:,} of {total:,} folders…")
        )
        self.table_task.failed.connect(
            lambda error: self.summary.setText(f"Cannot read the runs folder ({error}).")
        )
        self.curves_task.succeeded.connect(self._curves_read)
        self.model.itemChanged.connect(self._item_changed)
        self._tick_timer.timeout.connect(self._ticks_changed)
        self.tree.selectionModel().currentRowChanged.connect(self._current_changed)
        for name in ("open_requested", "settings_requested", "resume_requested"):
            getattr(self.buttons, name).connect(getattr(self, name).emit)

    # -- reading the runs folder ----------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown:  # the table a third of the height, the overlay the rest
            self._shown = True
            height = sum(self.splitter.sizes())
            self.splitter.setSizes(
                [height * TABLE_SHARE // 100, height * (100 - TABLE_SHARE) // 100]
            )
        self.refresh()

    def folder(self) -> Path:
        return Path(self.root) if self.root is not None else runs_dir()

    def refresh(self) -> None:
        """Read the runs folder again in the background (a read still going is dropped)."""
        root = self.folder()
        self.summary.setText(f"Reading {root}…")
        self.table_task.start(lambda state: read_run_table(root, state.set_progress))

    def is_reading(self) -> bool:
        return self.table_task.is_running() or self.curves_task.is_running()

    def show_table(self, table: RunTable) -> None:
        """Show `table`, keeping the ticks, the selection and the dataset filter."""
        ticked, selected = set(self.colours), self.buttons.row
        for row in table.rows():  # a running sweep's trial, once it is listed
            if str(Path(row.folder).resolve()) in self.auto_tick:
                self.auto_tick.discard(str(Path(row.folder).resolve()))
                ticked.add(row.folder)
        self.table, self.curves = table, {}
        self._colouring = True
        self.model.show_table(table)
        self.model.tick(ticked)
        self._colouring = False
        self._fill_datasets(table.datasets())
        self.tree.expandAll()
        for column in range(self.model.columnCount()):
            self.tree.resizeColumnToContents(column)
        self.tree.setColumnWidth(0, min(self.tree.columnWidth(0), RUN_COLUMN_WIDTH))
        self._summarise(table)
        self._select(selected.folder if selected is not None else None)
        self._filter()
        self._ticks_changed()

    def _fill_datasets(self, datasets: list[str]) -> None:
        current = self.dataset_box.currentText()
        self.dataset_box.blockSignals(True)
        self.dataset_box.clear()
        self.dataset_box.addItems([ALL_DATASETS, *datasets])
        self.dataset_box.setCurrentText(current if current in datasets else ALL_DATASETS)
        self.dataset_box.blockSignals(False)

    def _summarise(self, table: RunTable) -> None:
        runs, sweeps = len(table.rows()), len(table.sweeps)
        if not runs:
            text = f"No runs yet in {self.folder()}: train one in the Train tab."
        else:
            text = f"{runs:,} run{'s' * (runs != 1)}"
            text += f" ({sweeps} sweep{'s' * (sweeps != 1)})" if sweeps else ""
            text += f" in {self.folder()}"
        if table.skipped:
            text += f"; {len(table.skipped)} folder(s) skipped (hover for why)"
        self.summary.setText(text)
        lines = [f"{Path(folder).name}: {why}" for folder, why in table.skipped[:LISTED_SKIPPED]]
        self.summary.setToolTip("\n".join(lines))

    def _filter(self, *_: object) -> None:
        """Show one dataset's runs, and only the settings that differ between them."""
        dataset = self.dataset_box.currentText()
        self.proxy.set_dataset("" if dataset == ALL_DATASETS else dataset)
        shown = set(differing_settings(self.proxy.visible_rows()))
        first = self.model.first_setting_column
        for offset, flag in enumerate(self.model.settings):
            self.tree.setColumnHidden(first + offset, flag not in shown)

    def _select(self, folder: str | None) -> None:
        for item in self.model.run_items():
            if item.data(ROW_ROLE).folder == folder:
                index = self.proxy.mapFromSource(item.index())
                self.tree.setCurrentIndex(index)
                return
        self.buttons.set_row(None)

    def _current_changed(self, current: QModelIndex, _: QModelIndex) -> None:
        self.buttons.set_row(current.data(ROW_ROLE) if current.isValid() else None)

    # -- ticks and the overlay ------------------------------------------------------------
    def _item_changed(self, item: QStandardItem) -> None:
        if item.column() != 0 or not item.isCheckable() or self._colouring:
            return
        self._colouring = True  # what follows changes check states without coming back here
        self.model.propagate_tick(item)
        self._colouring = False
        self._tick_timer.start()  # a sweep's tick changes each trial: redraw once

    def _ticks_changed(self) -> None:
        rows = self.model.ticked()
        folders = [row.folder for row in rows]
        self.colours = {f: c for f, c in self.colours.items() if f in folders}
        for folder in folders:
            if folder not in self.colours:
                free = [c for c in PALETTE if c not in self.colours.values()] or list(PALETTE)
                self.colours[folder] = free[0]
        missing = [f for f in folders if f not in self.curves]
        if missing:
            self.curves_task.start(lambda state: _read_curves(missing, state))
        self._draw()

    def _curves_read(self, found: dict[str, RunCurves | str]) -> None:
        self.curves.update(found)
        self._draw()

    def _draw(self) -> None:
        rows = {row.folder: row for row in self.model.ticked()}
        drawn = [  # in the order they were ticked
            (rows[folder], curves)
            for folder in self.colours
            if isinstance(curves := self.curves.get(folder), RunCurves)
        ]
        flags = differing_settings(row for row, _ in drawn)
        runs = [OverlayRun(run_label(r, flags), self.colours[r.folder], c) for r, c in drawn]
        self.overlay.show_runs(runs)
        self.export_button.setEnabled(bool(runs))
        self._colour_ticks()

    def _colour_ticks(self) -> None:
        """A ticked run's name carries its colour in the overlay."""
        self._colouring = True
        for item in self.model.run_items():
            folder = item.data(ROW_ROLE).folder
            colour = self.colours.get(folder)
            item.setData(QColor(colour) if colour else None, Qt.ItemDataRole.DecorationRole)
            unreadable = self.curves.get(folder)  # the sentence why it draws no curves
            item.setToolTip(unreadable if isinstance(unreadable, str) else folder)
        self._colouring = False

    def ticked_rows(self) -> list[RunRow]:
        return self.model.ticked()

    def tick(self, folders: list[str]) -> None:
        """Tick these runs one after the other, as a person clicking their boxes."""
        for count in range(1, len(folders) + 1):
            self.model.tick(set(folders[:count]))
            self._ticks_changed()

    def set_running(self, running: bool) -> None:
        self.buttons.set_running(running)
        self.sweep_button.setEnabled(not running)

    # -- sweeps ---------------------------------------------------------------------------
    def open_sweep_dialog(self) -> SweepDialog:
        """Sweep…: the Train tab's current settings and their neighbours, ready to start."""
        dialog = SweepDialog(self.config_source(), self)
        dialog.started.connect(self.sweep_requested)
        dialog.open()
        self.sweep_dialog = dialog
        return dialog

    def tick_when_listed(self, folder: str) -> None:
        """Tick the run in `folder` (resolved) as soon as a refresh lists it."""
        self.auto_tick.add(folder)

    def reload_curves(self, folder: str) -> None:
        """Read a ticked run's curves again (it is training); drawn when read."""
        stale = [
            f for f in self.colours if f not in self.curves or str(Path(f).resolve()) == folder
        ]
        if stale:
            self.curves_task.start(lambda state: _read_curves(stale, state))

    # -- export ---------------------------------------------------------------------------
    def export_dialog(self) -> None:
        path = ask_plot_path(self, "Export overlay", "runs.png")
        if path:
            self.export(path)

    def export(self, path: str) -> bool:
        written = self.overlay.export(path)
        if not written:
            self.summary.setText(f"Cannot write {path}; choose another folder.")
        return written
