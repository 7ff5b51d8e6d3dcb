"""Frozen-layer outputs kept between runs of one process, keyed by what makes them valid.

A sweep trains many runs on one dataset: when a run's frozen layers hold the same weights as
an earlier run's and read the same decoded images, their outputs are the same arrays, computed
once. The key holds everything those outputs depend on: the images (their files, sizes, times
and decoded size, as the run layer keys them), the cut layer, a digest of the frozen layers'
weights, the copies (and the seed of their augmentation) and the level they were derived from.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftgui.core.data.arrays import delete_mapped, ram_bytes

if TYPE_CHECKING:
    from ftgui.core.training.feature_sets import FeatureSet


@dataclass(frozen=True)
class FeatureKey:
    """What one feature set's values depend on."""

    images: Hashable  # the decoded images' key (files, sizes, times, image size)
    level: int  # the conv-base layers [0, level) it is the output of
    weights: str  # digest of those layers' weights
    copies: int  # training copies (0: validation only)
    augmented: bool
    seed: int | None  # the augmentation's seed (None when not augmented)
    via: int = 0  # the root level it was derived from (0: from the pixels)


def prefix_digest(model: Any, level: int) -> str:
    """SHA-256 of the weights of the first `level` conv-base layers."""
    from ftgui.core.model.slices import base_layers

    digest = hashlib.sha256()
    for layer in base_layers(model)[:level]:
        for weight in layer.get_weights():
            digest.update(weight.tobytes())
    return digest.hexdigest()[:16]


class FeatureShelf:
    """Feature sets by key; files of sets too big for RAM go to `folder`.

    Shared by runs (`between_runs`), a set computed anew first drops the sets the current run
    has not read: the shelf holds at most what one run needs, and what the run before it
    needed while it may still be read again. For one run only, it holds the sets the current
    phase reads. `lowest_level`, when set, caps every run's root level (a sweep sets the
    lowest frozen level any of its trials needs, so all of them read one root)."""

    def __init__(self, folder: Path, between_runs: bool = True) -> None:
        self.folder = folder
        self.between_runs = between_runs
        self.lowest_level: int | None = None
        self._sets: dict[FeatureKey, FeatureSet] = {}
        self._used: set[FeatureKey] = set()
        self._files = 0

    def get(self, key: FeatureKey) -> FeatureSet | None:
        found = self._sets.get(key)
        if found is not None:
            self._used.add(key)
        return found

    def put(self, key: FeatureKey, features: FeatureSet) -> None:
        self._drop(key)
        self._sets[key] = features
        self._used.add(key)

    def file_name(self, name: str) -> str:
        """A name for a new memory-mapped file in `folder`, unused by the sets kept."""
        self._files += 1
        return f"{name}_{self._files}"

    @property
    def ram_bytes(self) -> int:
        return sum(ram_bytes(s.train, s.validation) for s in self._sets.values())

    def make_room(self, *reading: FeatureKey | None, computing: bool = True) -> None:
        """Drop what is no longer needed (see the class) when a phase reads only the sets
        `reading` (None: no set), before `computing` a new one or else moving on."""
        if self.between_runs and not computing:
            return
        needed = self._used if self.between_runs else set(reading)
        for key in [k for k in self._sets if k not in needed]:
            self._drop(key)

    def run_ended(self) -> None:
        """The next `get`s are another run's."""
        self._used = set()

    def release(self) -> None:
        """Drop every set and delete the folder."""
        for key in list(self._sets):
            self._drop(key)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _drop(self, key: FeatureKey) -> None:
        features = self._sets.pop(key, None)
        if features is not None:
            for array in (features.train, features.validation):  # the pixels are not ours
                delete_mapped(array)
