"""Score batches of images with one model at a time: probabilities and Keras's per-image loss.

After a run, all its saved models share the conv-base layers frozen in every phase; the scorer
computes those layers' outputs once per split and runs each model only above them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ftgui.core.data.arrays import memory_budget_bytes
from ftgui.core.data.dataset import Split
from ftgui.core.data.pipeline import cached_dataset
from ftgui.core.model.slices import prefix_model, tail_model
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.task_output import ClassifierOutput
from ftgui.core.training.feature_cache import frozen_prefix
from ftgui.core.training.tf_errors import tensorflow_errors

if TYPE_CHECKING:
    import keras
    import numpy as np

    from ftgui.core.training.feature_sets import KnownFeatures

Stop = Callable[[], bool]


class Scorer:
    """Probabilities and Keras's per-image loss for batches of one model, traced once.

    With a `shared_level` > 0 (conv-base layers frozen in every phase, so equal in every saved
    model of the run), each split's outputs of those layers are computed once and kept, and
    each model runs only the layers above them — the same numbers, a fraction of the work.
    """

    def __init__(
        self,
        model: keras.Model,
        output: ClassifierOutput,
        image_size: int = 0,
        shared_level: int = 0,
    ) -> None:
        import keras
        import tensorflow as tf

        self.binary = output.binary
        loss = getattr(keras.losses, output.loss)
        self.prefix = None
        self.level = shared_level
        self.shared: dict[str, list[tuple[Any, Any]]] = {}  # split → [(features, labels)]
        upper = model
        if shared_level:
            prefix = prefix_model(model, image_size, 0, shared_level)
            self.prefix = tf.function(lambda x: prefix(x, training=False), reduce_retracing=True)
            upper = tail_model(model, image_size, shared_level)

        def step(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            probabilities = upper(x, training=False)  # the output op keeps its logits, so the
            return probabilities, loss(y, probabilities)  # loss is computed as evaluate does

        self.step = tf.function(step, reduce_retracing=True)

    def adopt(self, key: str, images: Split, known: KnownFeatures, batch_size: int) -> None:
        """Use `known` outputs for `key`'s images when they are those images at the shared
        level (batched as `make_dataset` batches them)."""
        if self.prefix is None or known.level != self.level or known.files != images.files:
            return
        data = cached_dataset(known.values, images.labels, batch_size, self.binary)
        self.shared[key] = list(data)

    def _batches(self, data: Any, key: str) -> Any:
        """`data`'s batches as the step takes them: through the shared layers once per key."""
        if self.prefix is None:
            yield from data
            return
        if key in self.shared:
            yield from self.shared[key]
            return
        room = memory_budget_bytes(None) - sum(
            int(x.shape.num_elements()) * 4 for kept in self.shared.values() for x, _ in kept
        )
        kept: list[tuple[Any, Any]] | None = []
        for x, y in data:
            features = self.prefix(x)
            room -= int(features.shape.num_elements()) * 4
            kept = kept if kept is not None and room > 0 else None  # too big to keep: recompute
            if kept is not None:
                kept.append((features, y))
            yield features, y
        if kept is not None:  # every batch went through (a stop leaves the generator early)
            self.shared[key] = kept

    def score(
        self, data: Any, stop: Stop | None, what: str, key: str = ""
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(probabilities, losses) of every batch of `data`; None when `stop()` became true.

        `key` names the images (their split) for reusing the shared layers' outputs."""
        import numpy as np

        probabilities, losses = [], []
        with tensorflow_errors(f"evaluating {what}"):
            for x, y in self._batches(data, key):
                if stop is not None and stop():
                    return None
                p, loss = self.step(x, y)
                probabilities.append(p.numpy())
                losses.append(loss.numpy())
        return np.concatenate(probabilities), np.concatenate(losses)


def shared_frozen_level(config: RunConfig, models: int) -> int:
    """The conv-base layers frozen in every phase (0: none), worth sharing with several models."""
    if models < 2 or not config.phases:
        return 0
    return min(frozen_prefix(phase.trainable_layers) for phase in config.phases)
