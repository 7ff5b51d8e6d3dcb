"""The phase runner: frozen layers stay bit-identical, stop requests, the run folder."""

import json
import threading

import keras
import numpy as np
import pytest

from ftgui.core.data.pipeline import make_dataset
from ftgui.core.data.sample import resolve_dataset
from ftgui.core.events import (
    BatchEnded,
    EpochEnded,
    PhaseEnded,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
)
from ftgui.core.run.whole_run import WholeRun, run
from ftgui.core.settings.config import PhaseConfig, RunConfig
from ftgui.core.settings.vgg16 import layer_names
from ftgui.core.training.checkpoint import Checkpoint
from ftgui.core.training.run_folder import HISTORY_FIELDS, read_history


@pytest.fixture(scope="module")
def base_weights_file(tmp_path_factory):
    """A conv-base weights file the tests write (stands in for the ImageNet file)."""
    keras.utils.set_random_seed(5)
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path_factory.mktemp("weights") / "base.weights.h5"
    base.save_weights(path)
    return path


def _config(data, out, weights, **phases) -> RunConfig:
    config = RunConfig(
        data_dir=str(data),
        out_dir=str(out),
        weights=str(weights),
        image_size=32,
        batch_size=8,
        seed=11,
    )
    config.phases[0].epochs = phases.get("head", 1)
    config.phases[0].learning_rate = 1e-3
    config.phases[1].epochs = phases.get("finetune", 1)
    config.phases[1].learning_rate = 1e-3
    return config


def _saved_base(run_dir, model_file: str = "model.keras"):
    model = keras.saving.load_model(run_dir / model_file)
    base = model.get_layer("vgg16")
    return {layer.name: layer.get_weights() for layer in base.layers if layer.weights}


def _initial_base(weights_file):
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    base.load_weights(weights_file)
    return {layer.name: layer.get_weights() for layer in base.layers if layer.weights}


