"""tf.data pipelines over the file lists of a `Dataset` (decode, resize, batch, prefetch)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ftgui.core.dataset import Split

if TYPE_CHECKING:
    import tensorflow as tf


def steps_for(split: Split, batch_size: int) -> int:
    return math.ceil(len(split) / batch_size)


def shuffled_order(count: int, seed: int) -> tf.data.Dataset:
    """Indices 0…count-1, reshuffled each epoch: one stream shared by every phase of a run.

    Cached and uncached phases read their batches through the same stream, so epoch k of the
    run sees the same batches whichever way its phase is computed.
    """
    import tensorflow as tf

    return tf.data.Dataset.range(count).shuffle(count, seed=seed, reshuffle_each_iteration=True)


def make_dataset(
    split: Split,
    image_size: int,
    batch_size: int,
    binary: bool,
    order: tf.data.Dataset | None = None,
) -> tf.data.Dataset:
    """Batches of (float32 RGB pixels 0–255, labels) in `order` (default: file order), prefetched.

    Labels are float32 of shape (1,) for a sigmoid head (`binary`), else int32 class indices.
    """
    import tensorflow as tf

    paths = tf.constant(split.files)
    labels = tf.constant(split.labels, dtype=tf.int64)
    if order is None:
        order = tf.data.Dataset.range(len(split))

    def load(index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        raw = tf.io.read_file(tf.gather(paths, index))
        image = tf.io.decode_image(raw, channels=3, expand_animations=False)
        image = tf.image.resize(image, (image_size, image_size))
        image.set_shape((image_size, image_size, 3))
        label = tf.gather(labels, index)
        if binary:
            return image, tf.reshape(tf.cast(label, tf.float32), (1,))
        return image, tf.cast(label, tf.int32)

    return (
        order.map(load, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
