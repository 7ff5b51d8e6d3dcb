"""What a library already does: scikit-learn's scores, durable (fsynced) run files, and the
private Keras and TensorFlow attributes ftgui patches, each checked before it is patched."""

import errno
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest
from packaging.requirements import Requirement

from ftgui.core.analysis.metrics import class_scores
from ftgui.core.errors import UserError
from ftgui.core.files import sync_file, write_atomically, write_run_file

ROOT = Path(__file__).resolve().parents[1]


def hand_written_scores(labels, predicted, classes):
    """What evaluation.py computed by hand before it used scikit-learn (the reference)."""
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(confusion, (np.asarray(labels, np.int64), np.asarray(predicted, np.int64)), 1)
    table = {}
    for k, name in enumerate(classes):
        hits, guessed, support = confusion[k, k], confusion[:, k].sum(), confusion[k, :].sum()
        precision = float(hits / guessed) if guessed else 0.0
        recall = float(hits / support) if support else 0.0
        both = precision + recall
        f1 = 2 * precision * recall / both if both else 0.0
        table[name] = {"precision": precision, "recall": recall, "f1": f1, "support": int(support)}
    return confusion.tolist(), table


RANDOM = np.random.default_rng(7)
LABEL_SETS = {
    "all right": ([0, 1, 1, 0], [0, 1, 1, 0], ["cats", "dogs"]),
    "all wrong": ([0, 0, 1], [1, 1, 0], ["cats", "dogs"]),
    "a class never predicted": ([0, 1, 2, 2], [0, 0, 2, 2], ["a", "b", "c"]),
    "a class with no support": ([0, 0, 1], [0, 2, 1], ["a", "b", "c"]),
    "a class with neither": ([0, 1, 1, 0], [0, 1, 0, 0], ["a", "b", "c", "d"]),
    "one image": ([1], [1], ["a", "b"]),
    "no images": ([], [], ["a", "b"]),
    "random, five classes": (RANDOM.integers(0, 5, 200), RANDOM.integers(0, 5, 200), list("vwxyz")),
}


@pytest.mark.parametrize("case", LABEL_SETS.values(), ids=LABEL_SETS.keys())
def test_scikit_learn_scores_equal_the_hand_written_ones(case):
    labels, predicted, classes = case
    confusion, table = class_scores(np.asarray(labels), np.asarray(predicted), classes)
    expected_confusion, expected_table = hand_written_scores(labels, predicted, classes)
    assert confusion == expected_confusion
    assert list(table) == classes
    for name in classes:
        assert table[name]["support"] == expected_table[name]["support"]
        assert type(table[name]["support"]) is int and type(table[name]["f1"]) is float
        for score in ("precision", "recall", "f1"):
            assert table[name][score] == pytest.approx(expected_table[name][score], rel=1e-12)


@pytest.fixture
def disk_calls(monkeypatch):
    """Every fsync (of a file or a folder, its size and inode then) and rename, in order."""
    calls = []
    fsync, replace = os.fsync, os.replace

    def recording_fsync(handle):
        info = os.fstat(handle)
        kind = "folder" if stat.S_ISDIR(info.st_mode) else "file"
        calls.append(("fsync", kind, info.st_ino, info.st_size))
        fsync(handle)

    def recording_replace(source, target):
        calls.append(("replace", Path(source).name, Path(target).name))
        replace(source, target)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    return calls


@pytest.mark.parametrize("writer", [write_atomically, write_run_file])
def test_the_whole_file_is_synced_before_the_rename_and_its_folder_after(
    tmp_path, disk_calls, writer
):
    path = tmp_path / "history.csv"
    path.write_text("old\n")
    text = "phase,epoch\n" + "1,1\n" * 1000
    writer(path, lambda partial: partial.write_text(text))
    assert path.read_text() == text
    file, folder = path.stat().st_ino, tmp_path.stat().st_ino
    assert [call[:3] for call in disk_calls] == [
        ("fsync", "file", file),
        ("replace", ".history.partial.csv", "history.csv"),
        ("fsync", "folder", folder),
    ]
    assert disk_calls[0][3] == len(text)  # synced once whole, not while being written


def test_a_file_kept_open_is_flushed_then_synced(tmp_path, disk_calls):
    with open(tmp_path / "history.csv", "a", encoding="utf-8") as f:
        f.write("1,1\n")
        sync_file(f)
        assert disk_calls == [("fsync", "file", os.fstat(f.fileno()).st_ino, 4)]


def test_a_failed_sync_is_one_sentence_and_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(b"previous")

    def failing(handle):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(UserError, match=r"Cannot write .*checkpoint\.npz \(Input/output error\)"):
        write_run_file(path, lambda partial: partial.write_bytes(b"new"))
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


