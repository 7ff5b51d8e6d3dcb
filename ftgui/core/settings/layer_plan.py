"""Which layers train in a phase: the conv base's trainable flags plus the always-trainable head."""

from __future__ import annotations

import functools
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ftgui.core.errors import UserError
from ftgui.core.events import PhaseOutline
from ftgui.core.settings.task_output import ClassifierOutput
from ftgui.core.settings.vgg16 import LayerInfo, feature_shape, layer_names, vgg16_layers

if TYPE_CHECKING:
    from ftgui.core.settings.config import RunConfig

HEAD_UNITS = 256


@dataclass(frozen=True)
class HeadLayer:
    """A layer of the classifier head (always trainable)."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int


@functools.cache
def head_layers(image_size: int, num_classes: int) -> tuple[HeadLayer, ...]:
    """The book's head: Flatten → Dense(256, relu) → Dropout → Dense(1 or N)."""
    flat = math.prod(feature_shape(image_size))
    outputs = ClassifierOutput(num_classes).units
    return (
        HeadLayer("flatten", "Flatten", (flat,), 0),
        HeadLayer("dense", "Dense", (HEAD_UNITS,), flat * HEAD_UNITS + HEAD_UNITS),
        HeadLayer("dropout", "Dropout", (HEAD_UNITS,), 0),
        HeadLayer("predictions", "Dense", (outputs,), HEAD_UNITS * outputs + outputs),
    )


def check_layer_name(name: str, what: str = "layer", setting: str = "trainable_layers") -> str:
    """Return `name` if it is a conv-base layer, else raise a UserError listing the choices."""
    names = layer_names()
    if name not in names:
        raise UserError(
            f"Unknown {what} '{name}'; choose a VGG16 layer from {names[0]} to {names[-1]} "
            f"(e.g. block5_conv1).",
            setting,
        )
    return name


def trainable_from(name: str, setting: str = "trainable_layers") -> tuple[str, ...]:
    """Listing 5.22: `name` and every layer above it, bottom to top (the rest stays frozen)."""
    names = layer_names()
    check_layer_name(name, setting=setting)
    return names[names.index(name) :]


def frozen_layers(trainable_layers: Collection[str]) -> tuple[str, ...]:
    """The conv-base layers a phase training `trainable_layers` keeps frozen, bottom to top."""
    return tuple(name for name in layer_names() if name not in trainable_layers)


def frozen_prefix(trainable_layers: Collection[str]) -> int:
    """How many conv-base layers, from the bottom, are frozen in a phase (0 to 18): the layers
    whose outputs stay the same all phase long."""
    frozen, names = frozen_layers(trainable_layers), layer_names()
    return next((i for i, name in enumerate(names) if name not in frozen), len(names))


@dataclass
class LayerPlan:
    """Trainable flags of the conv-base layers for one phase, with parameter totals.

    `trainable` holds names already checked where they entered (a flag, config.json or the
    layer table), so they are not checked again here."""

    image_size: int = 150
    num_classes: int = 2
    trainable: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.trainable = set(self.trainable)

    @property
    def layers(self) -> tuple[LayerInfo, ...]:
        return vgg16_layers(self.image_size)

    @property
    def head(self) -> tuple[HeadLayer, ...]:
        return head_layers(self.image_size, self.num_classes)

    def is_trainable(self, name: str) -> bool:
        return name in self.trainable

    def set_trainable(self, name: str, trainable: bool) -> None:
        """Train `name` or not; an unknown name is refused (this is where a click enters)."""
        check_layer_name(name)
        if trainable:
            self.trainable.add(name)
        else:
            self.trainable.discard(name)

    def freeze_all(self) -> None:
        self.trainable.clear()

    def unfreeze_from(self, name: str) -> None:
        """Listing 5.22: `name` and everything above it trainable, everything below frozen."""
        self.trainable = set(trainable_from(name))  # a set: clicks add and remove names

    def ordered_trainable(self) -> list[str]:
        """Trainable layer names, bottom to top (the form saved in config.json)."""
        return [name for name in layer_names() if name in self.trainable]

    @property
    def trainable_params(self) -> int:
        base = sum(layer.params for layer in self.layers if layer.name in self.trainable)
        return base + sum(layer.params for layer in self.head)

    @property
    def non_trainable_params(self) -> int:
        return sum(layer.params for layer in self.layers if layer.name not in self.trainable)

    @property
    def total_params(self) -> int:
        return self.trainable_params + self.non_trainable_params


def phase_outlines(config: RunConfig, num_classes: int, steps: int) -> list[PhaseOutline]:
    """Each phase of `config` as the run announces it: epochs, steps and parameter counts."""
    outlines = []
    for phase in config.phases:
        plan = LayerPlan(config.image_size, num_classes, set(phase.trainable_layers))
        outlines.append(
            PhaseOutline(
                phase.name, phase.epochs, steps, plan.trainable_params, plan.non_trainable_params
            )
        )
    return outlines
