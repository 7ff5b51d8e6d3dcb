"""Per-layer health: layer_health.csv of a real run, the probe's numbers against hand-computed
ones, the file's append / read / cut back, the bands and the too-fast warning."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from ftgui.core.events import HealthMeasured, LayerHealth, Status
from ftgui.core.training.health_bands import band_of, too_fast_warning
from ftgui.core.training.health_file import (
    HEALTH_FIELDS,
    HEALTH_FILE,
    append_health,
    keep_health,
    read_health,
    weight_norms,
)
from ftgui.core.training.health_watch import HealthWatch
from ftgui.core.training.layer_health import SAMPLED_STEPS, sampling_interval

HEAD = ["dense", "predictions"]
BLOCK5 = ["block5_conv1", "block5_conv2", "block5_conv3"]


def _row(phase: int, epoch: int, layer: str, ratio: float = 1e-3) -> LayerHealth:
    return LayerHealth(phase, epoch, layer, 2.0, ratio, 0.5)


# -- a real run (conftest `cats_run`: 1 + 1 epochs, the book's layer plan) ---------------------


@pytest.mark.slow
def test_a_run_has_rows_for_exactly_each_phases_trainable_layers(cats_run: Path) -> None:
    with open(cats_run / HEALTH_FILE, newline="", encoding="utf-8") as f:
        assert next(csv.reader(f)) == list(HEALTH_FIELDS)
    rows = read_health(cats_run)
    assert [(r.phase, r.epoch, r.layer) for r in rows] == [
        (0, 0, "dense"), (0, 0, "predictions"),
        *[(1, 0, layer) for layer in BLOCK5 + HEAD],
    ]  # fmt: skip
    for row in rows:
        assert row.weight_norm > 0 and row.update_ratio > 0 and row.grad_norm > 0
        assert all(math.isfinite(v) for v in (row.weight_norm, row.update_ratio, row.grad_norm))


@pytest.mark.slow
def test_weight_norms_are_those_of_the_saved_models(cats_run: Path) -> None:
    """Phase 2's last epoch is model.keras; phase 1's is its best model (its only epoch)."""
    import keras

    def norms(file: Path) -> dict[str, float]:
        model = keras.models.load_model(file, compile=False)
        layers = {layer.name: layer for layer in model._flatten_layers()}
        return {
            name: math.sqrt(sum(float(np.sum(np.square(w, dtype=np.float64))) for w in
                                layers[name].get_weights()))
            for name in BLOCK5 + HEAD
        }  # fmt: skip

    final, first = (
        norms(cats_run / "model.keras"),
        norms(cats_run / "best_1_train-classifier.keras"),
    )
    for row in read_health(cats_run):
        saved = final if row.phase == 1 else first
        assert row.weight_norm == pytest.approx(saved[row.layer], rel=1e-6, abs=1e-4), row.layer


# -- the probe on a small model whose updates are known -------------------------------------


@pytest.mark.slow
def test_the_probe_measures_sgds_update_ratio_and_gradient_norm() -> None:
    """With SGD a step's update is lr·g: the mean ratio is lr·mean‖g‖/‖W‖ (‖W‖ barely moves at
    a small rate). The optimizer's own variables are untouched; 12 steps sample 6."""
    import keras

    from ftgui.core.training.keras_hooks import KerasHooks
    from ftgui.core.training.layer_health import HealthProbe

    keras.utils.set_random_seed(3)
    inputs = keras.Input((8,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3, name="out")(hidden))
    lr = 1e-4
    model.compile(keras.optimizers.SGD(lr), keras.losses.SparseCategoricalCrossentropy(True))
    model.optimizer.build(model.trainable_variables)
    names = [v.name for v in model.optimizer.variables]
    x = np.random.default_rng(0).normal(size=(48, 8)).astype("float32")
    y = np.arange(48) % 3
    steps = 12
    probe = HealthProbe.install(model, steps)
    assert probe.layers == ["hidden", "out"]
    assert HealthProbe.install(model, steps) is probe  # one probe per optimizer and model
    before = {v.path: float(np.linalg.norm(v.numpy())) for v in model.trainable_weights}
    swaps = KerasHooks()
    swaps.on_train_batch_begin = lambda batch, logs=None: probe.before_batch(batch)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False, callbacks=[swaps])
    probe.training_ended()
    means = probe.take()
    assert float(probe._sums.numpy()[0, 2]) == steps // sampling_interval(steps) == 6
    assert [v.name for v in model.optimizer.variables] == names
    for layer in ("hidden", "out"):
        weight = math.hypot(before[f"{layer}/kernel"], before[f"{layer}/bias"])
        assert means[layer].grad_norm > 0
        assert means[layer].update_ratio == pytest.approx(
            lr * means[layer].grad_norm / weight, rel=1e-3
        )
    probe.reset()
    assert probe.take() == {}


def test_at_least_five_steps_of_an_epoch_are_sampled() -> None:
    for steps in (1, 4, 5, 9, 10, 54, 1000):
        sampled = len(range(0, steps, sampling_interval(steps)))
        assert sampled >= min(steps, SAMPLED_STEPS), steps


# -- the file ---------------------------------------------------------------------------------


