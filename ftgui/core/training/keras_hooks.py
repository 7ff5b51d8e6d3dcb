"""Keras's callback protocol in plain Python, so callbacks are module-level classes that
import nothing from Keras (core modules load TensorFlow only when a run needs it)."""

from __future__ import annotations

from typing import Any


def _nothing(*args: Any, **kwargs: Any) -> None:
    """A hook a callback leaves alone."""


_nothing._is_default = True  # type: ignore[attr-defined]  # as keras.src.utils.default marks it


class KerasHooks:
    """What `fit` calls on a callback: `set_params`, `set_model`, then `on_*` hooks.

    Subclasses define the hooks they need; every other `on_*` hook does nothing and is marked
    as Keras marks its own defaults (so Keras still dispatches batches asynchronously when
    no callback listens to them)."""

    def __init__(self) -> None:
        self.params: dict[str, Any] | None = None
        self.model: Any = None

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self.model = model

    def __getattr__(self, name: str) -> Any:
        if name.startswith("on_"):
            return _nothing
        raise AttributeError(name)
