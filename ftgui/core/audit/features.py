"""The frozen base's pooled outputs of every image: global average pooling of VGG16's last
block (512 numbers per image), on the pixels the image check decoded, in batches."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig

if TYPE_CHECKING:
    import numpy as np

Stop = Callable[[], bool]
BATCH = 64


def pooled_outputs(
    config: RunConfig,
    images: list[np.ndarray],
    progress: Callable[[int, int], None] | None = None,
    stop: Stop | None = None,
) -> list[np.ndarray] | None:
    """For each uint8 N×S×S×3 array of `images`, its N×512 pooled outputs (float32); None when
    stopped. The base is built with the configured weights, as training builds it."""
    import numpy as np
    import tensorflow as tf

    from ftgui.core.model.build import build_conv_base, preprocessing_model
    from ftgui.core.training.tf_errors import tensorflow_errors

    base = build_conv_base(config.weights, config.image_size, config.seed)
    preprocess = preprocessing_model(config.image_size)

    @tf.function(reduce_retracing=True)
    def pooled(pixels: tf.Tensor) -> tf.Tensor:
        maps = base(preprocess(tf.cast(pixels, tf.float32)), training=False)
        return tf.reduce_mean(maps, axis=[1, 2])

    total, done = sum(len(a) for a in images), 0
    found = []
    with tensorflow_errors("computing the base's outputs for the audit"):
        for array in images:
            parts = []
            for start in range(0, len(array), BATCH):
                if stop is not None and stop():
                    return None
                parts.append(pooled(array[start : start + BATCH]).numpy())
                done += len(parts[-1])
                if progress is not None:
                    progress(done, total)
            width = int(base.output_shape[-1])
            found.append(np.concatenate(parts) if parts else np.zeros((0, width), np.float32))
    if not total:
        raise UserError("The dataset has no readable image to audit.")
    return found
