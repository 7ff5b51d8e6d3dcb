"""How the settings form lays out the fields made from the settings table: values two per row,
check boxes each with its companion beside it, the speed settings in a fold."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from ftgui.core.settings.fields import RUN, Setting
from ftgui.gui.shared.fold import Fold
from ftgui.gui.train.setting_widgets import changed_signal

# A setting laid out beside the check box it belongs to and used only while that is ticked: a
# value other than its default ticks the box (copies imply augmenting, as on the command line).
COMPANIONS = {"augment": "augment_copies"}
SPEED_KEY = "speed_settings_shown"
SPEED_TIP = (
    "Show or fold the settings that change speed, never the numbers learned: the frozen-layer "
    "cache, its RAM, mixed precision, XLA, distribution"
)


def add_fields(
    grid: QGridLayout,
    row: int,
    settings: list[Setting],
    fields: dict[str, QWidget],
    range_line: QWidget,
) -> int:
    """Lay out the settings' fields from `row`: values two per row, `range_line`, then check
    boxes, each with its companion beside it; return the next free row."""
    companions = set(COMPANIONS.values())
    boxes = [s for s in settings if isinstance(fields[s.name], QCheckBox)]
    values = [s for s in settings if s not in boxes and s.name not in companions]
    for index, setting in enumerate(values):
        line, column = row + index // 2, 2 * (index % 2)
        align = Qt.AlignmentFlag.AlignRight if column else Qt.AlignmentFlag(0)
        grid.addWidget(QLabel(setting.window_title), line, column, align)
        grid.addWidget(fields[setting.name], line, column + 1)
    row += (len(values) + 1) // 2
    grid.addWidget(range_line, row, 1, 1, 3)
    for offset, setting in enumerate(boxes):
        line = row_of(fields[setting.name])
        companion = COMPANIONS.get(setting.name)
        if companion:
            line.addSpacing(12)
            line.addWidget(QLabel(RUN[companion].window_title))
            line.addWidget(fields[companion])
        line.addStretch(1)
        grid.addLayout(line, row + 1 + offset, 1, 1, 3)
    return row + 1 + len(boxes)


def speed_fold(form: QWidget, settings: list[Setting], fields: dict[str, QWidget]) -> Fold:
    """The speed settings two per row in a fold of `form`, folded (by default) to one line
    that says what they are set to."""
    fold = Fold("Speed", SPEED_KEY, lambda: speed_summary(settings, fields), form)
    fold.button.setToolTip(SPEED_TIP)
    cells = [field_cell(s, fields[s.name]) for s in settings]
    for start in range(0, len(cells), 2):
        line = row_of(*cells[start : start + 2])
        line.addStretch(1)
        fold.rows.addLayout(line)
    for setting in settings:
        changed_signal(fields[setting.name]).connect(fold.refresh)
    return fold


def speed_summary(settings: list[Setting], fields: dict[str, QWidget]) -> str:
    """Fields in one line, e.g. "Compute frozen layers once · Cache RAM (MB): auto · XLA: auto"."""
    parts = []
    for setting in settings:
        widget = fields[setting.name]
        if isinstance(widget, QCheckBox):
            parts.append(widget.text() + ("" if widget.isChecked() else ": off"))
        elif isinstance(widget, QComboBox) and setting.optional:  # says its own title
            parts.append(widget.currentText())
        elif isinstance(widget, QComboBox):
            parts.append(f"{setting.window_title}: {widget.currentText()}")
        else:
            parts.append(f"{setting.window_title}: {widget.text()}")
    return " · ".join(parts)


def field_cell(setting: Setting, widget: QWidget) -> QWidget:
    """A field with its title in front when the widget does not show it."""
    if isinstance(widget, QCheckBox) or (setting.kind is bool and setting.optional):
        return widget
    cell = QWidget()
    layout = QHBoxLayout(cell)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel(setting.window_title))
    layout.addWidget(widget)
    return cell


def row_of(*widgets: QWidget) -> QHBoxLayout:
    """Widgets side by side; line edits take the room left."""
    layout = QHBoxLayout()
    layout.setSpacing(4)
    for widget in widgets:
        layout.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)
    return layout
