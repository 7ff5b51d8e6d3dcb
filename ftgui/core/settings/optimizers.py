"""The optimizers a phase can use, described once: name, the window's label, the Keras class.

The settings table takes its choices and help from here, the phase editor its labels and
`model.build.make_optimizer` the Keras constructor. No TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: `keras.optimizers.<keras_class>(learning_rate, **options)`."""

    name: str  # in config.json
    label: str  # the window's
    keras_class: str
    options: tuple[tuple[str, float], ...] = ()  # fixed arguments besides the learning rate
    note: str = ""  # said in the help after the name

    def help_words(self) -> str:
        """E.g. "sgd with momentum 0.9", "rmsprop (the book's)"."""
        fixed = " and ".join(f"{key} {value:g}" for key, value in self.options)
        return " ".join(word for word in (self.name, self.note, fixed and f"with {fixed}") if word)


OPTIMIZER_TABLE: tuple[Optimizer, ...] = (
    Optimizer("rmsprop", "RMSprop", "RMSprop", note="(the book's)"),
    Optimizer("adam", "Adam", "Adam"),
    Optimizer("sgd", "SGD+mom.", "SGD", options=(("momentum", 0.9),)),
)
OPTIMIZERS = tuple(optimizer.name for optimizer in OPTIMIZER_TABLE)
BY_NAME = {optimizer.name: optimizer for optimizer in OPTIMIZER_TABLE}


def optimizers_help() -> str:
    """ "rmsprop (the book's), adam, or sgd with momentum 0.9"."""
    words = [optimizer.help_words() for optimizer in OPTIMIZER_TABLE]
    return f"{', '.join(words[:-1])}, or {words[-1]}"
