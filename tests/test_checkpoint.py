"""A checkpoint puts back an optimizer's state through Keras's own save/load of its variables."""

import keras
import numpy as np
import pytest

from ftgui.core.errors import UserError
from ftgui.core.model.build import make_optimizer
from ftgui.core.settings.config import OPTIMIZERS, PhaseConfig
from ftgui.core.training.checkpoint import Checkpoint, OptimizerState

MISMATCH = (
    r"^The checkpoint's optimizer variables do not match this run's model \(.+\); "
    r"was config\.json edited\? Start a new run instead\.$"
)


def _trained(optimizer: str, policy: str = "float32", steps: int = 3) -> keras.Model:
    """A tiny model compiled as a phase compiles it, after a few training steps."""
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="dense", dtype=policy)], name="tiny"
    )
    model.compile(make_optimizer(PhaseConfig("phase", 1, 1e-2, optimizer)), "mse")
    model.optimizer.build(model.trainable_variables)
    x, y = np.random.default_rng(0).normal(size=(2, 8, 4)).astype("float32"), np.ones((8, 3))
    for _ in range(steps):
        model.train_on_batch(x[0], y)
    return model


def _values(optimizer) -> list[np.ndarray]:
    return [np.array(variable.numpy()) for variable in optimizer.variables]


def _round_trip(model: keras.Model, folder) -> OptimizerState:
    Checkpoint(0, 1, optimizer=OptimizerState.of(model.optimizer)).write(folder)
    return Checkpoint.read(folder).optimizer


@pytest.mark.slow
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_checkpoint_puts_back_every_optimizer_variable(tmp_path, name):
    saved = _values(_trained(name).optimizer)
    fresh = _trained(name, steps=0).optimizer
    assert int(fresh.iterations.numpy()) == 0 and int(saved[0]) == 3
    slots = [i for i, v in enumerate(fresh.variables) if "kernel" in v.name]
    assert slots and all(not np.array_equal(saved[i], _values(fresh)[i]) for i in slots)
    _round_trip(_trained(name), tmp_path).load_into(fresh)
    restored = _values(fresh)
    assert len(restored) == len(saved)
    assert all(np.array_equal(a, b) for a, b in zip(restored, saved, strict=True))


def test_a_loss_scale_optimizer_puts_back_its_scale_and_its_inner_optimizer(tmp_path):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        trained, fresh = _trained("adam"), _trained("adam", steps=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert isinstance(fresh.optimizer, keras.optimizers.LossScaleOptimizer)
    trained.optimizer.dynamic_scale.assign(1024.0)  # distinct from the fresh 32768
    trained.optimizer.step_counter.assign(7)
    saved = _values(trained.optimizer)
    _round_trip(trained, tmp_path).load_into(fresh.optimizer)
    assert float(fresh.optimizer.dynamic_scale.numpy()) == 1024.0
    assert int(fresh.optimizer.step_counter.numpy()) == 7
    assert int(fresh.optimizer.inner_optimizer.iterations.numpy()) == 3
    assert all(np.array_equal(a, b) for a, b in zip(_values(fresh.optimizer), saved, strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_another_optimizers_state_is_refused_in_one_sentence(tmp_path, name):
    state = _round_trip(_trained(name), tmp_path)
    for other in (o for o in OPTIMIZERS if o != name):
        fresh = _trained(other, steps=0).optimizer
        before = _values(fresh)
        with pytest.raises(UserError, match=MISMATCH):
            state.load_into(fresh)
        assert all(np.array_equal(a, b) for a, b in zip(_values(fresh), before, strict=True))


def test_a_state_for_other_shapes_is_refused_in_one_sentence(tmp_path):
    state = _round_trip(_trained("adam"), tmp_path)
    wider = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, name="dense")], name="tiny")
    wider.compile(make_optimizer(PhaseConfig("phase", 1, 1e-2, "adam")), "mse")
    wider.optimizer.build(wider.trainable_variables)
    with pytest.raises(UserError, match=MISMATCH) as refused:
        state.load_into(wider.optimizer)
    assert "dense_kernel_momentum: shapes differ" in str(refused.value)


def test_a_best_epoch_that_is_the_checkpoints_own_is_not_written_twice(tmp_path):
    import zipfile

    from ftgui.core.training.checkpoint import CHECKPOINT_FILE, Best

    weights = {"dense/kernel": np.arange(6, dtype=np.float32).reshape(2, 3)}
    Checkpoint(1, 3, weights, best=Best(0.5, 2, weights)).write(tmp_path)
    with zipfile.ZipFile(tmp_path / CHECKPOINT_FILE) as archive:
        assert not [name for name in archive.namelist() if name.startswith("best/")]
    read = Checkpoint.read(tmp_path)
    assert (read.best.epoch, read.best.val_loss) == (2, 0.5)
    np.testing.assert_array_equal(read.best.weights["dense/kernel"], weights["dense/kernel"])

    older = {"dense/kernel": np.zeros((2, 3), np.float32)}  # an earlier best waits: both kept
    Checkpoint(1, 4, weights, best=Best(0.4, 1, older)).write(tmp_path)
    read = Checkpoint.read(tmp_path)
    np.testing.assert_array_equal(read.best.weights["dense/kernel"], older["dense/kernel"])
    np.testing.assert_array_equal(read.weights["dense/kernel"], weights["dense/kernel"])
