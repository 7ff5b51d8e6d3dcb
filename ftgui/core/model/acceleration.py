"""GPU options of a run: distribution strategy, mixed precision and XLA, chosen from settings."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig


@dataclass
class Acceleration:
    strategy: Any  # a tf.distribute.Strategy (the default one when not distributing)
    replicas: int
    mixed_precision: bool
    xla: bool

    def describe(self, device: str) -> str:
        parts = [device]
        if self.replicas > 1:
            parts.append(f"{self.replicas} replicas ({type(self.strategy).__name__})")
        if self.mixed_precision:
            parts.append("mixed precision")
        if self.xla:
            parts.append("XLA")
        return " · ".join(parts)


def choose_acceleration(config: RunConfig, device: str) -> Acceleration:
    """Pick the strategy (TF_CONFIG → multi-worker; several devices → mirrored) and set the
    global mixed-precision policy; mixed precision and XLA default to on only with a GPU."""
    import keras
    import tensorflow as tf

    on_gpu = device.startswith("GPU")
    gpus = tf.config.list_logical_devices("GPU")
    if os.environ.get("TF_CONFIG") and json.loads(os.environ["TF_CONFIG"]).get("cluster"):
        strategy: Any = tf.distribute.MultiWorkerMirroredStrategy()
    elif config.distribute == "mirrored" or (config.distribute == "auto" and len(gpus) > 1):
        devices = gpus or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
    else:
        strategy = tf.distribute.get_strategy()
    mixed = on_gpu if config.mixed_precision is None else config.mixed_precision
    xla = on_gpu if config.xla is None else config.xla
    if xla and not on_gpu and strategy.num_replicas_in_sync > 1:
        raise UserError(
            "XLA cannot run across several logical CPU devices (a TensorFlow limitation); "
            "drop --xla or --distribute mirrored."
        )
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    return Acceleration(strategy, strategy.num_replicas_in_sync, mixed, xla)
