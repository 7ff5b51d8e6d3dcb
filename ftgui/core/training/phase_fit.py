"""One phase's `fit`, from its first unfinished epoch, its time accounted for."""

from __future__ import annotations

import contextlib
from typing import Any

from ftgui.core.events import Status
from ftgui.core.settings.config import PhaseConfig
from ftgui.core.training.epoch_records import ProgressCallback
from ftgui.core.training.layer_health import HealthProbe, unmeasurable
from ftgui.core.training.phase_inputs import PhaseInputs
from ftgui.core.training.tf_errors import tensorflow_errors
from ftgui.core.training.time_spent import TimeSpent

NOT_MEASURED = "Per-layer health is not measured in this phase"


def fit_phase(
    inputs: PhaseInputs,
    phase: PhaseConfig,
    callback: ProgressCallback,
    strategy: Any,
    time: TimeSpent,
    until: int | None = None,
) -> None:
    """Fit `inputs.model` from the phase's first unfinished epoch (the callback restores a
    resumed state) up to epoch `until` (default: the phase's last); the training steps' own
    time goes to `time` (validation and records are counted by the callbacks)."""
    model = inputs.model
    if not model.optimizer.built:  # now, so there is a state to restore and roll back to
        with strategy.scope():
            model.optimizer.build(model.trainable_variables)
    reason = unmeasurable(model, strategy.num_replicas_in_sync)
    if reason is None and model.trainable_weights:
        callback.probe = HealthProbe.install(model, callback.steps)
    elif model.trainable_weights:
        callback.listener(Status(f"{NOT_MEASURED}: {reason}."))
    before = dict(time.parts)
    started = time.clock()
    callbacks = [c for c in (inputs.validation_callback, callback) if c is not None]
    try:
        with tensorflow_errors("training"):
            model.fit(
                inputs.train,
                validation_data=inputs.validation,
                initial_epoch=callback.recorder.epochs_done,
                epochs=phase.epochs if until is None else until,
                callbacks=callbacks,
                verbose=0,
                shuffle=False,
            )  # the tf.data pipeline shuffles, seeded
    except BaseException:
        with contextlib.suppress(Exception):  # the epoch being written still lands
            callback.recorder.settle()
        raise
    inside = sum(time.parts.values()) - sum(before.values())  # validation, records
    time.add(f"{phase.name}: training steps", time.clock() - started - inside)
