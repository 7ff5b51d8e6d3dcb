"""GPU options of a run: distribution strategy, mixed precision and XLA, chosen from settings.

FTGUI_WORKER_PEER_TIMEOUT_S (whole seconds, default 10) sets how long a multi-worker run waits
for a silent peer before it gives up.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from dataclasses import dataclass
from typing import Any

from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig

# Seconds a worker waits for the others to join, and then for a silent peer before giving up
# (FTGUI_WORKER_PEER_TIMEOUT_S, read once at import, overrides the latter).
WORKER_START_TIMEOUT_S = 300
WORKER_PEER_TIMEOUT_S = int(os.environ.get("FTGUI_WORKER_PEER_TIMEOUT_S", "10"))
WORKER_CHECK_INTERVAL_S = 5

_multi_worker: Any = None  # the one MultiWorkerMirroredStrategy of this process, once created

# Multi-worker training patches private Keras and TensorFlow attributes (below, each in one
# function); they were checked with this Keras range, the one pyproject.toml pins.
TESTED_KERAS = ">=3.15,<3.16"
HEALTH_CHECK_SETTINGS = {
    "_check_health_initial_timeout": WORKER_START_TIMEOUT_S,
    "_check_health_timeout": WORKER_PEER_TIMEOUT_S,
    "_check_health_interval": WORKER_CHECK_INTERVAL_S,
    "_check_health_retry_limit": 2,
}


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


@dataclass(frozen=True)
class WorkerRole:
    """This process's place in a `TF_CONFIG` cluster."""

    index: int
    count: int

    @property
    def chief(self) -> bool:
        return self.index == 0

    def describe(self) -> str:
        return f"worker {self.index + 1} of {self.count}" + (" (chief)" if self.chief else "")


def worker_role(tf_config: str | None = None) -> WorkerRole | None:
    """The worker this process is in `$TF_CONFIG`'s cluster, or None when there is no cluster."""
    text = os.environ.get("TF_CONFIG", "") if tf_config is None else tf_config
    if not text.strip():
        return None
    try:
        data = json.loads(text)
        cluster, task = data.get("cluster") or {}, data.get("task") or {}
        workers = [*cluster.get("chief", []), *cluster.get("worker", [])]
        offset = len(cluster.get("chief", [])) if task.get("type") == "worker" else 0
        index = offset + int(task.get("index", 0))
    except (ValueError, TypeError, AttributeError) as exc:
        raise UserError(f"TF_CONFIG is not a valid cluster description ({exc}); fix it.") from None
    if not workers:
        return None
    return WorkerRole(index, len(workers))


def start_multi_worker() -> Any:
    """Create the MultiWorkerMirroredStrategy before any other TensorFlow op (TensorFlow needs
    collectives configured at start-up); waits for every worker, then watches them."""
    global _multi_worker
    if _multi_worker is None:
        import tensorflow as tf

        _set_worker_health_checks()
        options = tf.distribute.experimental.CommunicationOptions(
            timeout_seconds=WORKER_START_TIMEOUT_S
        )
        _average_scalars_across_workers()
        try:
            _multi_worker = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
        except RuntimeError as exc:
            if "Timeout waiting for the cluster" not in str(exc):
                raise
            raise UserError(
                f"The other workers in TF_CONFIG did not start within {WORKER_START_TIMEOUT_S} s; "
                f"start `python main.py train` on every worker with the same cluster."
            ) from None
    return _multi_worker


def _set_worker_health_checks() -> None:
    """Time out on workers that never start or stop answering (TensorFlow's private health
    check settings of `CollectiveAllReduceExtended`, class attributes read at start-up)."""
    import tensorflow as tf
    from tensorflow.python.distribute import collective_all_reduce_strategy as collective

    extended = collective.CollectiveAllReduceExtended
    missing = [name for name in HEALTH_CHECK_SETTINGS if not hasattr(extended, name)]
    if missing:
        raise UserError(
            f"ftgui sets TensorFlow's private CollectiveAllReduceExtended.{missing[0]} for "
            f"multi-worker training, and TensorFlow {tf.__version__} (with Keras "
            f"{_keras_version()}) has no such attribute; install the tested Keras "
            f"(keras{TESTED_KERAS}) with the TensorFlow it requires."
        )
    for name, value in HEALTH_CHECK_SETTINGS.items():
        setattr(extended, name, value)


def keras_internal(owner: Any, name: str, parameters: tuple[str, ...] = ()) -> Any:
    """`owner.name`, a private Keras function ftgui patches; UserError naming the installed
    Keras when it is gone or no longer takes `parameters` (a patch would silently do nothing)."""
    where = getattr(owner, "__name__", type(owner).__name__)
    found = getattr(owner, name, None)
    problem = f"has no {where}.{name}" if found is None else ""
    if found is not None and parameters:
        taken = set(inspect.signature(found).parameters)
        lacking = [p for p in parameters if p not in taken]
        if lacking:
            problem = f"has a {where}.{name} without the parameter {lacking[0]!r}"
    if problem:
        raise UserError(
            f"ftgui patches a private Keras function for multi-worker training, and Keras "
            f"{_keras_version()} {problem}; install the tested Keras (keras{TESTED_KERAS})."
        )
    return found


def _keras_version() -> str:
    import keras

    return keras.__version__


def _average_scalars_across_workers() -> None:
    """Keras 3.15 averages each replica's metrics over workers with `axis=0`, which fails on
    scalars ("Invalid reduction dimension 0"); average them with `axis=None` instead."""
    from keras.src.backend.tensorflow import trainer

    original = keras_internal(trainer, "reduce_per_replica", ("values", "strategy", "reduction"))
    keras_internal(trainer, "_collective_all_reduce_multi_worker", ("strategy",))
    if getattr(original, "ftgui_patched", False):
        return

    def reduce_per_replica(values: Any, strategy: Any, reduction: str) -> Any:
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            import tensorflow as tf

            return tf.nest.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return original(values, strategy, reduction)

    reduce_per_replica.ftgui_patched = True  # type: ignore[attr-defined]
    trainer.reduce_per_replica = reduce_per_replica


def choose_acceleration(config: RunConfig, device: str) -> Acceleration:
    """Pick the strategy (TF_CONFIG → multi-worker; several devices → mirrored) and set the
    global mixed-precision policy; mixed precision and XLA default to on only with a GPU."""
    import keras
    import tensorflow as tf

    on_gpu = device.startswith("GPU")
    gpus = tf.config.list_logical_devices("GPU")
    if worker_role() is not None:
        strategy: Any = start_multi_worker()
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


def build_without_reducing_data(model: Any, element_spec: Any) -> None:
    """Let `model` fit under MultiWorkerMirroredStrategy: Keras 3.15 builds a model's metrics on
    `strategy.reduce` of a whole (x, y) batch, which that strategy cannot reduce; build them on
    zeros of the batches' shapes instead (one local batch of one image)."""
    import tensorflow as tf

    sample = tf.nest.map_structure(
        lambda spec: tf.zeros([d or 1 for d in spec.shape], spec.dtype), element_spec
    )
    build = keras_internal(type(model), "_maybe_symbolic_build", ("self", "data_batch"))

    def symbolic_build(iterator: Any = None, data_batch: Any = None) -> None:
        build(model, data_batch=sample)

    model._maybe_symbolic_build = symbolic_build


def weights_digest(model: Any) -> str:
    """SHA-256 of every weight's bytes: equal on workers that trained in sync."""
    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(weight.tobytes())
    return digest.hexdigest()[:16]
