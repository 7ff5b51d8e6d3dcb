"""The phase list: name, epochs, optimizer and learning rate per phase (with a Find… button for
the learning-rate finder); add, remove, reorder."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.settings.config import PhaseConfig
from ftgui.core.settings.fields import PHASE
from ftgui.core.settings.optimizers import BY_NAME
from ftgui.gui.train.setting_widgets import ReasonLabel, range_text, setting_widget

COLUMNS = ("Phase", "Epochs", "Optimizer", "Learning rate", "", "Trains")
NAME, EPOCHS, OPTIMIZER, RATE, FIND, TRAINS = range(len(COLUMNS))
BAD_FIELD = "border: 1px solid #c0392b;"
BUTTON_TIPS = {
    "add": "Add a phase after the last one (same optimizer, rate and layers as the last)",
    "remove": "Remove the selected phase",
    "up": "Run the selected phase earlier",
    "down": "Run the selected phase later",
}
TRAINS_TIP = "What the phase trains; tick the layers in the Layers box below"
FIND_TIP = (
    "Find a learning rate for this phase: a range test of up to 100 steps from the phase's "
    "starting state (the phases before it trained first); nothing is saved"
)


class PhaseEditor(QGroupBox):
    """Edits a list of PhaseConfig in place; the selected phase is the one the layer table shows."""

    changed = Signal()
    selection_changed = Signal(int)  # also when the selected phase is renamed: its title changes
    epochs_changed = Signal(int)  # the planned epochs of all phases, after every load and edit
    find_requested = Signal(int)  # Find… beside a phase's learning rate: its index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Phases (run in order)", parent)
        self.phases: list[PhaseConfig] = []
        self.running = False  # a run uses these phases: nothing may change them
        self._loading = False
        self._bad_rates: dict[int, str] = {}  # id(phase) -> text that is not a learning rate
        self.find_waits = ""  # why no run could start now, so nothing can be found either
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        for column in (EPOCHS, OPTIMIZER, RATE, FIND, TRAINS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column, tip in enumerate(self._column_tips()):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.reason = ReasonLabel()
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        buttons = QHBoxLayout()
        for button, key in (
            (self.add_button, "add"),
            (self.remove_button, "remove"),
            (self.up_button, "up"),
            (self.down_button, "down"),
        ):
            button.setToolTip(BUTTON_TIPS[key])
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.reason)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemChanged.connect(self._name_edited)
        self.add_button.clicked.connect(self.add_phase)
        self.remove_button.clicked.connect(self.remove_phase)
        self.up_button.clicked.connect(lambda: self.move_phase(-1))
        self.down_button.clicked.connect(lambda: self.move_phase(1))

    @staticmethod
    def _column_tips() -> tuple[str, ...]:
        epochs = setting_widget(PHASE["epochs"])
        return (
            "The phase's name (double-click to rename); phases run top to bottom",
            f"{PHASE['epochs'].help.capitalize()} (range {range_text(epochs)})",
            PHASE["optimizer"].help.capitalize(),
            PHASE["learning_rate"].help.capitalize(),
            FIND_TIP,
            TRAINS_TIP,
        )

    def planned_epochs(self) -> int:
        return sum(phase.epochs for phase in self.phases)

    def load(self, phases: list[PhaseConfig], select: int = 0) -> None:
        """Show `phases` (the list is edited in place)."""
        self._loading = True
        self.phases = phases
        ids = {id(phase) for phase in phases}
        self._bad_rates = {k: v for k, v in self._bad_rates.items() if k in ids}
        self.table.setRowCount(len(phases))
        for row, phase in enumerate(phases):
            self._fill_row(row, phase)
        self.table.resizeRowsToContents()
        rows = sum(self.table.rowHeight(row) for row in range(len(phases)))
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() + rows + 4)
        self._loading = False
        self._lock_cells()
        self.select(min(select, len(phases) - 1))
        self.check()
        self.epochs_changed.emit(self.planned_epochs())

    def select(self, row: int) -> None:
        self.table.selectRow(row)
        self._selection_changed()

    def selected(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else 0

    def set_trains_text(self, row: int, text: str) -> None:
        item = self.table.item(row, TRAINS)
        if item is not None:
            item.setText(text)

    def set_running(self, running: bool) -> None:
        """Lock every button and cell while a run uses the phases (selecting still works)."""
        self.running = running
        self._lock_cells()
        self._update_buttons()

    def set_find_waits(self, reason: str) -> None:
        """Find… needs settings a run could start with: `reason` is why not ("" when it could)."""
        self.find_waits = reason
        self._lock_cells()

    def set_learning_rate(self, row: int, value: float) -> None:
        """Put `value` in phase `row`'s learning rate as if typed (checked, `changed` emitted)."""
        text = f"{value:g}"
        editor = self.table.cellWidget(row, RATE)
        if isinstance(editor, QLineEdit):
            editor.setText(text)
        self._rate_typed(self.phases[row], text)

    def _lock_cells(self) -> None:
        for row in range(self.table.rowCount()):
            for column in (EPOCHS, OPTIMIZER, RATE):
                self.table.cellWidget(row, column).setEnabled(not self.running)
            find = self.table.cellWidget(row, FIND)
            find.setEnabled(not self.running and not self.find_waits)
            waits = "a run is training" if self.running else self.find_waits
            find.setToolTip(f"{FIND_TIP}. Waits: {waits}" if waits else FIND_TIP)
        triggers = QAbstractItemView.EditTrigger
        self.table.setEditTriggers(
            triggers.NoEditTriggers
            if self.running
            else triggers.DoubleClicked | triggers.EditKeyPressed
        )

    # -- edits ----------------------------------------------------------------------------
    def add_phase(self) -> None:
        last = self.phases[-1] if self.phases else None
        self.phases.append(
            PhaseConfig(
                f"Phase {len(self.phases) + 1}",
                epochs=10,
                learning_rate=last.learning_rate if last else 1e-5,
                optimizer=last.optimizer if last else "rmsprop",
                trainable_layers=list(last.trainable_layers) if last else [],
            )
        )
        self.load(self.phases, len(self.phases) - 1)
        self.changed.emit()

    def remove_phase(self) -> None:
        if len(self.phases) > 1:
            row = self.selected()
            del self.phases[row]
            self.load(self.phases, max(row - 1, 0))
            self.changed.emit()

    def move_phase(self, step: int) -> None:
        row = self.selected()
        target = row + step
        if 0 <= target < len(self.phases):
            self.phases[row], self.phases[target] = self.phases[target], self.phases[row]
            self.load(self.phases, target)
            self.changed.emit()

    def check(self) -> None:
        """Show the first invalid phase value next to the table (empty when all is well)."""
        for index, phase in enumerate(self.phases):
            editor = self.table.cellWidget(index, RATE)
            if isinstance(editor, QLineEdit):
                editor.setStyleSheet(BAD_FIELD if id(phase) in self._bad_rates else "")
        for index, phase in enumerate(self.phases):  # the rest is checked where it is read
            if id(phase) in self._bad_rates:
                text = self._bad_rates[id(phase)]
                self.reason.show_problem(PHASE["learning_rate"].problem(text, phase.label(index)))
                return
            if problem := phase.name_problem(index):
                self.reason.show_problem(problem)
                return
        self.reason.show_ok("")

    def problems(self) -> list[str]:
        return [self.reason.problem] if self.reason.problem else []

    # -- internals ------------------------------------------------------------------------
    def _fill_row(self, row: int, phase: PhaseConfig) -> None:
        item = QTableWidgetItem(phase.name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, NAME, item)
        trains = QTableWidgetItem("")
        trains.setFlags(trains.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, TRAINS, trains)
        epochs = setting_widget(PHASE["epochs"])
        epochs.setValue(phase.epochs)
        epochs.valueChanged.connect(lambda value, p=phase: self._set(p, "epochs", value))
        epochs.out_of_range.connect(lambda text, p=phase, i=row: self._clamped(p, i, text))
        self.table.setCellWidget(row, EPOCHS, epochs)
        optimizer = setting_widget(PHASE["optimizer"])
        for index in range(optimizer.count()):
            optimizer.setItemText(index, BY_NAME[optimizer.itemData(index)].label)
        optimizer.setCurrentIndex(optimizer.findData(phase.optimizer))
        optimizer.currentIndexChanged.connect(
            lambda _, p=phase, box=optimizer: self._set(p, "optimizer", box.currentData())
        )
        self.table.setCellWidget(row, OPTIMIZER, optimizer)
        rate = QLineEdit(f"{phase.learning_rate:g}")
        rate.setFixedWidth(64)
        rate.setToolTip(PHASE["learning_rate"].help)
        rate.textEdited.connect(lambda text, p=phase: self._rate_typed(p, text))
        self.table.setCellWidget(row, RATE, rate)
        find = QToolButton()
        find.setText("Find…")
        find.clicked.connect(lambda _=False, i=row: self.find_requested.emit(i))
        self.table.setCellWidget(row, FIND, find)

    def _rate_typed(self, phase: PhaseConfig, text: str) -> None:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if PHASE["learning_rate"].in_range(value):  # NaN is never in range
            self._bad_rates.pop(id(phase), None)
            self._set(phase, "learning_rate", value)
        else:
            self._bad_rates[id(phase)] = text
            self.check()
            self.changed.emit()

    def _set(self, phase: PhaseConfig, attribute: str, value: object) -> None:
        setattr(phase, attribute, value)
        self.check()
        self.changed.emit()
        if attribute == "epochs":
            self.epochs_changed.emit(self.planned_epochs())

    def _clamped(self, phase: PhaseConfig, index: int, text: str) -> None:
        """A typed epoch count was outside the range: say what it became (Start need not wait)."""
        if not self.reason.problem:
            label = phase.label(index)
            self.reason.show_note(f"{label[:1].upper()}{label[1:]}: epochs {text}")

    def _name_edited(self, item: QTableWidgetItem) -> None:
        if self._loading or item.column() != NAME:
            return
        self.phases[item.row()].name = item.text().strip()
        self.check()
        self.changed.emit()
        if item.row() == self.selected():
            self.selection_changed.emit(item.row())  # the Layers title names the phase

    def _selection_changed(self) -> None:
        self._update_buttons()
        self.selection_changed.emit(self.selected())

    def _update_buttons(self) -> None:
        """Enable what the selection allows; nothing while a run depends on the phases."""
        row, idle = self.selected(), not self.running
        self.add_button.setEnabled(idle)
        self.remove_button.setEnabled(idle and len(self.phases) > 1)
        self.up_button.setEnabled(idle and row > 0)
        self.down_button.setEnabled(idle and row < len(self.phases) - 1)
