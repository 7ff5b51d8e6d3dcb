"""The runs as a tree: plain runs at the top, each sweep's trials under the sweep; a tick box
per run, numbers sorted as numbers, a filter by dataset."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from ftgui.core.views.run_table import RunRow, RunTable, SweepGroup, differing_settings
from ftgui.gui.train.run_progress import clock_text

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2  # the RunRow, or the SweepGroup of a sweep's line
DATASET_ROLE = Qt.ItemDataRole.UserRole + 3
BEFORE = ("Run", "Date", "Dataset")
AFTER = ("Best val\nloss", "Best val\nacc", "Test\nacc", "Time", "Status")  # narrow columns
TIPS = {
    "Run": "Tick runs to overlay their curves below",
    "Dataset": "The dataset folder's name",
    "Date": "When the run started (its config.json was written)",
    "Best val\nloss": "The lowest validation loss of the run (its best model)",
    "Best val\nacc": "The validation accuracy at that epoch",
    "Test\nacc": "Accuracy of the final model on the test split, when the dataset has one",
    "Time": "Training time: the epochs of history.csv summed (a sweep's line: its trials' "
    "summed, a phase trials share counted in each)",
    "Status": "finished; stopped (resumable): Resume continues it; running?: written lately",
}
MISSING = "–"


def _number(value: float | None, digits: int = 4) -> tuple[str, float]:
    """(text, sort key): a missing number sorts after every number."""
    return (MISSING, float("inf")) if value is None else (f"{value:.{digits}f}", value)


def _item(text: str, sort: Any = None, tip: str = "") -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(text if sort is None else sort, SORT_ROLE)
    if tip:
        item.setToolTip(tip)
    return item


class RunTreeModel(QStandardItemModel):
    """Columns: Run (tick box), Date, Dataset, the settings that differ between every listed
    run, the best validation numbers, test accuracy, time and status."""

    def __init__(self) -> None:
        super().__init__()
        self.settings: list[str] = []
        self.show_table(RunTable())

    def show_table(self, table: RunTable) -> None:
        """Replace every line with `table`'s runs and sweeps (nothing ticked)."""
        self._release_rows()
        self.clear()
        self.settings = differing_settings(table.rows())
        flags = [flag.replace("-", "-\n", 1) for flag in self.settings]  # narrow: two lines
        self.setHorizontalHeaderLabels([*BEFORE, *flags, *AFTER])
        tips = [TIPS.get(h, "") for h in BEFORE] + [f"--{flag}" for flag in self.settings]
        for column, tip in enumerate(tips + [TIPS[h] for h in AFTER]):
            self.horizontalHeaderItem(column).setToolTip(tip)
        for run in table.runs:
            self.appendRow(self._run_items(run))
        for sweep in table.sweeps:
            line = self._sweep_items(sweep)
            for trial in sweep.trials:
                line[0].appendRow(self._run_items(trial))
            self.appendRow(line)

    def _release_rows(self) -> None:
        """Take every item back before clearing, children first, so each one is freed with
        its Python wrapper: items that `clear()` deletes behind a wrapper still referenced
        leave PySide6 a stale wrapper that a later object at the same address is given (a
        crash, or a QStandardItem where a widget should be)."""
        while self.rowCount():
            for item in self.takeRow(self.rowCount() - 1):
                while item.rowCount():
                    item.takeRow(item.rowCount() - 1)

    @property
    def first_setting_column(self) -> int:
        return len(BEFORE)

    def _run_items(self, row: RunRow) -> list[QStandardItem]:
        name = _item(row.name, tip=row.folder)
        name.setCheckable(True)
        loss, loss_key = _number(row.best_val_loss)
        accuracy, accuracy_key = _number(row.best_val_accuracy)
        test, test_key = _number(row.test_accuracy)
        best = f"best epoch {row.best_epoch} of {row.epochs}" if row.best_epoch else ""
        items = [
            name,
            _item(time.strftime("%Y-%m-%d %H:%M", time.localtime(row.date)), row.date),
            _item(row.dataset),
            *(_item(row.settings.get(flag, MISSING)) for flag in self.settings),
            _item(loss, loss_key, best),
            _item(accuracy, accuracy_key, best),
            _item(test, test_key),
            _item(clock_text(round(row.seconds)), row.seconds),
            _item(row.status),
        ]
        for item in items:
            item.setData(row, ROW_ROLE)
            item.setData(row.dataset, DATASET_ROLE)
        return items

    def _sweep_items(self, sweep: SweepGroup) -> list[QStandardItem]:
        """The sweep's own line: its name, date, and its best trial's numbers."""
        best = sweep.best
        name = _item(f"{sweep.name} ({len(sweep.trials)} trials)", sweep.name, sweep.folder)
        name.setCheckable(True)  # ticking the sweep ticks every trial (ExperimentsView)
        loss, loss_key = _number(best.best_val_loss if best else None)
        accuracy, accuracy_key = _number(best.best_val_accuracy if best else None)
        test, test_key = _number(best.test_accuracy if best else None)
        seconds = sum(t.seconds for t in sweep.trials)
        datasets = sorted({t.dataset for t in sweep.trials if t.dataset})
        done = sum(t.status == "finished" for t in sweep.trials)
        items = [
            name,
            _item(time.strftime("%Y-%m-%d %H:%M", time.localtime(sweep.date)), sweep.date),
            _item(", ".join(datasets)),
            *(_item("") for _ in self.settings),
            _item(loss, loss_key, f"best trial: {best.name}" if best else ""),
            _item(accuracy, accuracy_key),
            _item(test, test_key),
            _item(clock_text(round(seconds)), seconds),
            _item(f"sweep: {done}/{len(sweep.trials)} finished"),
        ]
        for item in items:
            item.setData(sweep, ROW_ROLE)
            item.setData(datasets[0] if len(datasets) == 1 else "", DATASET_ROLE)
        return items

    def run_items(self) -> list[QStandardItem]:
        """The tick-box items of every run and trial (not of the sweeps' own lines)."""
        found = []
        for top in range(self.rowCount()):
            item = self.item(top, 0)
            if isinstance(item.data(ROW_ROLE), RunRow):
                found.append(item)
            found += [item.child(r, 0) for r in range(item.rowCount())]
        return found

    def ticked(self) -> list[RunRow]:
        checked = Qt.CheckState.Checked
        return [i.data(ROW_ROLE) for i in self.run_items() if i.checkState() == checked]

    def tick(self, folders: set[str]) -> None:
        """Tick the runs whose folders are in `folders` (and untick the others)."""
        for item in self.run_items():
            checked = item.data(ROW_ROLE).folder in folders
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.propagate_tick(item)

    def propagate_tick(self, item: QStandardItem) -> None:
        """A sweep's tick goes to its trials; a trial's shows on its sweep (all, some, none)."""
        if isinstance(item.data(ROW_ROLE), SweepGroup):
            for row in range(item.rowCount()):
                item.child(row, 0).setCheckState(item.checkState())
        elif item.parent() is not None:
            sweep = item.parent()
            states = {sweep.child(r, 0).checkState() for r in range(sweep.rowCount())}
            some = Qt.CheckState.PartiallyChecked
            sweep.setCheckState(states.pop() if len(states) == 1 else some)


class RunFilter(QSortFilterProxyModel):
    """Sorts by each column's SORT_ROLE; `dataset` ("" for all) hides the runs of others (a
    sweep stays while one of its trials is shown)."""

    def __init__(self) -> None:
        super().__init__()
        self.dataset = ""
        self.setSortRole(SORT_ROLE)
        self.setRecursiveFilteringEnabled(True)

    def set_dataset(self, dataset: str) -> None:
        self.dataset = dataset
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self.dataset:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        return isinstance(index.data(ROW_ROLE), RunRow) and index.data(DATASET_ROLE) == (
            self.dataset
        )

    def visible_rows(self) -> list[RunRow]:
        """The runs and trials the filter lets through."""
        rows: list[RunRow] = []
        for top in range(self.rowCount()):
            index = self.index(top, 0)
            if isinstance(index.data(ROW_ROLE), RunRow):
                rows.append(index.data(ROW_ROLE))
            rows += [self.index(r, 0, index).data(ROW_ROLE) for r in range(self.rowCount(index))]
        return rows
