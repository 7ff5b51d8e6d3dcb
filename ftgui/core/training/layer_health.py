"""Per-layer health of a phase's training: each trainable layer's gradient norm and the ratio
of an optimizer step's update to its weights (‖ΔW‖ / ‖W‖, kernel and bias together), measured
inside the training step on a sample of the epoch's steps.

`HealthProbe.install` wraps the optimizer's `_backend_apply_gradients` (Keras 3 calls it from
`apply` with the unscaled, filtered gradients). On a sampled step (every `every`-th optimizer
iteration, so at least `SAMPLED_STEPS` steps of an epoch) it copies the layers' weights into
shadow variables before the update and sums, per layer, the step's update ratio and gradient
norm after it; other steps pay one `tf.cond` on a counter. The optimizer's own variables are
untouched (the checkpoint stores the same state). `take` reads the epoch's means.
"""

from __future__ import annotations

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


class HealthProbe:
    """Measures the trainable layers of `model` while `model.optimizer` applies gradients."""

    def __init__(self, model: Any, steps_per_epoch: int) -> None:
        import tensorflow as tf

        variables = list(model.trainable_weights)
        self.layers: list[str] = list(dict.fromkeys(layer_of(v) for v in variables))
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
        self._every = tf.Variable(sampling_interval(steps_per_epoch), dtype=tf.int64)
        self.optimizer: Any = None
        self._apply: Any = None

    @classmethod
    def install(cls, model: Any, steps_per_epoch: int, replicas: int = 1) -> HealthProbe | None:
        """A probe on `model.optimizer` (the one already there when this optimizer has one);
        None when nothing is trainable or the step runs on several `replicas`."""
        if not model.trainable_weights or replicas > 1:
            return None
        optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)
        existing = getattr(optimizer._backend_apply_gradients, "__self__", None)
        if isinstance(existing, HealthProbe):
            existing._every.assign(sampling_interval(steps_per_epoch))
            return existing
        probe = cls(model, steps_per_epoch)
        probe.optimizer, probe._apply = optimizer, optimizer._backend_apply_gradients
        optimizer._backend_apply_gradients = probe._backend_apply_gradients
        return probe

    def reset(self) -> None:
        """Start an epoch's sums (an epoch rolled back by a stop leaves nothing behind)."""
        self._sums.assign(self._zeros)

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

    def _backend_apply_gradients(self, grads: Any, variables: Any) -> Any:
        """The optimizer's update, measured on sampled steps (traced into the train step)."""
        import tensorflow as tf

        slots = [self._slot[v.path] for v in variables]
        sampled = tf.equal(tf.math.floormod(self.optimizer.iterations, self._every), 0)

        def before() -> Any:
            squares = [tf.zeros([], tf.float32) for _ in self.layers]
            for grad, variable, slot in zip(grads, variables, slots, strict=True):
                self._shadows[slot].assign(tf.cast(variable.value, tf.float32))
                squares[self._layer_index[slot]] += tf.nn.l2_loss(tf.cast(grad, tf.float32))
            self._grad_sq.assign(2.0 * tf.stack(squares))  # l2_loss is half the sum of squares
            return tf.constant(0)

        def after() -> Any:
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
            return tf.constant(0)

        def skip() -> Any:
            return tf.constant(0)

        tf.cond(sampled, before, skip)
        result = self._apply(grads, variables)
        tf.cond(sampled, after, skip)
        return result
