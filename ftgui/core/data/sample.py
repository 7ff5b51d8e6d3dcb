"""The bundled sample dataset: scikit-learn's handwritten digits written out in the book layout."""

from __future__ import annotations

import shutil
from pathlib import Path

from ftgui.core.data.dataset import Dataset, find_dataset
from ftgui.core.paths import ftgui_home
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.vgg16 import MIN_IMAGE_SIZE

SAMPLE_PIXELS = MIN_IMAGE_SIZE  # the smallest images VGG16 takes: the quickest run
SPLIT_SHARES = (("train", 0.6), ("validation", 0.2), ("test", 0.2))
# Settings that keep `train --sample --weights none` near 72 s on two CPU cores (flags override
# them). A random base's 1×1×512 features at the sample's size need a larger classifier
# learning rate than the book's 2e-5 to learn visibly in three epochs.
SAMPLE_DEFAULTS = {
    "image_size": SAMPLE_PIXELS,
    "epochs_head": 3,
    "epochs_finetune": 3,
    "learning_rate_head": 1e-3,
}
_DONE_MARKER = ".complete"


def sample_dir() -> Path:
    return ftgui_home() / "sample_digits"


def ensure_sample_dataset() -> Path:
    """Write the 1,797 digit images (8×8 scans upscaled to SAMPLE_PIXELS PNGs) once; return the
    folder."""
    root = sample_dir()
    if (root / _DONE_MARKER).exists():
        return root
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for digit in range(10):
        indices = np.flatnonzero(digits.target == digit)
        start = 0
        for split, share in SPLIT_SHARES:
            stop = len(indices) if split == "test" else start + round(len(indices) * share)
            folder = partial / split / str(digit)
            folder.mkdir(parents=True, exist_ok=True)
            for index in indices[start:stop]:
                pixels = (digits.images[index] * (255 / 16)).astype(np.uint8)
                image = Image.fromarray(pixels).resize(
                    (SAMPLE_PIXELS, SAMPLE_PIXELS), Image.Resampling.BILINEAR
                )
                image.save(folder / f"digit_{index:04d}.png")
            start = stop
    (partial / _DONE_MARKER).write_text("scikit-learn load_digits, 60/20/20 split per class\n")
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    return root


def apply_sample_defaults(config: RunConfig) -> None:
    """Use the sample dataset with the quick settings above."""
    config.sample, config.data_dir = True, None
    config.image_size = int(SAMPLE_DEFAULTS["image_size"])
    config.phases[0].epochs = int(SAMPLE_DEFAULTS["epochs_head"])
    config.phases[0].learning_rate = SAMPLE_DEFAULTS["learning_rate_head"]
    if len(config.phases) > 1:
        config.phases[-1].epochs = int(SAMPLE_DEFAULTS["epochs_finetune"])


def resolve_dataset(config: RunConfig) -> Dataset:
    """The dataset a configuration names (writing the sample dataset on first use), with its
    folder's decisions file applied unless the configuration ignores it."""
    from ftgui.core.data.decisions import apply_decisions

    root = ensure_sample_dataset() if config.sample else Path(str(config.data_dir))
    dataset = find_dataset(root, config.validation_split, config.seed)
    if not config.ignore_decisions:
        applied = apply_decisions(dataset)
        dataset.decisions_note, dataset.decisions_digest = applied.note(), applied.digest
    return dataset
