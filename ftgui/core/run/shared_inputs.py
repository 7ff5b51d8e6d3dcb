"""What several runs in one process share: the image check, the decoded pixels and the
frozen layers' outputs, each kept under the key of what makes it valid.

A sweep trains many runs after one TensorFlow import. A run whose dataset files (paths,
labels, sizes, modification times) and image size are an earlier run's reuses that run's
image check and decoded pixels; frozen-layer outputs are reused when, besides those images,
the cut layer, the frozen layers' weights (a digest) and the augmented copies (their seed)
match (`FeatureShelf`). The images of one dataset and size are kept at a time, and the outputs
the last run read.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

from ftgui.core.data.dataset import SPLITS, Dataset, Split
from ftgui.core.data.scan import ScanReport
from ftgui.core.events import Listener, Status
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.feature_shelf import FeatureShelf
from ftgui.core.training.image_check import check_images
from ftgui.core.training.time_spent import TimeSpent


def images_key(dataset: Dataset, image_size: int) -> Hashable:
    """What a dataset's image check and decoded pixels depend on: every file of every split
    with its label, size and modification time, the classes, and the decoded size."""
    files = []
    for name in SPLITS:
        split = getattr(dataset, name)
        for path, label in zip(split.files, split.labels, strict=True):
            try:
                stat = os.stat(path)
                files.append((name, path, label, stat.st_size, stat.st_mtime_ns))
            except OSError:
                files.append((name, path, label, -1, -1))
    return str(dataset.root), tuple(dataset.class_names), image_size, tuple(files)


@dataclass
class CheckedImages:
    """One image check: the usable files per split, its report (holding the pixels)."""

    key: Hashable
    usable: dict[str, Split]
    report: ScanReport


class SharedInputs:
    """The inputs runs in one process share; data beyond the RAM budget goes to `folder`.

    Runs use it one at a time; `close` frees everything it holds. With `between_runs` False
    it serves one run, holding only the frozen outputs its current phase reads."""

    def __init__(self, folder: Path, between_runs: bool = True) -> None:
        self.folder = folder
        self.features = FeatureShelf(folder, between_runs)
        self._images: CheckedImages | None = None

    def checked(
        self, config: RunConfig, dataset: Dataset, listener: Listener, time: TimeSpent
    ) -> tuple[Hashable, ScanReport]:
        """The image check of `dataset` at the configured size (unusable files are dropped
        from `dataset`): an earlier run's when its key matches, else a new one. Returns the
        images' key (for the frozen outputs) and the report, whose `pixels` the run reads."""
        key = images_key(dataset, config.image_size)
        kept = self._images
        if kept is not None and kept.key == key:
            for name, split in kept.usable.items():
                setattr(dataset, name, copy.deepcopy(split))
            pixels = kept.report.pixels
            assert pixels is not None
            listener(Status(kept.report.summary()))
            listener(Status(f"{pixels.describe()} (decoded before: reused)"))
            return key, kept.report
        self._release_images()  # another dataset or size: its pixels are not needed again
        report = check_images(config, dataset, listener, time, self.folder)
        usable = {name: copy.deepcopy(getattr(dataset, name)) for name in SPLITS}
        self._images = CheckedImages(key, usable, report)
        return key, report

    def run_ended(self) -> None:
        """The next run starts: the frozen outputs this one did not read may go."""
        self.features.run_ended()

    def close(self) -> None:
        """Free the pixels and the frozen outputs, and delete their files."""
        self._release_images()
        self.features.release()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _release_images(self) -> None:
        kept, self._images = self._images, None
        if kept is not None and kept.report.pixels is not None:
            kept.report.pixels.release()
