"""Decode an image into the pixels a model reads, and keep a run's decoded images.

Every reader of images (the image check, training, evaluation, prediction, Grad-CAM and the
export check) goes through `decode_pixels`, so a model always sees the pixels it was trained
on. A JPEG is decoded at the smallest DCT scale still at least S×S (libjpeg's scaled inverse
transform, as `tf.io.decode_jpeg(ratio=…)`; every byte of compressed data is still read): a
12-megapixel photo for a 150 px model decodes at 1/8 of its size, several times faster. The
image is then converted to RGB and resized to S×S with Pillow's bilinear filter (antialiased
when shrinking), as `keras.utils.load_img(path, target_size=(S, S), interpolation="bilinear")`
does; EXIF orientation is ignored, as Keras and TensorFlow ignore it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ftgui.core.data.arrays import human_bytes

# False decodes JPEGs at full size (benchmarks/decode_scale.py measures the difference).
REDUCED_SCALE = True


def decode_pixels(path: str, size: int) -> np.ndarray:
    """The image at `path` as uint8 RGB S×S×3 (see the module docstring); raises Pillow's
    OSError, ValueError or DecompressionBombError for a file it cannot decode."""
    from PIL import Image

    with Image.open(path) as image:
        return pixels_of(image, size)


def pixels_of(image: object, size: int) -> np.ndarray:
    """An opened, not yet loaded Pillow image as `decode_pixels` returns it."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    if REDUCED_SCALE and image.format == "JPEG":
        image.draft("RGB", (size, size))  # no-op unless a smaller DCT scale still covers S×S
    image.load()
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return np.asarray(rgb.resize((size, size), Image.Resampling.BILINEAR))


@dataclass
class PixelStore:
    """A run's usable images decoded once (uint8, N×S×S×3, in RAM or memory-mapped), one
    contiguous block of rows per split, in the split's file order."""

    size: int
    array: np.ndarray
    splits: dict[str, tuple[int, int]] = field(default_factory=dict)  # split -> (start, stop)
    rows: dict[str, int] = field(default_factory=dict)  # path -> row

    @property
    def on_disk(self) -> bool:
        return isinstance(self.array, np.memmap)

    @property
    def ram_bytes(self) -> int:
        return 0 if self.on_disk else self.array.nbytes

    def split(self, name: str) -> np.ndarray:
        """The split's rows (a view, no copy)."""
        start, stop = self.splits.get(name, (0, 0))
        return self.array[start:stop]

    def of(self, files: list[str]) -> np.ndarray | None:
        """These files' rows (a view when they are one split in order), None if one is missing."""
        for name, (start, stop) in self.splits.items():
            if stop - start == len(files) and all(
                self.rows.get(path) == start + i for i, path in enumerate(files)
            ):
                return self.split(name)
        if not all(path in self.rows for path in files):
            return None
        return self.array[[self.rows[path] for path in files]]

    def describe(self) -> str:
        where = f"on disk in {Path(self.array.filename).parent}" if self.on_disk else "in RAM"
        return (
            f"{len(self.array):,} images decoded once at {self.size}×{self.size}: "
            f"{human_bytes(self.array.nbytes)} {where}"
        )

    def release(self) -> None:
        """Drop the pixels and delete their file, if any."""
        from ftgui.core.data.arrays import delete_mapped

        array, self.array = self.array, np.empty((0, self.size, self.size, 3), np.uint8)
        delete_mapped(array)
