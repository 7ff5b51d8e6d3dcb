"""The classifier's output for a number of classes: the one place that decides that two
classes get one sigmoid unit (P(class 1)) and more get a softmax over all of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class ClassifierOutput:
    """Units, activation, loss and label format of a head for `num_classes` classes."""

    num_classes: int

    @classmethod
    def of_units(cls, units: int) -> ClassifierOutput:
        """The output a model's last Dense layer of `units` units stands for."""
        return cls(2 if units == 1 else units)

    @property
    def binary(self) -> bool:
        """One sigmoid unit; labels are float 0/1 of shape (1,), not class indices."""
        return self.num_classes <= 2

    @property
    def units(self) -> int:
        return 1 if self.binary else self.num_classes

    @property
    def activation(self) -> str:
        return "sigmoid" if self.binary else "softmax"

    @property
    def loss(self) -> str:
        """Keras's name of the loss (also the name of its function in `keras.losses`)."""
        return "binary_crossentropy" if self.binary else "sparse_categorical_crossentropy"

    def probabilities(self, output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities per class, predicted class) from a batch of this output.

        A sigmoid's p becomes the two columns (1 - p, p), and class 1 is predicted when
        p > 0.5, as Keras's binary accuracy counts it; a softmax is taken as it is.
        """
        import numpy as np

        if self.binary:
            p = output[:, 0].astype(np.float64)
            return np.stack([1.0 - p, p], axis=1), (output[:, 0] > 0.5).astype(np.int64)
        return output.astype(np.float64), np.argmax(output, axis=1)