def test_rows_are_appended_under_one_header_and_read_back(tmp_path: Path) -> None:
    append_health(tmp_path, [_row(0, 0, "dense"), _row(0, 0, "predictions")])
    append_health(tmp_path, [_row(0, 1, "dense", 0.25)])
    lines = (tmp_path / HEALTH_FILE).read_text().splitlines()
    assert lines[0] == "phase,epoch,layer,weight_norm,update_ratio,grad_norm"
    assert lines[3] == "1,2,dense,2.0,0.25,0.5"
    assert read_health(tmp_path) == [
        _row(0, 0, "dense"), _row(0, 0, "predictions"), _row(0, 1, "dense", 0.25),
    ]  # fmt: skip


def test_a_resume_keeps_only_the_rows_of_the_epochs_history_kept(tmp_path: Path) -> None:
    append_health(tmp_path, [_row(0, 0, "dense"), _row(0, 1, "dense"), _row(1, 0, "dense")])
    keep_health(tmp_path, {(0, 0), (0, 1)})
    assert [(r.phase, r.epoch) for r in read_health(tmp_path)] == [(0, 0), (0, 1)]


def test_a_line_cut_by_a_crash_is_skipped_and_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert read_health(tmp_path) == []
    append_health(tmp_path, [_row(0, 0, "dense")])
    with open(tmp_path / HEALTH_FILE, "a", encoding="utf-8") as f:
        f.write("1,2,dense,3.5,")
    assert read_health(tmp_path) == [_row(0, 0, "dense")]


def test_weight_norms_group_a_layers_kernel_and_bias() -> None:
    arrays = {
        "dense/kernel": np.full((2, 2), 1.0, np.float32),
        "dense/bias": np.array([3.0], np.float32),
        "other/kernel": np.ones(4),
    }
    assert weight_norms(arrays, ["dense"]) == {"dense": pytest.approx(math.sqrt(13.0))}


# -- bands and the warning --------------------------------------------------------------------


def test_bands_split_at_1e_4_and_1e_2() -> None:
    assert [band_of(r) for r in (1e-5, 1e-4, 1e-3, 1e-2, 0.05)] == [
        "hardly learning", "healthy", "healthy", "healthy", "too fast",
    ]  # fmt: skip


def test_a_pretrained_layer_moving_too_fast_is_warned_about_once_per_phase() -> None:
    heard: list[object] = []
    watch = HealthWatch(pretrained=BLOCK5, learning_rate=1e-3)
    head_fast = HealthMeasured(1, 0, (_row(1, 0, "block5_conv1", 5e-3), _row(1, 0, "dense", 0.5)))
    watch.announce(head_fast, heard.append)
    assert heard == [head_fast]  # the head is not pretrained: no warning
    base_fast = HealthMeasured(1, 1, (_row(1, 1, "block5_conv2", 0.03),))
    watch.announce(base_fast, heard.append)
    watch.announce(HealthMeasured(1, 2, (_row(1, 2, "block5_conv2", 0.04),)), heard.append)
    warnings = [e.text for e in heard if isinstance(e, Status)]
    assert warnings == [too_fast_warning("block5_conv2", 0.03, 1, 1e-3)]
    assert "block5_conv2" in warnings[0] and "epoch 2" in warnings[0] and "0.0001" in warnings[0]


def test_random_weights_have_nothing_pretrained_to_warn_about() -> None:
    heard: list[object] = []
    watch = HealthWatch(pretrained=(), learning_rate=1e-3)
    watch.announce(HealthMeasured(1, 0, (_row(1, 0, "block5_conv1", 0.5),)), heard.append)
    assert not any(isinstance(e, Status) for e in heard)


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["rmsprop", "adam", "sgd"])
def test_one_measured_step_gives_the_weights_actual_change(optimizer: str) -> None:
    """Each optimizer of the table (RMSprop, Adam, SGD with momentum 0.9): the ratio of a
    single step equals ‖W_after − W_before‖ / ‖W_before‖ of the layer, kernel and bias."""
    import keras

    from ftgui.core.model.build import make_optimizer
    from ftgui.core.settings.config import PhaseConfig
    from ftgui.core.training.keras_hooks import KerasHooks
    from ftgui.core.training.layer_health import HealthProbe

    keras.utils.set_random_seed(4)
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(3, name="out")(inputs))
    phase = PhaseConfig(name="p", epochs=1, optimizer=optimizer, learning_rate=1e-2)
    model.compile(make_optimizer(phase), keras.losses.SparseCategoricalCrossentropy(True))
    model.optimizer.build(model.trainable_variables)
    probe = HealthProbe.install(model, 1)
    swaps = KerasHooks()
    swaps.on_train_batch_begin = lambda batch, logs=None: probe.before_batch(batch)
    before = np.concatenate([v.numpy().ravel() for v in model.trainable_weights])
    x = np.random.default_rng(1).normal(size=(8, 6)).astype("float32")
    model.fit(x, np.arange(8) % 3, batch_size=8, epochs=1, verbose=0, callbacks=[swaps])
    after = np.concatenate([v.numpy().ravel() for v in model.trainable_weights])
    expected = np.linalg.norm(after - before) / np.linalg.norm(before)
    assert probe.take()["out"].update_ratio == pytest.approx(expected, rel=1e-4)
