"""tf.data pipelines over the file lists of a `Dataset` (decode, resize, batch, prefetch), and
over arrays computed from those images (decoded pixels, cached frozen-layer outputs).

Both read pixels as `pixels.decode_pixels` gives them: a run decodes each image once, in its
image check, and reads the `PixelStore` through `cached_dataset`; evaluation, prediction and
the export check decode files through `make_dataset`, the same pixels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ftgui.core.data.dataset import Split
from ftgui.core.data.pixels import decode_pixels

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
    A file Pillow cannot decode is an error in the pipeline (`ignore_errors` drops it).
    """
    import tensorflow as tf

    paths = tf.constant(split.files)
    labels = tf.constant(split.labels, dtype=tf.int64)
    indices = order.dataset if order is not None else tf.data.Dataset.range(len(split))

    def decode(path: bytes) -> np.ndarray:
        return decode_pixels(path.decode(), image_size)

    def load(index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        pixels = tf.numpy_function(decode, [tf.gather(paths, index)], tf.uint8, stateful=False)
        image = tf.cast(pixels, tf.float32)
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


def copy_for_epoch(run_epoch: int, copies: int) -> int:
    """Which augmented copy of the training features run epoch `run_epoch` trains on."""
    return run_epoch % copies


def cached_dataset(
    features: np.ndarray,
    labels: Sequence[int],
    batch_size: int,
    binary: bool,
    order: EpochOrder | None = None,
) -> tf.data.Dataset:
    """Batches of (features, labels) in `order`, as `make_dataset` batches the images.

    With `order`, `features` has a leading copies axis and each batch reads the copy of the
    order's current run epoch (`copy_for_epoch`); without, `features` is (images, …)."""
    import tensorflow as tf

    targets = (
        np.asarray(labels, dtype=np.float32).reshape(-1, 1)
        if binary
        else np.asarray(labels, dtype=np.int32)
    )
    copies = features if order is not None else features[np.newaxis]
    indices = order.dataset if order is not None else tf.data.Dataset.range(len(features))

    def gather(batch: np.ndarray, epoch: np.int64) -> tuple[np.ndarray, np.ndarray]:
        copy = copies[copy_for_epoch(int(epoch), len(copies))]
        return np.asarray(copy[batch], dtype=np.float32), targets[batch]

    def load(batch: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        epoch = order.epoch.read_value() if order is not None else tf.constant(0, tf.int64)
        x, y = tf.numpy_function(gather, [batch, epoch], (tf.float32, tf.as_dtype(targets.dtype)))
        x.set_shape((None, *copies.shape[2:]))
        y.set_shape((None, *targets.shape[1:]))
        return x, y

    return indices.batch(batch_size).map(load).prefetch(tf.data.AUTOTUNE)
