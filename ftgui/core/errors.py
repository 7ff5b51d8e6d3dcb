"""The one exception type whose message is meant for the person using ftgui."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a missing resource, in one sentence: what is wrong and what to do.

    `setting` names what the sentence is about: a setting of the table (`fields.RUN` or
    `fields.PHASE`, e.g. "out_dir") or another control ("config", "resume", "model"). The
    sentence speaks to the command line (it names flags); the window names its control from
    `setting`, and says `window` instead when its advice needs other words than a flag's
    (e.g. "choose Weights → File…" for "pass --weights FILE").
    """

    def __init__(self, message: str, setting: str | None = None, window: str | None = None):
        super().__init__(message)
        self.setting = setting
        self.window = window

    def __reduce__(self) -> tuple[type[UserError], tuple[str, str | None, str | None]]:
        """Pickled whole (through a child process's pipe), `setting` and `window` included."""
        return type(self), (str(self), self.setting, self.window)
