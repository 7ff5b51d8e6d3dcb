"""Tiny, learnable image datasets written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 32


def _image(label: int, index: int) -> Image.Image:
    """Class k is a noisy image whose bright square sits in a class-specific corner."""
    rng = np.random.default_rng(1000 * label + index)
    pixels = rng.integers(0, 60, (SIZE, SIZE, 3), dtype=np.uint8)
    corner = label % 4
    y, x = (corner // 2) * (SIZE // 2), (corner % 2) * (SIZE // 2)
    pixels[y : y + SIZE // 2, x : x + SIZE // 2] = 200 + (label * 20) % 55
    return Image.fromarray(pixels)


def write_images(folder: Path, label: int, count: int, start: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + count):
        suffix = ".png" if i % 2 else ".jpg"
        _image(label, i).save(folder / f"img_{i:03d}{suffix}")


def make_book_dataset(
    root: Path, classes: tuple[str, ...], per_split: tuple[int, int, int]
) -> Path:
    start = 0
    for split, count in zip(("train", "validation", "test"), per_split, strict=True):
        for label, name in enumerate(classes):
            if count:
                write_images(root / split / name, label, count, start)
        start += count
    return root


def make_class_folders(root: Path, classes: tuple[str, ...], per_class: int) -> Path:
    for label, name in enumerate(classes):
        write_images(root / name, label, per_class)
    return root