def _identical(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def book_run(tmp_path_factory, base_weights_file):
    """One finished 2 + 1 epoch run of the book's phases that the tests below only read: its
    folder, its events and its RunEnded."""
    from tests.images import make_book_dataset

    root = tmp_path_factory.mktemp("book_run")
    data = make_book_dataset(root / "data", classes=("cats", "dogs"), per_split=(8, 4, 4))
    events: list = []
    out = root / "run"
    ended = run(_config(data, out, base_weights_file, head=2, finetune=1), events.append)
    return out, events, ended


@pytest.mark.slow
def test_classifier_phase_leaves_every_conv_base_weight_bit_identical(book_run, base_weights_file):
    out, _, _ = book_run
    initial = _initial_base(base_weights_file)
    after_head = _saved_base(out, "best_1_train-classifier.keras")  # a classifier-phase state
    assert all(_identical(after_head[name], initial[name]) for name in initial)


@pytest.mark.slow
def test_fine_tuning_changes_block5_only(book_run, base_weights_file):
    out, events, _ = book_run
    saved, initial = _saved_base(out), _initial_base(base_weights_file)
    for name in initial:
        if name.startswith("block5"):
            assert not _identical(saved[name], initial[name]), name
        else:
            assert _identical(saved[name], initial[name]), name
    kinds = [type(e).__name__ for e in events if not isinstance(e, (BatchEnded, Status))]
    assert kinds[kinds.index("RunStarted") :] == [
        "RunStarted",
        "PhaseStarted",
        "HealthMeasured",
        "EpochEnded",
        "HealthMeasured",
        "EpochEnded",
        "PhaseEnded",
        "PhaseStarted",
        "HealthMeasured",
        "EpochEnded",
        "PhaseEnded",
        "RunEnded",
    ]  # each epoch's layer health just before its end
    batches = [e for e in events if isinstance(e, BatchEnded)]
    assert [e.batch for e in batches if e.phase == 0] == [1, 2, 1, 2]  # 16 images, batch 8
    assert all(set(e.logs) >= {"loss", "accuracy"} for e in batches)


@pytest.mark.slow
def test_run_folder_has_config_history_model_and_test_metrics(book_run):
    out, _, ended = book_run
    assert not ended.stopped
    header = (out / "history.csv").read_text().splitlines()[0].split(",")
    assert header == list(HISTORY_FIELDS)
    rows = read_history(out)
    assert [(r["phase"], r["phase_name"], r["epoch"]) for r in rows] == [
        (1, "Train classifier", 1),
        (1, "Train classifier", 2),
        (2, "Fine-tune", 1),
    ]
    assert all(0 <= r["val_accuracy"] <= 1 and r["seconds"] > 0 for r in rows)
    assert RunConfig.load(out / "config.json").out_dir == str(out)
    # The saved model takes raw pixels: evaluating it reproduces test_metrics.json.
    metrics = json.loads((out / "test_metrics.json").read_text())
    model = keras.saving.load_model(out / "model.keras")
    config = RunConfig.load(out / "config.json")
    test = make_dataset(resolve_dataset(config).test, 32, 8, binary=True)
    reloaded = model.evaluate(test, verbose=0, return_dict=True)
    assert reloaded["loss"] == pytest.approx(metrics["loss"], rel=1e-5)
    assert reloaded["accuracy"] == pytest.approx(metrics["accuracy"])


@pytest.mark.slow
def test_more_than_two_classes_use_a_softmax_head(folder_dataset, tmp_path):
    config = RunConfig(
        data_dir=str(folder_dataset),
        out_dir=str(tmp_path / "run"),
        weights="none",
        image_size=32,
        batch_size=8,
        phases=[PhaseConfig("only", 1, 1e-3)],
    )
    events = []
    run(config, events.append)
    model = keras.saving.load_model(tmp_path / "run" / "model.keras")
    assert model.output.shape[-1] == 3
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.class_names == ["a", "b", "c"]


@pytest.mark.slow
def test_a_stop_request_ends_the_run_within_one_batch_and_keeps_finished_epochs(
    book_dataset, tmp_path, base_weights_file
):
    stop = threading.Event()
    seen = []

    def listener(event):
        seen.append(event)
        if isinstance(event, BatchEnded) and event.epoch == 1 and event.batch == 2:
            stop.set()

    config = _config(book_dataset, tmp_path / "run", base_weights_file, head=5, finetune=3)
    runner = WholeRun(config, listener, stop)
    ended = runner.run()
    after_stop = seen[[i for i, e in enumerate(seen) if isinstance(e, BatchEnded)][-1] :]
    assert isinstance(after_stop[0], BatchEnded) and after_stop[0].batch == 2
    assert not any(isinstance(e, (BatchEnded, EpochEnded, PhaseStarted)) for e in after_stop[1:])
    assert ended.stopped and isinstance(seen[-1], RunEnded)
    assert [e for e in seen if isinstance(e, PhaseEnded)] == [PhaseEnded(0, 1, True)]
    assert len(read_history(tmp_path / "run")) == 1
    assert not (tmp_path / "run" / "test_metrics.json").exists()
    # The saved model is the state at the end of the last finished epoch, as the checkpoint
    # that resumes it (written when epoch 1 ended) says.
    saved = keras.saving.load_model(tmp_path / "run" / "model.keras").get_layer("dense")
    checkpoint = Checkpoint.read(tmp_path / "run")
    assert checkpoint.epochs_done == 1
    recorded = [checkpoint.weights[v.path] for v in saved.weights]
    assert _identical(saved.get_weights(), recorded)
    assert _identical(saved.get_weights(), runner.model.get_layer("dense").get_weights())


@pytest.mark.slow
def test_every_phase_can_train_its_own_layers(small_book_dataset, tmp_path, base_weights_file):
    config = _config(small_book_dataset, tmp_path / "run", base_weights_file)
    config.phases = [
        PhaseConfig("head", 1, 1e-3),
        PhaseConfig("block5", 1, 1e-4, "adam", trainable_layers=["block5_conv3"]),
        PhaseConfig("block4+5", 1, 1e-4, "sgd", trainable_layers=list(layer_names()[-8:])),
    ]
    run(config, lambda e: None)
    saved, initial = _saved_base(tmp_path / "run"), _initial_base(base_weights_file)
    changed = {name for name in initial if not _identical(saved[name], initial[name])}
    assert changed == {
        "block4_conv1",
        "block4_conv2",
        "block4_conv3",
        "block5_conv1",
        "block5_conv2",
        "block5_conv3",
    }
    assert [r["phase"] for r in read_history(tmp_path / "run")] == [1, 2, 3]
