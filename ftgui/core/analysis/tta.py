"""Test-time augmentation: the mean class probability over an image and a fixed set of views.

The views are made from the pixels the model reads (decoded at the run's image size, as in
training): the whole image, its four corner crops of 90% of the side resized back to the full
size (bilinear), and the mirrored whole image when the run's augmentation flipped images.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

CROP = 0.9  # each corner crop keeps this share of the side
FULL, MIRRORED = "whole image", "whole image mirrored"
CORNERS = {  # name → (top, left) of the crop box as shares of the side
    "top-left crop": (0.0, 0.0),
    "top-right crop": (0.0, 1.0 - CROP),
    "bottom-left crop": (1.0 - CROP, 0.0),
    "bottom-right crop": (1.0 - CROP, 1.0 - CROP),
}


def tta_views(flipped_in_training: bool) -> list[str]:
    """The views' names, the whole image first; mirrored only when training flipped images."""
    return [FULL, *CORNERS, *([MIRRORED] if flipped_in_training else [])]


def view_of(pixels: tf.Tensor, view: str) -> tf.Tensor:
    """One view of a batch of square images (N×S×S×3), at the same size."""
    import tensorflow as tf

    if view == FULL:
        return pixels
    if view == MIRRORED:
        return tf.reverse(pixels, axis=[2])
    top, left = CORNERS[view]
    count = tf.shape(pixels)[0]
    box = tf.constant([[top, left, top + CROP, left + CROP]], tf.float32)
    size = pixels.shape[1:3]
    return tf.image.crop_and_resize(
        pixels, tf.tile(box, [count, 1]), tf.range(count), size, method="bilinear"
    )


def tta_predictor(model: keras.Model, views: Sequence[str]) -> Callable[[tf.Tensor], tf.Tensor]:
    """A traced call giving the model's outputs for every view: V×N×units, views in order."""
    import tensorflow as tf

    names = list(views)

    def outputs(pixels: tf.Tensor) -> tf.Tensor:
        return tf.stack([model(view_of(pixels, view), training=False) for view in names])

    return tf.function(outputs, reduce_retracing=True)
