"""tf.data pipelines over the file lists of a `Dataset` (decode, resize, batch, prefetch)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ftgui.core.dataset import Split

if TYPE_CHECKING:
    import tensorflow as tf


def steps_for(split: Split, batch_size: int) -> int:
    return math.ceil(len(split) / batch_size)


def make_dataset(
    split: Split, image_size: int, batch_size: int, shuffle: bool, seed: int, binary: bool
) -> tf.data.Dataset:
    """Batches of (float32 RGB pixels 0–255, labels), prefetched.

    Labels are float32 of shape (1,) for a sigmoid head (`binary`), else int32 class indices.
    """
    import tensorflow as tf

    files = tf.data.Dataset.from_tensor_slices((split.files, split.labels))
    if shuffle:
        files = files.shuffle(len(split), seed=seed, reshuffle_each_iteration=True)

    def load(path: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        raw = tf.io.read_file(path)
        image = tf.io.decode_image(raw, channels=3, expand_animations=False)
        image = tf.image.resize(image, (image_size, image_size))
        image.set_shape((image_size, image_size, 3))
        if binary:
            return image, tf.reshape(tf.cast(label, tf.float32), (1,))
        return image, tf.cast(label, tf.int32)

    return (
        files.map(load, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
