"""tf.data pipelines over the file lists of a `Dataset` (decode, resize, batch, prefetch)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ftgui.core.data.dataset import Split

if TYPE_CHECKING:
    import tensorflow as tf


def steps_for(split: Split, batch_size: int) -> int:
    return math.ceil(len(split) / batch_size)


class EpochOrder:
    """Indices 0…count-1 in an order fixed by (seed, epoch number): one stream for every phase.

    The runner sets the run's epoch number as each epoch begins, so epoch k of a run sees the
    same batches whether its phase reads images or cached features, and whether or not the run
    was stopped and resumed before it (Keras may open extra iterators between epochs; they do
    not shift the order, as a seed-generator stream would be).
    """

    def __init__(self, count: int, seed: int) -> None:
        import tensorflow as tf

        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="ftgui_epoch")
        seed_value = tf.constant(seed, dtype=tf.int64)

        def permutation(_: tf.Tensor) -> tf.Tensor:
            indices = tf.range(count, dtype=tf.int64)
            key = tf.stack([seed_value, self.epoch.read_value()])
            return tf.random.experimental.stateless_shuffle(indices, seed=key)

        self.dataset = (
            tf.data.Dataset.from_tensors(0)
            .map(permutation)
            .unbatch()
            .apply(tf.data.experimental.assert_cardinality(count))
        )

    def set_epoch(self, epoch: int) -> None:
        self.epoch.assign(epoch)


def make_dataset(
    split: Split,
    image_size: int,
    batch_size: int,
    binary: bool,
    order: EpochOrder | None = None,
) -> tf.data.Dataset:
    """Batches of (float32 RGB pixels 0–255, labels) in `order` (default: file order), prefetched.

    Labels are float32 of shape (1,) for a sigmoid head (`binary`), else int32 class indices.
    """
    import tensorflow as tf

    paths = tf.constant(split.files)
    labels = tf.constant(split.labels, dtype=tf.int64)
    indices = order.dataset if order is not None else tf.data.Dataset.range(len(split))

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
        indices.map(load, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
