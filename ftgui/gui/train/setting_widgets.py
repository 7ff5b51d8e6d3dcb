"""The window's fields, made from the settings table, and the reason line under a field."""

from __future__ import annotations

import re

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QSpinBox,
    QWidget,
)

from ftgui.core.errors import UserError
from ftgui.core.settings.fields import LAST_PHASE_SETTINGS, PHASE_SETTINGS, RUN_SETTINGS, Setting

OK_STYLE = "color: #2b7a3d;"
PENDING_STYLE = "color: #5f6b7a;"
BAD_STYLE = "color: #c0392b;"
NOTE_STYLE = "color: #b35c00;"
SUFFIXES = {"image_size": " px"}

# Core sentences speak to the command line. A UserError names the setting it is about and,
# where its advice needs other words in the window, says them (`UserError.window`). Sentences
# that arrive as plain text (from a process, or from a raise site not yet naming its setting)
# fall back on these phrases, whole phrases first, then on the flags of the settings table.
TEXT_PHRASES = (
    ("choose another --out or remove it", "pick another Run folder or remove it"),
    ("choose another --out", "pick another Run folder"),
    ("choose a folder for --out", "pick a folder as the Run folder"),
    (
        "pass --weights imagenet, none or an existing file",
        "choose Weights → ImageNet, Random init or File…",
    ),
    ("pass --weights FILE", "choose Weights → File…"),
    (
        "pass --data DIR (a folder of class folders) or --sample",
        "pick a Dataset folder (class folders inside) or Sample dataset",
    ),
    ("use --sample", "use Sample dataset"),
    ("start a new run with --config", "start a new run from File → Open configuration…"),
    ("settings with --config", "settings from File → Open configuration…"),
    ("drop --xla or --distribute mirrored", "set XLA off or Distribution to auto"),
    ("use --model final", "use the final model"),
)
# The window's controls that are not settings of the table, by the name a UserError gives.
EXTRA_CONTROLS = {
    "config": ("--config", "File → Open configuration…"),
    "resume": ("--resume", "Resume run"),
    "model": ("--model", "the model choice"),
}
FLAG = re.compile(r"--[a-z][a-z0-9-]*(?: (?:FILE|DIR|N|F))?")


def window_words(reason: str | BaseException) -> str:
    """A core sentence as the window says it: a UserError's own window sentence, else its text
    with the flags replaced by the names of the window's controls."""
    if isinstance(reason, UserError) and reason.window:
        return reason.window
    text = str(reason)
    if not (isinstance(reason, UserError) and reason.setting):
        for cli, window in TEXT_PHRASES:
            text = text.replace(cli, window)
    return FLAG.sub(lambda match: _control_name(match.group(0)), text).replace("….", "…")


def _controls() -> dict[str, str]:
    """Flag (or flag stem) → the window's name for its control."""
    settings = (*RUN_SETTINGS, *PHASE_SETTINGS, *LAST_PHASE_SETTINGS)
    controls = {s.flag: s.window_title for s in settings if s.flag}
    controls.update(dict(EXTRA_CONTROLS.values()))
    return controls


def _control_name(flag_text: str) -> str:
    return _controls().get(flag_text.split(" ")[0]) or flag_text


class ReasonLabel(QLabel):
    """A small line under a field: green when fine, red with the reason when not."""

    noted = Signal(str)  # a note was shown (in the window's words)

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.problem = ""
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.setFont(font)

    def setText(self, text: str) -> None:
        """An empty line takes no room."""
        super().setText(text)
        self.setHidden(not text)

    def show_ok(self, text: str) -> None:
        self.problem = ""
        self.setStyleSheet(OK_STYLE)
        self.setText(text)

    def show_pending(self, text: str) -> None:
        """Not known yet: Start waits, and the line says what is being worked out."""
        self.problem = text
        self.setStyleSheet(PENDING_STYLE)
        self.setText(text)

    def show_problem(self, reason: str | UserError) -> None:
        """A reason Start waits for, in the window's words (control names, not flags)."""
        self.problem = window_words(reason)
        self.setStyleSheet(BAD_STYLE)
        self.setText(self.problem)

    def show_note(self, text: str) -> None:
        """Something the window changed for the person (a clamped value); Start does not wait."""
        self.problem = ""
        self.setStyleSheet(NOTE_STYLE)
        self.setText(window_words(text))
        self.noted.emit(self.text())

    def mirror(self, source: ReasonLabel | None, prefix: str = "") -> None:
        """Show `source`'s problem in its colour after `prefix`; nothing when None."""
        self.problem = source.problem if source is not None else ""
        self.setStyleSheet(source.styleSheet() if source is not None else OK_STYLE)
        self.setText(f"{prefix}{self.problem}" if self.problem else "")


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
    if isinstance(widget, QAbstractSpinBox):  # its text, most of the box, names the range
        widget.lineEdit().setToolTip(range_tooltip(setting.help, widget))
    return widget


