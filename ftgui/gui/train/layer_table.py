"""The layer table: a QAbstractTableModel over a phase's LayerPlan, with trainable checkboxes
and each trainable layer's latest measured health (the update ratio of its steps)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from ftgui.core.events import LayerHealth
from ftgui.core.settings.layer_plan import LayerPlan
from ftgui.core.views.layer_health import HealthHistory, health_tooltip, ratio_text
from ftgui.gui.train.health_column import HEALTH_ROLE, band_colour

COLUMNS = ("Train", "Block", "Layer", "Health", "Type", "Output shape", "Parameters")
TRAIN, BLOCK, NAME, HEALTH, KIND, SHAPE, PARAMS = range(len(COLUMNS))
HEALTH_HEADER_TIP = (
    "Update ratio ‖ΔW‖/‖W‖ of an optimizer step at the layer's latest epoch in this phase, "
    "on a log scale: below 1e-4 hardly learning, 1e-4 to 1e-2 healthy, above 1e-2 too fast "
    "(may destroy pretrained features). Click a layer to see it across epochs."
)
BLOCK_SHADES = ("#ffffff", "#f1f4f8")
TRAINABLE_TEXT = QColor("#12351f")
FROZEN_TEXT = QColor("#7b8794")
TRAINABLE_TINT = QColor("#e3f4e8")

Index = QModelIndex | QPersistentModelIndex
HEALTH_ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.ForegroundRole,
    HEALTH_ROLE,
)


class LayerTableModel(QAbstractTableModel):
    """Rows: the 18 conv-base layers (checkable), then the classifier head (always trainable)."""

    plan_changed = Signal()

    def __init__(self, plan: LayerPlan | None = None) -> None:
        super().__init__()
        self.plan = plan or LayerPlan()
        self.editable = True
        self.health: HealthHistory | None = None
        self.health_phase: int | None = None  # the phase whose health shows; None: the latest

    # -- health -----------------------------------------------------------------------------
    def set_health(self, history: HealthHistory | None) -> None:
        """Show the health in `history` (kept, not copied: call `health_changed` after it
        grows)."""
        self.health = history
        self.health_changed()

    def health_changed(self) -> None:
        if self.rowCount():
            last = self.rowCount() - 1
            self.dataChanged.emit(self.index(0, HEALTH), self.index(last, HEALTH))

    def health_of(self, row: int) -> LayerHealth | None:
        """What the row's Health cell shows: nothing for a frozen layer or one not measured
        (no weights, or not trained yet)."""
        if self.health is None or not self.row_trainable(row):
            return None
        return self.health.latest(self.layer_name(row), self.health_phase)

    # -- what the table shows -------------------------------------------------------------
    def set_plan(self, plan: LayerPlan) -> None:
        self.beginResetModel()
        self.plan = plan
        self.endResetModel()
        self.plan_changed.emit()

    def set_editable(self, editable: bool) -> None:
        self.editable = editable
        self._emit_all(Qt.ItemDataRole.CheckStateRole)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.plan.layers) + len(self.plan.head)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEALTH_HEADER_TIP if section == HEALTH else None
        return None

    def is_head_row(self, row: int) -> bool:
        return row >= len(self.plan.layers)

    def layer_name(self, row: int) -> str:
        if self.is_head_row(row):
            return self.plan.head[row - len(self.plan.layers)].name
        return self.plan.layers[row].name

    def row_trainable(self, row: int) -> bool:
        return self.is_head_row(row) or self.plan.is_trainable(self.layer_name(row))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        head = self.is_head_row(row)
        layer = self.plan.head[row - len(self.plan.layers)] if head else self.plan.layers[row]
        trainable = self.row_trainable(row)
        if column == HEALTH and role in HEALTH_ROLES:
            return self._health_data(row, role)
        if role == Qt.ItemDataRole.CheckStateRole and column == TRAIN:
            return Qt.CheckState.Checked if trainable else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(layer, column, head)
        if role == Qt.ItemDataRole.ToolTipRole:
            if head:
                return "The classifier head is always trained."
            state = "trainable" if trainable else "frozen (weights stay bit-identical)"
            return f"{layer.name}: {state}. Right-click to unfreeze from here."
        if role == Qt.ItemDataRole.BackgroundRole:
            if trainable and column in (TRAIN, NAME):
                return QBrush(TRAINABLE_TINT)
            block = 6 if head else layer.block
            return QBrush(QColor(BLOCK_SHADES[block % 2]))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(TRAINABLE_TEXT if trainable else FROZEN_TEXT)
        if role == Qt.ItemDataRole.FontRole and column == BLOCK:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column == PARAMS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _health_data(self, row: int, role: int) -> Any:
        health = self.health_of(row)
        if health is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return ratio_text(health.update_ratio)
        if role == Qt.ItemDataRole.ToolTipRole:
            assert self.health is not None
            return health_tooltip(health, self.health.phase_name(health.phase))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(band_colour(health.update_ratio))
        return health  # HEALTH_ROLE

    @staticmethod
    def _text(layer: Any, column: int, head: bool) -> str | None:
        if column == BLOCK:
            return "head" if head else f"block {layer.block}"
        if column == NAME:
            return layer.name
        if column == KIND:
            return layer.kind
        if column == SHAPE:
            return "×".join(str(n) for n in layer.output_shape)
        if column == PARAMS:
            return f"{layer.params:,}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsSelectable
        if not self.is_head_row(index.row()):
            flags |= Qt.ItemFlag.ItemIsEnabled
            if index.column() == TRAIN and self.editable:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    # -- edits ----------------------------------------------------------------------------
    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            role != Qt.ItemDataRole.CheckStateRole
            or index.column() != TRAIN
            or self.is_head_row(index.row())
            or not self.editable
        ):
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        self.plan.set_trainable(self.layer_name(index.row()), checked)
        row_end = self.index(index.row(), len(COLUMNS) - 1)
        self.dataChanged.emit(self.index(index.row(), 0), row_end)
        self.plan_changed.emit()
        return True

    def unfreeze_from_row(self, row: int) -> None:
        """Listing 5.22 from the layer in `row`: one range-wide dataChanged."""
        if self.is_head_row(row) or not self.editable:
            return
        self.plan.unfreeze_from(self.layer_name(row))
        self._emit_all()

    def freeze_all(self) -> None:
        if not self.editable:
            return
        self.plan.freeze_all()
        self._emit_all()

    def _emit_all(self, *roles: int) -> None:
        last = self.index(self.rowCount() - 1, len(COLUMNS) - 1)
        self.dataChanged.emit(self.index(0, 0), last, list(roles))
        self.plan_changed.emit()
