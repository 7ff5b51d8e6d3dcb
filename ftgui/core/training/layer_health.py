"""Per-layer health of a phase's training: each trainable layer's gradient norm and the ratio
of an optimizer step's update to its weights (‖ΔW‖ / ‖W‖, kernel and bias together), measured
inside the training step on a sample of the epoch's steps.

`HealthProbe.install` wraps the optimizer's `_backend_apply_gradients` (Keras 3 calls it from
`apply` with the unscaled, filtered gradients). The wrapper adds its operations only to a second
train function, traced for the sampled steps (every `every`-th batch of an epoch, so at least
`SAMPLED_STEPS` of them): per layer it sums the squares of the gradient and of the weights
before the update, and of each increment the optimizer assigns to a weight (`assign_add`,
`assign_sub`, `assign`: the update itself, so no copy of the weights is made), and adds the
step's update ratio and gradient norm to the epoch's sums. Every other
step runs Keras's own train function, unchanged, so only sampled steps pay. The callback swaps
the two (`before_batch`); the optimizer's variables are untouched (the checkpoint stores the
same state). `take` reads the epoch's means.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
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
        count = len(self.layers)
        # per layer: the sums of the sampled steps' ratios and gradient norms, and their count
        self._zeros = tf.zeros([count, 3], tf.float32)
        self._sums = tf.Variable(self._zeros, trainable=False)
        self._tracing_measured = False
        self._apply: Any = None
        self.optimizer: Any = None
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
        probe.optimizer, probe._apply = optimizer, optimizer._backend_apply_gradients
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
        zero = tf.zeros([], tf.float32)
        grads_sq, weights_sq = [zero] * len(self.layers), [zero] * len(self.layers)
        for grad, variable, slot in zip(grads, variables, slots, strict=True):
            layer = self._layer_index[slot]  # l2_loss is half a sum of squares: halves agree
            grads_sq[layer] += tf.nn.l2_loss(tf.cast(grad, tf.float32))
            weights_sq[layer] += tf.nn.l2_loss(tf.cast(variable.value, tf.float32))
        updates_sq = [zero] * len(self.layers)
        seen: set[int] = set()
        with self._watching_updates(updates_sq, seen):
            result = self._apply(grads, variables)
        ratio = tf.sqrt(tf.stack(updates_sq)) / tf.maximum(tf.sqrt(tf.stack(weights_sq)), 1e-30)
        unseen = {self._layer_index[slot] for slot in slots if slot not in seen}
        if unseen:  # an optimizer that updates otherwise than by assign*: not measured
            mask = [float("nan") if i in unseen else 1.0 for i in range(len(self.layers))]
            ratio = ratio * tf.constant(mask, tf.float32)
        grad_norm = tf.sqrt(2.0 * tf.stack(grads_sq))
        self._sums.assign_add(tf.stack([ratio, grad_norm, tf.ones_like(ratio)], axis=1))
        return result

    @contextlib.contextmanager
    def _watching_updates(self, updates_sq: list[Any], seen: set[int]) -> Iterator[None]:
        """While the optimizer's update is traced, add the square norm of every change it
        assigns to a trainable variable (its increment: no copy of the weights is needed)."""
        import tensorflow as tf

        optimizer = self.optimizer
        by_variable = {v.value.ref(): i for i, v in enumerate(self.model.trainable_weights)}

        def watched(kind: str) -> Callable[[Any, Any], Any]:
            original = getattr(optimizer, kind)

            def assign(variable: Any, value: Any) -> Any:
                if hasattr(variable, "path"):  # a Keras variable
                    slot, held = self._slot.get(variable.path), variable.value
                else:  # the tf.Variable inside one (what the TensorFlow update step passes)
                    slot, held = by_variable.get(variable.ref()), variable
                if slot is not None:
                    seen.add(slot)
                    change = value - tf.cast(held, value.dtype) if kind == "assign" else value
                    square = tf.nn.l2_loss(tf.cast(change, tf.float32))
                    updates_sq[self._layer_index[slot]] += square
                return original(variable, value)

            return assign

        kinds = ("assign", "assign_add", "assign_sub")
        for kind in kinds:
            optimizer.__dict__[kind] = watched(kind)
        try:
            yield
        finally:
            for kind in kinds:
                optimizer.__dict__.pop(kind, None)
