"""The layers box: one phase's trainable checkboxes, parameter totals and unfreeze shortcuts;
during and after a run each layer's health, its bands' legend, and a clicked layer's plot."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.settings.config import BOOK_UNFREEZE_FROM
from ftgui.core.settings.layer_plan import LayerPlan
from ftgui.core.settings.vgg16 import layer_names, vgg16_layers
from ftgui.gui.train.health_column import HealthDelegate, HealthLegend
from ftgui.gui.train.health_plot import HealthPlot
from ftgui.gui.train.health_store import HealthEvents
from ftgui.gui.train.layer_table import HEALTH, LayerTableModel

ROW_HEIGHT = 22
CONTEXT_ROWS = 3  # rows shown below the lowest trainable layer when a phase is shown
MIN_ROWS = 6  # layer rows the box keeps visible in the smallest window


def trains_text(trainable: list[str] | set[str]) -> str:
    """What a phase trains, in a few words: "head only" or "head + 3 conv"."""
    convs = sum(
        1 for layer in vgg16_layers(64) if layer.kind == "Conv2D" and layer.name in trainable
    )
    return f"head + {convs} conv" if convs else "head only"


class LayersBox(QGroupBox):
    """Shows one phase's LayerPlan; `plan_edited(plan)` fires after every change a person makes.

    `health` is the event view of the run's layer health (subscribe it to the run's events;
    `health.show_events(events)` for an opened run)."""

    plan_edited = Signal(object)  # LayerPlan

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Layers", parent)
        self.model = LayerTableModel()
        self.view = QTableView()
        self.totals = QLabel()
        self.freeze_button = QPushButton("Freeze all")
        self.unfreeze_button = QPushButton("Unfreeze from selected")
        self.book_button = QPushButton(f"Book: from {BOOK_UNFREEZE_FROM}")
        self._running = False
        self.health = HealthEvents(self)
        self.legend = HealthLegend()
        self.plot = HealthPlot()
        self.model.set_health(self.health.history)
        self.freeze_button.setToolTip("Freeze every conv-base layer: only the classifier trains")
        self.unfreeze_button.setToolTip(
            "Train the selected layer and every layer after it; freeze the ones before"
        )
        self.book_button.setToolTip(
            f"The book's fine-tuning: train {BOOK_UNFREEZE_FROM} and everything after it"
        )
        self._build()
        self.model.plan_changed.connect(self._plan_changed)
        self.health.changed.connect(self._health_changed)
        self.view.clicked.connect(self._show_health_of)
        self.view.selectionModel().currentRowChanged.connect(self._show_health_of)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.freeze_button.clicked.connect(self.model.freeze_all)
        self.unfreeze_button.clicked.connect(self._unfreeze_selected)
        self.book_button.clicked.connect(
            lambda: self.model.unfreeze_from_row(layer_names().index(BOOK_UNFREEZE_FROM))
        )

    def _build(self) -> None:
        view = self.view
        view.setModel(self.model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.setItemDelegateForColumn(HEALTH, HealthDelegate(view))
        view.resizeColumnsToContents()  # once: per-change resizing is slow
        view.horizontalHeader().setSectionResizeMode(HEALTH, QHeaderView.ResizeMode.Stretch)
        view.setMinimumHeight(
            view.horizontalHeader().sizeHint().height() + MIN_ROWS * ROW_HEIGHT + 4
        )
        buttons = QHBoxLayout()
        for button in (self.freeze_button, self.unfreeze_button, self.book_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.legend.hide()  # until there is health to show
        self.plot.hide()  # until a measured layer is clicked
        layout = QVBoxLayout(self)
        layout.addWidget(view, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot)
        layout.addWidget(self.totals)
        layout.addLayout(buttons)

    def sizeHint(self) -> QSize:
        """Only the rows it cannot do without: the room left over comes through its stretch,
        after the settings above it have all they ask for."""
        return self.minimumSizeHint()

    def show_plan(self, plan: LayerPlan, title: str, phase: int | None = None) -> None:
        """Show a phase's plan, scrolled so its lowest trainable layer is in view, with the
        health measured in `phase` (0-based; None: the latest measured)."""
        self.model.health_phase = phase
        self.model.set_plan(plan)
        self.setTitle(title)
        names = layer_names()
        first = min((names.index(n) for n in plan.trainable), default=len(names))
        self.view.scrollTo(self.model.index(min(first + CONTEXT_ROWS, len(names) + 3), 0))

    def set_running(self, running: bool) -> None:
        """Nothing a run depends on is editable while it runs."""
        self._running = running
        self.model.set_editable(not running)
        for button in (self.freeze_button, self.unfreeze_button, self.book_button):
            button.setEnabled(not running)

    def _plan_changed(self) -> None:
        plan = self.model.plan
        self.totals.setText(
            f"Trainable <b>{plan.trainable_params:,}</b> · non-trainable "
            f"<b>{plan.non_trainable_params:,}</b> · total {plan.total_params:,} parameters"
        )
        self.plan_edited.emit(plan)

    def _health_changed(self) -> None:
        self.model.health_changed()
        self.legend.setVisible(bool(self.health.history))
        if self.plot.layer is not None:
            self.plot.refresh(self.health.history)

    def _show_health_of(self, index: QModelIndex) -> None:
        """A clicked (or newly selected) layer with measurements: its ratio across epochs."""
        if index.isValid():
            name = self.model.layer_name(index.row())
            if self.health.history.has(name):
                self.plot.show_layer(name, self.health.history)

    def _context_menu(self, position: QPoint) -> None:
        index = self.view.indexAt(position)
        if not index.isValid() or self._running:
            return
        menu = QMenu(self)
        row = index.row()
        if not self.model.is_head_row(row):
            name = self.model.layer_name(row)
            menu.addAction(f"Unfreeze from {name}", lambda: self.model.unfreeze_from_row(row))
        menu.addAction("Freeze all", self.model.freeze_all)
        menu.exec(self.view.viewport().mapToGlobal(position))

    def _unfreeze_selected(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        if rows:
            self.model.unfreeze_from_row(rows[0].row())
