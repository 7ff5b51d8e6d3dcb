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

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ftgui.core.data.arrays import allocate, delete_mapped, memory_budget_bytes, ram_bytes
from ftgui.core.events import quarterly
from ftgui.core.model.slices import level_shape, prefix_model
from ftgui.core.settings.config import PhaseConfig, RunConfig
from ftgui.core.settings.layer_plan import frozen_prefix
from ftgui.core.settings.vgg16 import layer_names
from ftgui.core.training.feature_sets import (
    EXTRACT_BATCH,
    FeatureSet,
    FeatureSources,
    KnownFeatures,
    compute_features,
    copy_augmenter,
    feature_batches,
)
from ftgui.core.training.feature_shelf import FeatureKey, FeatureShelf, prefix_digest

if TYPE_CHECKING:
    import keras


def frozen_prefixes(phases: Sequence[PhaseConfig], enabled: bool) -> list[int]:
    """Per phase, its frozen prefix when caching is enabled, else 0 (the phase runs uncached)."""
    return [frozen_prefix(p.trainable_layers) if enabled else 0 for p in phases]


def root_levels(prefixes: Sequence[int], lowest: int | None = None) -> list[int]:
    """Per phase, the level of the shared root cache it reads (0: the phase runs uncached).

    Consecutive cacheable phases share the lowest frozen prefix among them: those layers are
    frozen throughout, so their outputs stay valid for the whole group. `lowest` caps the
    level (a sweep reads one root, the lowest any of its runs needs).
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
            if lowest:
                levels[i] = min(levels[i], lowest)
        start = end
    return levels


def group_starts(levels: Sequence[int]) -> set[int]:
    """Indices of phases that begin a new group, where the root cache must be computed."""
    return {i for i, level in enumerate(levels) if level and (i == 0 or not levels[i - 1])}


@dataclass(frozen=True)
class CacheSettings:
    """How a run caches its frozen layers' outputs (from its RunConfig).

    With `augment` the root's training outputs are `augment_copies` augmented copies keyed by
    `seed` (the model must have its augmentation layers), none when that is 0 (the training
    images are augmented every epoch; only validation is cached). `images` keys the decoded
    images on a shared shelf."""

    enabled: bool
    image_size: int
    batch_size: int
    budget_mb: int | None
    folder: Path  # where sets beyond the RAM budget go (when the cache owns its shelf)
    augment: bool = False
    augment_copies: int = 0
    seed: int = 0
    images: Hashable = None

    @classmethod
    def of(cls, config: RunConfig, folder: Path, images: Hashable = None) -> CacheSettings:
        return cls(
            config.cache_features,
            config.image_size,
            config.batch_size,
            config.cache_budget_mb,
            folder,
            config.augmenting,
            config.augment_copies,
            config.seed,
            images,
        )


class FeatureCache:
    """The root and per-phase feature sets of one run, within a RAM budget.

    `train_pixels` are the training images (for phases augmenting every epoch); `reserved`
    bytes of the RAM budget are already taken (the run's decoded pixels). Sets live on
    `shelf`: one shared with other runs keeps them for the next run; without one the cache
    owns its shelf and `release` frees it."""

    def __init__(
        self,
        phases: Sequence[PhaseConfig],
        settings: CacheSettings,
        train_pixels: np.ndarray | None = None,
        reserved: int = 0,
        shelf: FeatureShelf | None = None,
    ) -> None:
        self.prefixes = frozen_prefixes(phases, settings.enabled)
        self.levels = root_levels(self.prefixes, shelf.lowest_level if shelf else None)
        self.starts = group_starts(self.levels)
        self.settings = settings
        self.budget = memory_budget_bytes(settings.budget_mb) - reserved
        self.train_pixels = train_pixels
        self.owns_shelf = shelf is None
        self.shelf = shelf or FeatureShelf(settings.folder, between_runs=False)
        self.root: FeatureSet | None = None
        self.root_key: FeatureKey | None = None

    def features_for(
        self,
        index: int,
        model: keras.Model,
        images: FeatureSources,
        report: Callable[[str], None],
        should_stop: Callable[[], bool],
    ) -> FeatureSet | None:
        """Features at phase `index`'s frozen prefix; None when stopped while computing them."""
        settings = self.settings
        if index in self.starts or self.root is None:
            copies = settings.augment_copies if settings.augment else 1
            level = self.levels[index]
            assert copies or self.train_pixels is not None, "augmenting needs the pixels"
            pixels = None if copies else self.train_pixels
            self.root_key = self._key(model, 0, level, copies)
            self.root = self._features(self.root_key, model, images, pixels, report, should_stop)
            if self.root is None:
                return None
        prefix, root = self.prefixes[index], self.root
        if prefix == root.level:
            self.shelf.make_room(self.root_key, computing=False)
            return root
        derived_sources = FeatureSources(
            lambda copy: feature_batches(root.train[copy], EXTRACT_BATCH),
            feature_batches(root.validation, EXTRACT_BATCH),
            root.train.shape[1],
            len(root.validation),
        )
        key = self._key(model, root.level, prefix, root.copies)
        return self._features(key, model, derived_sources, root.pixels, report, should_stop)

    def _key(self, model: keras.Model, start: int, level: int, copies: int) -> FeatureKey:
        """What layers [start, level)'s outputs depend on (no digest without an images key:
        such sets are never looked up)."""
        settings = self.settings
        keyed = settings.images is not None
        digest = prefix_digest(model, level) if keyed else ""
        seed = settings.seed if settings.augment_copies else None
        return FeatureKey(settings.images, level, digest, copies, settings.augment, seed, start)

    def _features(
        self,
        key: FeatureKey,
        model: keras.Model,
        sources: FeatureSources,
        pixels: np.ndarray | None,
        report: Callable[[str], None],
        should_stop: Callable[[], bool],
    ) -> FeatureSet | None:
        """`key`'s outputs of `sources`: from the shelf, else computed; the training images'
        `pixels` go with them when they are augmented every epoch (no copies)."""
        settings, start = self.settings, key.via
        found = self.shelf.get(key) if key.images is not None else None
        reading = self.root_key if start else None
        self.shelf.make_room(key, reading, computing=found is None)
        if found is not None:
            found.pixels = pixels
            report(f"{found.describe()} (computed before: reused)")
            return found
        fn = prefix_model(model, settings.image_size, start, key.level)
        augmenter = None
        if start == 0 and settings.augment_copies:
            augmenter = copy_augmenter(model, settings.seed)
        copies, level = key.copies, key.level
        features = self._compute(fn, level, sources, copies, report, should_stop, augmenter)
        if features is not None:
            features.pixels = pixels
            self.shelf.put(key, features)
            report(features.describe())
        return features

    def _compute(
        self,
        fn: keras.Model,
        level: int,
        sources: FeatureSources,
        copies: int,
        report: Callable[[str], None],
        should_stop: Callable[[], bool],
        augmenter: Callable[[int], Callable[[Any], Any]] | None = None,
    ) -> FeatureSet | None:
        shape = level_shape(self.settings.image_size, level)
        shelf, folder = self.shelf, self.shelf.folder
        n_train, n_val = sources.n_train, sources.n_validation
        used = shelf.ram_bytes
        name = shelf.file_name(f"level{level}")
        train = allocate((copies, n_train, *shape), self.budget, used, folder, f"{name}_train")
        used += ram_bytes(train)
        validation = allocate((n_val, *shape), self.budget, used, folder, f"{name}_val")
        total = copies * n_train + n_val
        label = layer_names()[level - 1]
        progress = quarterly(report, f"Computing {label} outputs once (images)")
        for copy in range(copies + 1):  # the training copies, then the validation images
            if copy < copies:
                batches, out, offset = sources.train(copy), train[copy], copy * n_train
                transform = augmenter(copy) if augmenter else None  # reseeds for this copy
            else:
                batches, out, offset = sources.validation, validation, copies * n_train
                transform = None
            done = compute_features(
                fn,
                batches,
                out,
                should_stop,
                lambda n, o=offset: progress(n + o, total),
                transform,
            )
            if not done:
                delete_mapped(train)
                delete_mapped(validation)
                return None
        mapped = isinstance(train, np.memmap) or isinstance(validation, np.memmap)
        return FeatureSet(
            level, train, validation, folder if mapped else None, self.settings.augment
        )

    def validation_features(self, validation: Any) -> KnownFeatures | None:
        """The root's outputs for the validation split (`validation.files`), if computed."""
        if self.root is None:
            return None
        return KnownFeatures(self.root.level, list(validation.files), self.root.validation)

    def release(self) -> None:
        """Free the RAM and delete any cache files when the shelf is this run's own (they are
        rebuilt in a second when needed); a shared shelf keeps them for the next run."""
        self.root = None
        if self.owns_shelf:
            self.shelf.release()
