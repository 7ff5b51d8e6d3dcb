"""Per-layer health of a phase's training: each trainable layer's gradient norm and the ratio
of an optimizer step's update to its weights (‖ΔW‖ / ‖W‖, kernel and bias together), measured
inside the training step on a sample of the epoch's steps.

`HealthProbe.install` wraps the optimizer's `_backend_apply_gradients` (Keras 3 calls it from
`apply` with the unscaled, filtered gradients). The wrapper adds its operations only to a second
train function, traced for the sampled steps (every `every`-th batch of an epoch, so at least
`SAMPLED_STEPS` of them): it copies the layers' weights into shadow variables before the
update and sums, per layer, the step's update ratio and gradient norm after it. Every other
step runs Keras's own train function, unchanged, so only sampled steps pay. The callback swaps
the two (`before_batch`); the optimizer's variables are untouched (the checkpoint stores the
same state). `take` reads the epoch's means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SAMPLED_STEPS = 5  # at least this many steps of each epoch are measured (all when fewer)


@dataclass(frozen=True)
class StepMeans:
    """One layer's means over an epoch's sampled steps."""

    update_ratio: float
    grad_norm: float


def layer_of(variable: Any) -> str:
    """The name of the layer a Keras variable belongs to ("block5_conv1/kernel" → its layer)."""
    return variable.path.rsplit("/", 1)[0]


def sampling_interval(steps_per_epoch: int) -> int:
    """Measure every n-th step: at least `SAMPLED_STEPS` per epoch (every step when fewer)."""
    return max(1, steps_per_epoch // SAMPLED_STEPS)


def unmeasurable(model: Any, replicas: int) -> str | None:
    """Why the probe cannot measure `model`'s steps (None when it can)."""
    if replicas > 1:
        return "a step runs on several replicas"
    if not callable(getattr(model, "_make_function", None)):
        return "this Keras has no Model._make_function (tested: Keras 3.15)"
    return None


class HealthProbe:
    """Measures the trainable layers of `model` while `model.optimizer` applies gradients."""

    def __init__(self, model: Any, steps_per_epoch: int) -> None:
        import tensorflow as tf

        variables = list(model.trainable_weights)
        self.model = model
        self.layers: list[str] = list(dict.fromkeys(layer_of(v) for v in variables))
        self.every = sampling_interval(steps_per_epoch)
        self._slot = {v.path: i for i, v in enumerate(variables)}
        self._layer_index = [self.layers.index(layer_of(v)) for v in variables]
        self._shadows = [
            tf.Variable(tf.zeros(v.shape, tf.float32), trainable=False) for v in variables
        ]
        count = len(self.layers)
        self._grad_sq = tf.Variable(tf.zeros([count], tf.float32), trainable=False)
        # per layer: the sums of the sampled steps' ratios and gradient norms, and their count
        self._zeros = tf.zeros([count, 3], tf.float32)
        self._sums = tf.Variable(self._zeros, trainable=False)
        self._tracing_measured = False
        self._apply: Any = None
        self._plain: Callable[[Any], Any] | None = None  # Keras's train function
        self._measured: Any = None  # the train function with the measuring operations

    @classmethod
    def install(cls, model: Any, steps_per_epoch: int) -> HealthProbe:
        """The probe of `model` on its optimizer (the one already there when this optimizer
        has one for this model). Check `unmeasurable` first."""
        optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)
        existing = getattr(optimizer._backend_apply_gradients, "__self__", None)
        if isinstance(existing, HealthProbe) and existing.model is model:
            existing.every = sampling_interval(steps_per_epoch)
            return existing
        probe = cls(model, steps_per_epoch)
        probe._apply = optimizer._backend_apply_gradients
        optimizer._backend_apply_gradients = probe._backend_apply_gradients
        return probe

    def reset(self) -> None:
        """Start an epoch's sums (an epoch rolled back by a stop leaves nothing behind)."""
        self._sums.assign(self._zeros)

    def before_batch(self, batch: int) -> None:
        """Let Keras's next step (`batch` of the epoch, 0-based) run measured when sampled."""
        model = self.model
        if self._plain is None:
            self._plain = model.make_train_function()
        if batch % self.every:
            model.train_function = self._plain
            return
        if self._measured is None:
            self._measured = model._make_function(model.train_step)
        model.train_function = self._measured_step

    def training_ended(self) -> None:
        """Leave Keras's own train function in place."""
        if self._plain is not None:
            self.model.train_function = self._plain

    def take(self) -> dict[str, StepMeans]:
        """The means since `reset`, per layer in model order; empty when no step was sampled."""
        sums = self._sums.numpy()
        measured = float(sums[0, 2])
        if not measured:
            return {}
        sums = sums / measured
        return {
            layer: StepMeans(float(sums[i, 0]), float(sums[i, 1]))
            for i, layer in enumerate(self.layers)
        }

    def _measured_step(self, iterator: Any) -> Any:
        """A sampled step: the measuring train function (traced on its first call)."""
        self._tracing_measured = True
        try:
            return self._measured(iterator)
        finally:
            self._tracing_measured = False

    def _backend_apply_gradients(self, grads: Any, variables: Any) -> Any:
        """The optimizer's update; while the measuring function is traced, measured."""
        if not self._tracing_measured:
            return self._apply(grads, variables)
        import tensorflow as tf

        slots = [self._slot[v.path] for v in variables]
        squares = [tf.zeros([], tf.float32) for _ in self.layers]
        for grad, variable, slot in zip(grads, variables, slots, strict=True):
            self._shadows[slot].assign(tf.cast(variable.value, tf.float32))
            squares[self._layer_index[slot]] += tf.nn.l2_loss(tf.cast(grad, tf.float32))
        self._grad_sq.assign(2.0 * tf.stack(squares))  # l2_loss is half the sum of squares
        result = self._apply(grads, variables)
        updates = [tf.zeros([], tf.float32) for _ in self.layers]
        weights = [tf.zeros([], tf.float32) for _ in self.layers]
        for variable, slot in zip(variables, slots, strict=True):
            old = self._shadows[slot]
            layer = self._layer_index[slot]
            updates[layer] += tf.nn.l2_loss(tf.cast(variable.value, tf.float32) - old)
            weights[layer] += tf.nn.l2_loss(old)  # halves: their ratio is the same
        ratio = tf.sqrt(tf.stack(updates)) / tf.maximum(tf.sqrt(tf.stack(weights)), 1e-30)
        counted = tf.ones_like(ratio)
        self._sums.assign_add(tf.stack([ratio, tf.sqrt(self._grad_sq), counted], axis=1))
        return result
