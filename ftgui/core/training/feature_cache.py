"""Frozen-prefix reuse: compute the outputs of a phase's frozen bottom layers once.

In the book's recipe most of each training step runs through layers that do not learn. For a
phase whose bottom `k` conv-base layers are frozen (and with augmentation off), their outputs are
the same every epoch: compute them once, then train a "tail" model — the remaining base layers and
the head, sharing the full model's layer objects — on those outputs. Phases in a row share one
root cache at the lowest frozen level they have in common (block4_pool for the book's recipe);
a phase that freezes more derives its features from that root once.

With augmented copies (`--augment-copies K`), the training images go through the frozen layers
K times, each time randomly augmented, and run epoch e trains on copy e mod K. When augmenting
every epoch anew (K = 0) only the validation images are cached: they are never augmented, so
their frozen outputs are the same every epoch, and validation runs on them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ftgui.core.data.arrays import (
    allocate,
    delete_mapped,
    human_bytes,
    memory_budget_bytes,
    ram_bytes,
)
from ftgui.core.events import quarterly
from ftgui.core.model.slices import level_shape, prefix_model
from ftgui.core.settings.config import PhaseConfig
from ftgui.core.settings.vgg16 import layer_names

if TYPE_CHECKING:
    import keras


EXTRACT_BATCH = 64  # images per step when computing frozen outputs (inference only)


def frozen_prefix(trainable_layers: Sequence[str]) -> int:
    """How many conv-base layers, from the bottom, are frozen in a phase (0 to 18)."""
    trainable = set(trainable_layers)
    names = layer_names()
    return next((i for i, name in enumerate(names) if name in trainable), len(names))


def frozen_prefixes(phases: Sequence[PhaseConfig], enabled: bool) -> list[int]:
    """Per phase, its frozen prefix when caching is enabled, else 0 (the phase runs uncached)."""
    return [frozen_prefix(p.trainable_layers) if enabled else 0 for p in phases]


def root_levels(prefixes: Sequence[int]) -> list[int]:
    """Per phase, the level of the shared root cache it reads (0: the phase runs uncached).

    Consecutive cacheable phases share the lowest frozen prefix among them: those layers are
    frozen throughout, so their outputs stay valid for the whole group.
    """
    levels = [0] * len(prefixes)
    start = 0
    while start < len(prefixes):
        if prefixes[start] == 0:
            start += 1
            continue
        end = start
        while end < len(prefixes) and prefixes[end] > 0:
            end += 1
        for i in range(start, end):
            levels[i] = min(prefixes[start:end])
        start = end
    return levels


def group_starts(levels: Sequence[int]) -> set[int]:
    """Indices of phases that begin a new group, where the root cache must be computed."""
    return {i for i, level in enumerate(levels) if level and (i == 0 or not levels[i - 1])}


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


# The images of a feature computation: (per copy, its train batches; validation batches;
# train count; validation count).
Sources = tuple[Callable[[int], Any], Any, int, int]


class FeatureCache:
    """Holds the root and per-phase feature sets of one run, within a RAM budget.

    With `augment` the root's training features are `augment_copies` augmented copies keyed
    by `seed` (the model must have its augmentation layers), none when that is 0 (the
    training images, `train_pixels`, are augmented every epoch; only validation is cached).
    `reserved` bytes of the RAM budget are already taken (the run's decoded pixels)."""

    def __init__(
        self,
        phases: Sequence[PhaseConfig],
        enabled: bool,
        image_size: int,
        batch_size: int,
        budget_mb: int | None,
        folder: Path,
        augment: bool = False,
        augment_copies: int = 0,
        seed: int = 0,
        train_pixels: np.ndarray | None = None,
        reserved: int = 0,
    ) -> None:
        self.prefixes = frozen_prefixes(phases, enabled)
        self.levels = root_levels(self.prefixes)
        self.starts = group_starts(self.levels)
        self.image_size = image_size
        self.batch_size = batch_size
        self.budget = memory_budget_bytes(budget_mb) - reserved
        self.train_pixels = train_pixels
        self.folder = folder
        self.augment = augment
        self.augment_copies = augment_copies
        self.seed = seed
        self.root: FeatureSet | None = None
        self.derived: FeatureSet | None = None

    def features_for(
        self,
        index: int,
        model: keras.Model,
        images: tuple[Any, Any, int, int],
        report: Callable[[str], None],
        should_stop: Callable[[], bool],
    ) -> FeatureSet | None:
        """Features at phase `index`'s frozen prefix; None when stopped while computing them.

        `images` is (unshuffled train batches, validation batches, train count, val count).
        """
        if index in self.starts or self.root is None:
            self._drop("root")
            level = self.levels[index]
            fn = prefix_model(model, self.image_size, 0, level)
            train, validation, n_train, n_val = images
            augmenter = copy_augmenter(model, self.seed) if self.augment_copies else None
            copies = self.augment_copies if self.augment else 1
            sources = (lambda _: train, validation, n_train, n_val)
            self.root = self._compute(
                fn, level, sources, copies, report, should_stop, "root", augmenter
            )
            if self.root is not None and not copies:
                assert self.train_pixels is not None, "augmenting every epoch needs the pixels"
                self.root.pixels = self.train_pixels
            if self.root is None:
                return None
            report(self.root.describe())
        prefix = self.prefixes[index]
        self._drop("derived")
        if prefix == self.root.level:
            return self.root
        fn = prefix_model(model, self.image_size, self.root.level, prefix)
        root = self.root
        derived_sources = (
            lambda copy: feature_batches(root.train[copy], EXTRACT_BATCH),
            feature_batches(root.validation, EXTRACT_BATCH),
            root.train.shape[1],
            len(root.validation),
        )
        self.derived = self._compute(
            fn, prefix, derived_sources, root.copies, report, should_stop, "derived"
        )
        if self.derived is not None:
            self.derived.pixels = root.pixels
            report(self.derived.describe())
        return self.derived

    def _compute(
        self,
        fn: keras.Model,
        level: int,
        sources: Sources,
        copies: int,
        report: Callable[[str], None],
        should_stop: Callable[[], bool],
        name: str,
        augmenter: Callable[[int], Callable[[Any], Any]] | None = None,
    ) -> FeatureSet | None:
        train_batches, val_batches, n_train, n_val = sources
        shape = level_shape(self.image_size, level)
        used = sum(ram_bytes(s.train, s.validation) for s in (self.root, self.derived) if s)
        train = allocate((copies, n_train, *shape), self.budget, used, self.folder, f"{name}_train")
        used += ram_bytes(train)
        validation = allocate((n_val, *shape), self.budget, used, self.folder, f"{name}_val")
        label = layer_names()[level - 1]
        total = copies * n_train + n_val
        progress = quarterly(report, f"Computing {label} outputs once (images)")

        for copy in range(copies + 1):  # the training copies, then the validation images
            if copy < copies:
                batches, out, offset = train_batches(copy), train[copy], copy * n_train
                transform = augmenter(copy) if augmenter else None  # reseeds for this copy
            else:
                batches, out, offset, transform = val_batches, validation, copies * n_train, None
            done = compute_features(
                fn,
                batches,
                out,
                should_stop,
                lambda n, o=offset: progress(n + o, total),
                transform,
            )
            if not done:
                return None
        disk = (
            self.folder
            if isinstance(train, np.memmap) or isinstance(validation, np.memmap)
            else None
        )
        augmented = self.augment
        return FeatureSet(level, train, validation, disk, augmented)

    def validation_features(self, validation: Any) -> KnownFeatures | None:
        """The root's outputs for the validation split (`validation.files`), if computed."""
        if self.root is None:
            return None
        return KnownFeatures(self.root.level, list(validation.files), self.root.validation)

    def _drop(self, which: str) -> None:
        features = getattr(self, which)
        setattr(self, which, None)
        if features is None:
            return
        for array in (features.train, features.validation):  # the pixels are the run's
            delete_mapped(array)

    def release(self) -> None:
        """Free the RAM and delete any cache files (they are rebuilt in a second when needed)."""
        self._drop("root")
        self._drop("derived")
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)
