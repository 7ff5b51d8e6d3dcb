"""The window's fields, made from the settings table, and the reason line under a field."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QSpinBox, QWidget

from ftgui.core.settings.fields import Setting

OK_STYLE = "color: #2b7a3d;"
PENDING_STYLE = "color: #5f6b7a;"
BAD_STYLE = "color: #c0392b;"
SUFFIXES = {"image_size": " px"}


class ReasonLabel(QLabel):
    """A small line under a field: green when fine, red with the reason when not."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.problem = ""
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.setFont(font)

    def show_ok(self, text: str) -> None:
        self.problem = ""
        self.setStyleSheet(OK_STYLE)
        self.setText(text)

    def show_pending(self, text: str) -> None:
        """Not known yet: Start waits, and the line says what is being worked out."""
        self.problem = text
        self.setStyleSheet(PENDING_STYLE)
        self.setText(text)

    def show_problem(self, text: str) -> None:
        self.problem = text
        self.setStyleSheet(BAD_STYLE)
        self.setText(text)


def setting_widget(setting: Setting) -> QWidget:
    """The window's field for a setting: the table's limits, steps and choices; help as tooltip."""
    widget: QWidget
    if setting.kind is bool and setting.optional:
        widget = _auto_combo(setting.window_title)
    elif setting.kind is bool:
        widget = QCheckBox(setting.window_title)
    elif setting.choices:
        widget = QComboBox()
        for choice in setting.choices:
            widget.addItem(choice, choice)
    elif setting.kind is int:
        widget = _int_spin(setting)
    else:
        widget = _float_spin(setting)
    widget.setToolTip(setting.help)
    return widget


def _int_spin(setting: Setting) -> QSpinBox:
    """Whole numbers in the table's range; an optional setting shows "auto" below it."""
    spin = QSpinBox(suffix=SUFFIXES.get(setting.name, ""))
    low = int(setting.low) - (1 if setting.optional else 0)
    spin.setRange(low, int(setting.high))
    spin.setSingleStep(int(setting.step))
    if setting.optional:
        spin.setSpecialValueText("auto")
    return spin


def _float_spin(setting: Setting) -> QDoubleSpinBox:
    """Numbers in the table's range; an open end stops one step of the last decimal inside."""
    spin = QDoubleSpinBox()
    spin.setDecimals(setting.decimals)
    tick = 10.0**-setting.decimals
    spin.setRange(
        setting.low + (tick if setting.low_open else 0),
        setting.high - (tick if setting.high_open else 0),
    )
    spin.setSingleStep(setting.step)
    return spin


def set_widget_value(widget: QWidget, value: object) -> None:
    if isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QComboBox):
        widget.setCurrentIndex(widget.findData(value))
    elif isinstance(widget, QSpinBox) and value is None:
        widget.setValue(widget.minimum())
    else:
        widget.setValue(value)


def widget_value(widget: QWidget, setting: Setting) -> object:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return widget.currentData()
    if isinstance(widget, QDoubleSpinBox):
        return round(widget.value(), setting.decimals)
    if setting.optional and widget.value() == widget.minimum():
        return None
    return widget.value()


def changed_signal(widget: QWidget) -> object:
    if isinstance(widget, QCheckBox):
        return widget.toggled
    if isinstance(widget, QComboBox):
        return widget.currentIndexChanged
    return widget.valueChanged


def _auto_combo(name: str) -> QComboBox:
    """Auto (on with a GPU) / on / off."""
    combo = QComboBox()
    for label, value in ((f"{name}: auto", None), (f"{name}: on", True), (f"{name}: off", False)):
        combo.addItem(label, value)
    return combo
