"""A setting's description: type, default, limits, help, flag and the sentences about its values.

The tables of settings are in `fields.py`. No Qt, no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftgui.core.errors import UserError

_TYPE_WORDS = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    type(None): "null",
}


@dataclass(frozen=True)
class Setting:
    """One setting of a run or of a phase: its JSON key, type, default, limits, help and flag."""

    name: str  # attribute of RunConfig / PhaseConfig and key in config.json
    kind: type  # bool, int, float, str or list
    default: Any
    label: str  # in sentences: "The {label} must be …"
    help: str  # --help text and the window's tooltip (the default is added to --help)
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False  # None is allowed and means "automatic" / "not given"
    required: bool = False  # a phase in config.json must give it
    flag: str | None = None  # phase settings: the stem of `--STEM-head` and `--STEM-finetune`
    metavar: str | None = None
    title: str = ""  # the window's label; the capitalised label when empty
    step: float = 1
    decimals: int = 0
    section: str = ""  # SPEED, or "" for the settings that shape the model and data

    @property
    def window_title(self) -> str:
        return self.title or self.label[:1].upper() + self.label[1:]

    def typed(self, value: Any, what: str) -> Any:
        """`value` read from JSON, as this setting's type (an int where a float is expected
        becomes a float); a UserError naming `what` when the type is wrong."""
        types: tuple[type, ...] = (self.kind, type(None)) if self.optional else (self.kind,)
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, types) and not (isinstance(value, bool) and self.kind is not bool):
            if self.kind is list and not all(isinstance(item, str) for item in value):
                raise UserError(f"{what} must be a list of names, not {value!r}.", self.name)
            return value
        words = " or ".join(_TYPE_WORDS[t] for t in types)
        raise UserError(f"{what} must be {words}, not {value!r}.", self.name)

    def problem(self, value: Any, where: str = "") -> str | None:
        """The one sentence saying why `value` is wrong, or None when it is fine.

        `where` names the owner, e.g. "phase 2 ('Fine-tune')"."""
        if value is None and self.optional:
            return None
        if self.choices:
            if value in self.choices:
                return None
            in_where = f" in {where}" if where else ""
            return (
                f"Unknown {self.label} {value!r}{in_where}; use one of {', '.join(self.choices)}."
            )
        if self.kind not in (int, float) or self.in_range(value):
            return None
        of_where = f" of {where}" if where else ""
        return f"The {self.label}{of_where} must be {self.range_words()}; {value!r} is not."

    def check(self, value: Any, where: str = "") -> None:
        """Raise the UserError of `problem` (about this setting) when `value` is wrong."""
        message = self.problem(value, where)
        if message:
            raise UserError(message, self.name)

    def in_range(self, value: Any) -> bool:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or (self.kind is int and not isinstance(value, int)):
            return False
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        high_ok = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return low_ok and high_ok

    def range_words(self) -> str:
        """E.g. "a whole number from 32 to 1024", "a number above 0 to 10"."""
        if self.kind is int:
            return f"a whole number from {int(self.low)} to {int(self.high)}"
        low = "above" if self.low_open else "from"
        high = "below" if self.high_open else "to"
        return f"a number {low} {self.low:g} {high} {self.high:g}"

    def help_with_default(self, default: Any = None) -> str:
        """The help text plus "(default …)" when the default is a value worth stating."""
        default = self.default if default is None else default
        if default is None or isinstance(default, bool):
            return self.help
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        return f"{self.help} (default {shown})"
