"""Slices of the book's model: the conv base's bottom layers and the rest, sharing its layers.

`prefix_model` computes a level's outputs (the frozen layers a phase can cache); `tail_model`
runs the layers above a level and the head, on those outputs. Both reuse the full model's layer
objects, so they always hold its current weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ftgui.core.model.build import HEAD_LAYER_NAMES, PREPROCESS_NAME, conv_base
from ftgui.core.settings.vgg16 import layer_names, vgg16_layers

if TYPE_CHECKING:
    import keras


def level_shape(image_size: int, level: int) -> tuple[int, int, int]:
    """The output shape of the first `level` conv-base layers."""
    return vgg16_layers(image_size)[level - 1].output_shape


def base_layers(model: keras.Model) -> list[Any]:
    """The conv-base layers of the full model, bottom to top, as layer objects."""
    by_name = {layer.name: layer for layer in conv_base(model).layers}
    return [by_name[name] for name in layer_names()]


def prefix_model(model: keras.Model, image_size: int, start: int, stop: int) -> keras.Model:
    """Layers [start, stop) of the base; from raw pixels (through preprocessing) when start is 0."""
    import keras

    if start == 0:
        inputs = keras.Input((image_size, image_size, 3))
        x = model.get_layer(PREPROCESS_NAME)(inputs)
    else:
        inputs = keras.Input(level_shape(image_size, start))
        x = inputs
    for layer in base_layers(model)[start:stop]:
        x = layer(x)
    return keras.Model(inputs, x, name=f"prefix_{start}_{stop}")


def tail_model(model: keras.Model, image_size: int, level: int) -> keras.Model:
    """The base layers above `level` and the head, sharing the full model's layer objects."""
    import keras

    inputs = keras.Input(level_shape(image_size, level), name=f"features_{level}")
    x = inputs
    for layer in base_layers(model)[level:]:
        x = layer(x)
    for name in HEAD_LAYER_NAMES:
        x = model.get_layer(name)(x)
    return keras.Model(inputs, x, name=f"tail_from_{level}")