def test_a_file_system_that_cannot_sync_folders_still_gets_the_file(tmp_path, monkeypatch):
    fsync = os.fsync

    def files_only(handle):
        if stat.S_ISDIR(os.fstat(handle).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        fsync(handle)

    monkeypatch.setattr(os, "fsync", files_only)
    write_run_file(tmp_path / "config.json", lambda partial: partial.write_text("{}"))
    assert (tmp_path / "config.json").read_text() == "{}"


@pytest.fixture
def acceleration():
    pytest.importorskip("tensorflow")
    from ftgui.core.model import acceleration

    return acceleration


def _keras_version() -> str:
    import keras

    return keras.__version__


def test_a_missing_keras_reduce_per_replica_is_named_with_the_keras_version(
    acceleration, monkeypatch
):
    from keras.src.backend.tensorflow import trainer

    monkeypatch.delattr(trainer, "reduce_per_replica")
    with pytest.raises(UserError) as raised:
        acceleration._average_scalars_across_workers()
    message = str(raised.value)
    assert f"Keras {_keras_version()} has no " in message
    assert "trainer.reduce_per_replica" in message
    assert f"keras{acceleration.TESTED_KERAS}" in message


def test_a_keras_function_whose_parameters_changed_is_refused(acceleration, monkeypatch):
    from keras.src.backend.tensorflow import trainer

    monkeypatch.setattr(trainer, "reduce_per_replica", lambda values, strategy: values)
    with pytest.raises(UserError, match="without the parameter 'reduction'"):
        acceleration._average_scalars_across_workers()
    assert not getattr(trainer.reduce_per_replica, "ftgui_patched", False)


def test_reduce_per_replica_is_patched_once_when_keras_has_it(acceleration, monkeypatch):
    from keras.src.backend.tensorflow import trainer

    original = trainer.reduce_per_replica
    monkeypatch.setattr(trainer, "reduce_per_replica", original)  # put back afterwards
    acceleration._average_scalars_across_workers()
    patched = trainer.reduce_per_replica
    assert patched is not original and patched.ftgui_patched
    acceleration._average_scalars_across_workers()
    assert trainer.reduce_per_replica is patched


def _tiny_model():
    """A compiled model under a distribution strategy (so Keras builds it symbolically)."""
    import keras
    import tensorflow as tf

    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def _spec():
    import tensorflow as tf

    return (tf.TensorSpec((None, 2), tf.float32), tf.TensorSpec((None, 1), tf.float32))


def test_a_missing_maybe_symbolic_build_is_named_with_the_keras_version(acceleration, monkeypatch):
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    model = _tiny_model()
    monkeypatch.delattr(TensorFlowTrainer, "_maybe_symbolic_build")
    with pytest.raises(UserError, match=f"Keras {_keras_version()} has no Sequential._maybe_"):
        acceleration.build_without_reducing_data(model, _spec())
    assert "_maybe_symbolic_build" not in vars(model)


def test_the_model_builds_its_metrics_on_zeros_when_keras_has_the_hook(acceleration):
    model = _tiny_model()
    acceleration.build_without_reducing_data(model, _spec())
    assert "_maybe_symbolic_build" in vars(model)
    assert not model._compile_metrics.built
    model._maybe_symbolic_build(iterator=None)  # as `evaluate` calls it: no batch is read
    assert model._compile_metrics.built and model.optimizer.built


def test_missing_tensorflow_health_check_settings_are_named_with_the_versions(
    acceleration, monkeypatch
):
    import tensorflow as tf
    from tensorflow.python.distribute import collective_all_reduce_strategy as collective

    extended = collective.CollectiveAllReduceExtended
    monkeypatch.delattr(extended, "_check_health_timeout")
    with pytest.raises(UserError) as raised:
        acceleration._set_worker_health_checks()
    message = str(raised.value)
    assert "CollectiveAllReduceExtended._check_health_timeout" in message
    assert f"TensorFlow {tf.__version__} (with Keras {_keras_version()})" in message
    assert extended._check_health_interval != acceleration.WORKER_CHECK_INTERVAL_S  # untouched


def test_health_check_settings_are_set_when_tensorflow_has_them(acceleration, monkeypatch):
    from tensorflow.python.distribute import collective_all_reduce_strategy as collective

    extended = collective.CollectiveAllReduceExtended
    for name in acceleration.HEALTH_CHECK_SETTINGS:
        monkeypatch.setattr(extended, name, getattr(extended, name))  # put back afterwards
    acceleration._set_worker_health_checks()
    for name, value in acceleration.HEALTH_CHECK_SETTINGS.items():
        assert getattr(extended, name) == value


def test_keras_is_pinned_to_the_tested_minor_range_that_is_installed(acceleration):
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    keras = [Requirement(r) for r in re.findall(r'^\s*"(keras(?![\w-])[^"]*)"', text, re.MULTILINE)]
    assert [str(r.specifier) for r in keras] == [
        str(Requirement(f"keras{acceleration.TESTED_KERAS}").specifier)
    ]
    assert keras[0].specifier.contains(_keras_version())
    assert not keras[0].specifier.contains("3.16.0")
