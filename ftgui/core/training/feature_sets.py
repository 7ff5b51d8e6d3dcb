"""Frozen-layer outputs as arrays: the sets a run trains on, and how they are computed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ftgui.core.data.arrays import human_bytes
from ftgui.core.settings.vgg16 import layer_names

if TYPE_CHECKING:
    import keras

EXTRACT_BATCH = 64  # images per step when computing frozen outputs (inference only)


@dataclass
class FeatureSet:
    """Outputs of the first `level` conv-base layers for the train and validation images.

    `train` has a leading copies axis: (copies, images, …); one copy unless augmenting."""

    level: int
    train: np.ndarray  # in RAM, or a memory-mapped .npy file
    validation: np.ndarray
    on_disk: Path | None
    augmented: bool = False
    # Without copies (augmenting every epoch): the training images' pixels, decoded once (the
    # run's pixel store), for the full model (whose augmentation runs on them).
    pixels: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return self.train.nbytes + self.validation.nbytes

    @property
    def copies(self) -> int:
        return len(self.train)

    def describe(self) -> str:
        name = layer_names()[self.level - 1]
        where = f"on disk in {self.on_disk}" if self.on_disk else "in RAM"
        train = f"{self.train.shape[1]:,}"
        if self.copies > 1:
            train = f"{self.copies} augmented copies of {train}"
        elif self.copies == 1 and self.augmented:
            train = f"an augmented copy of {train}"
        images = f"{train} + {len(self.validation):,} images"
        if not self.copies:
            images = f"the {len(self.validation):,} validation images (never augmented)"
        text = f"{name} outputs of {images} computed once: {human_bytes(self.nbytes)} {where}"
        if self.pixels is not None:
            text += f"; the {len(self.pixels):,} training images augmented every epoch"
        return text


def compute_features(
    fn: keras.Model,
    batches: Any,
    out: np.ndarray,
    should_stop: Callable[[], bool],
    progress: Callable[[int], None],
    transform: Callable[[Any], Any] | None = None,
) -> bool:
    """Fill `out` with `fn` applied to every batch (after `transform`, e.g. augmentation);
    False when stopped part-way."""
    row = 0
    for batch in batches:
        x = batch[0] if isinstance(batch, tuple) else batch
        if transform is not None:
            x = transform(x)
        values = fn.predict_on_batch(x)  # a traced function, unlike an eager call
        out[row : row + len(values)] = values
        row += len(values)
        progress(row)
        if should_stop():
            return False
    return True


def feature_batches(features: np.ndarray, batch_size: int) -> Any:
    """Un-shuffled batches of an in-RAM or memory-mapped feature array."""
    for start in range(0, len(features), batch_size):
        yield np.asarray(features[start : start + batch_size])


def copy_augmenter(model: keras.Model, seed: int) -> Callable[[int], Callable[[Any], Any]]:
    """Per augmented copy: key the model's augmentation layers by (seed, copy), and return the
    traced function that augments a batch of pixels (the same each time for a copy)."""
    import tensorflow as tf

    from ftgui.core.model.build import AUGMENTATION_NAME, reseed_random_layers

    layer = model.get_layer(AUGMENTATION_NAME)
    augment = tf.function(lambda x: layer(x, training=True))

    def for_copy(copy: int) -> Callable[[Any], Any]:
        reseed_random_layers(layer, seed, copy)
        return augment

    return for_copy


@dataclass
class KnownFeatures:
    """Outputs of the first `level` conv-base layers for the images `files`, in that order."""

    level: int
    files: list[str]
    values: np.ndarray


@dataclass
class FeatureSources:
    """The images of a feature computation, un-shuffled, and how many there are."""

    train: Callable[[int], Iterable[Any]]  # per copy, its training batches
    validation: Iterable[Any]
    n_train: int
    n_validation: int
