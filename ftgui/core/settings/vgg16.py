"""The VGG16 convolutional base described without TensorFlow, so the window can list it at once.

The shapes and parameter counts are those `keras.applications.VGG16(include_top=False)` builds;
a test checks them against Keras itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

# (block number, number of convolutions, filters) as in Simonyan & Zisserman's configuration D.
_BLOCKS: tuple[tuple[int, int, int], ...] = (
    (1, 2, 64),
    (2, 2, 128),
    (3, 3, 256),
    (4, 3, 512),
    (5, 3, 512),
)
# The image sizes a run accepts: five 2×2 poolings leave 1 px of 32 px; 1024 px is already
# ~270 MB of block1 activations per image.
MIN_IMAGE_SIZE = 32
MAX_IMAGE_SIZE = 1024


@dataclass(frozen=True)
class LayerInfo:
    """One layer of the conv base: what the layer table shows."""

    name: str
    block: int
    kind: str  # "Conv2D" or "MaxPooling2D"
    output_shape: tuple[int, int, int]
    params: int


@functools.cache
def vgg16_layers(image_size: int) -> tuple[LayerInfo, ...]:
    """The 18 layers of the VGG16 conv base for square RGB images of `image_size` pixels."""
    layers: list[LayerInfo] = []
    size, channels = image_size, 3
    for block, convs, filters in _BLOCKS:
        for i in range(1, convs + 1):
            params = 3 * 3 * channels * filters + filters
            layers.append(
                LayerInfo(f"block{block}_conv{i}", block, "Conv2D", (size, size, filters), params)
            )
            channels = filters
        size //= 2
        layers.append(
            LayerInfo(f"block{block}_pool", block, "MaxPooling2D", (size, size, filters), 0)
        )
    return tuple(layers)


def layer_names() -> tuple[str, ...]:
    """Names of the conv-base layers, bottom to top."""
    return tuple(layer.name for layer in vgg16_layers(MIN_IMAGE_SIZE))


def feature_shape(image_size: int) -> tuple[int, int, int]:
    """Shape of the conv base's output (block5_pool) for this image size."""
    return vgg16_layers(image_size)[-1].output_shape
