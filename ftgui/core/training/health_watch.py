"""What a phase does with each epoch's per-layer health: its rows, its event, its warning."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from ftgui.core.events import HealthMeasured, LayerHealth, Listener, Status
from ftgui.core.training.health_bands import TOO_FAST, too_fast_warning
from ftgui.core.training.health_file import weight_norms
from ftgui.core.training.layer_health import StepMeans

HealthLog = Callable[[HealthMeasured], None]


def health_rows(
    phase: int, epoch: int, weights: Mapping[str, Any], steps: Mapping[str, StepMeans]
) -> list[LayerHealth]:
    """The epoch's rows: each measured layer's weight norm (from `weights`) and step means."""
    norms = weight_norms(weights, steps)
    return [
        LayerHealth(phase, epoch, layer, norms[layer], step.update_ratio, step.grad_norm)
        for layer, step in steps.items()
    ]


class HealthWatch:
    """Announces a phase's health and warns, once, when a `pretrained` layer's update ratio
    passed `TOO_FAST` at the phase's `learning_rate`; `log` also receives each measurement
    (TensorBoard)."""

    def __init__(
        self,
        pretrained: Collection[str] = (),
        learning_rate: float = 0.0,
        log: HealthLog | None = None,
    ) -> None:
        self.pretrained, self.learning_rate, self.log = frozenset(pretrained), learning_rate, log
        self.warned = False

    def announce(self, measured: HealthMeasured, listener: Listener) -> None:
        if self.log is not None:
            self.log(measured)
        listener(measured)
        fast = [r for r in measured.layers if r.layer in self.pretrained]
        fast = [r for r in fast if r.update_ratio > TOO_FAST]
        if fast and not self.warned:
            self.warned = True
            worst = max(fast, key=lambda r: r.update_ratio)
            rate = self.learning_rate
            listener(Status(too_fast_warning(worst.layer, worst.update_ratio, worst.epoch, rate)))