def range_tooltip(help_text: str, spin: QSpinBox | QDoubleSpinBox) -> str:
    """The setting's help with the range the spin box accepts."""
    auto = ", lowest = auto" if spin.specialValueText() else ""
    return f"{help_text} (range {range_text(spin)}{auto})"


def range_text(spin: QSpinBox | QDoubleSpinBox) -> str:
    """ "32–512 px": the values a spin box accepts, as it shows them."""
    low, high = spin.minimum(), spin.maximum()
    if spin.specialValueText():
        low += spin.singleStep()
    if isinstance(spin, QDoubleSpinBox):
        return f"{low:.{spin.decimals()}f}–{high:.{spin.decimals()}f}{spin.suffix()}"
    return f"{low:,}–{high:,}{spin.suffix()}"


class _RangeReporting:
    """Mixin for spin boxes: typed text outside the range is clamped (on Enter, focus-out or
    `interpretText`), and `out_of_range(message)` says so afterwards, every time, instead of
    Qt's silent refusal of the keys."""

    def _init_range(self) -> None:
        self._typed = ""
        self.editingFinished.connect(self._report_clamp)

    def _number(self, text: str) -> float | None:
        core = text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip()
        try:
            return float(core.replace(",", ""))
        except ValueError:
            return None

    def validate(self, text: str, pos: int) -> object:
        result = super().validate(text, pos)
        state = result[0] if isinstance(result, tuple) else result
        if state == QValidator.State.Invalid and self._number(text) is not None:
            return (QValidator.State.Intermediate, text, pos)
        return result

    def fixup(self, text: str) -> str:
        number = self._number(text)
        if number is None or self.minimum() <= number <= self.maximum():
            return super().fixup(text)
        self._typed = text.strip()
        QTimer.singleShot(0, self._report_clamp)  # however the text was interpreted
        clamped = min(max(number, self.minimum()), self.maximum())
        return self.textFromValue(type(self.value())(clamped))

    def _report_clamp(self) -> bool:
        """Say what a clamped value became, once; True when there was one to say."""
        if not self._typed:
            return False
        typed, self._typed = self._typed, ""
        self.out_of_range.emit(f"{typed} is outside {range_text(self)}; set to {self.text()}.")
        return True


def commit_typed_value() -> bool:
    """Interpret the text typed in the focused spin box now (a shortcut such as Ctrl+R does not
    end its editing); True when it was out of range and clamped (its note is shown)."""
    focused = QApplication.focusWidget()
    spin = focused if isinstance(focused, _RangeReporting) else None
    if spin is None and focused is not None and isinstance(focused.parent(), _RangeReporting):
        spin = focused.parent()  # the spin box's line edit
    if spin is None:
        return False
    spin.interpretText()
    return spin._report_clamp()


class RangeSpinBox(_RangeReporting, QSpinBox):
    out_of_range = Signal(str)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._init_range()


class RangeDoubleSpinBox(_RangeReporting, QDoubleSpinBox):
    out_of_range = Signal(str)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._init_range()


def _int_spin(setting: Setting) -> QSpinBox:
    """Whole numbers in the table's range; an optional setting shows "auto" below it."""
    spin = RangeSpinBox(suffix=SUFFIXES.get(setting.name, ""))
    low = int(setting.low) - (1 if setting.optional else 0)
    spin.setRange(low, int(setting.high))
    spin.setSingleStep(int(setting.step))
    if setting.optional:
        spin.setSpecialValueText("auto")
    return spin


def _float_spin(setting: Setting) -> QDoubleSpinBox:
    """Numbers in the table's range; an open end stops one step of the last decimal inside."""
    spin = RangeDoubleSpinBox()
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
