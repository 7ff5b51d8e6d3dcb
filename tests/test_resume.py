"""Crash safety and resume: checkpoints, best models, `train --resume`, `kill -9`."""

from __future__ import annotations

import json
import math
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from ftgui.core.data.pipeline import make_dataset
from ftgui.core.data.sample import resolve_dataset
from ftgui.core.errors import UserError
from ftgui.core.events import EpochEnded, Status
from ftgui.core.run.whole_run import run
from ftgui.core.settings.config import RunConfig
from ftgui.core.training import epoch_records
from ftgui.core.training.checkpoint import (
    CHECKPOINT_FILE,
    Best,
    Checkpoint,
    OptimizerState,
    best_model_name,
)
from ftgui.core.training.resume import load_run_config, plan_resume
from ftgui.core.training.run_folder import RunFolder, read_history
from tests.commands import ROOT, TINY_RUN, ftgui, ftgui_here
from tests.images import make_book_dataset

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """8 / 4 / 4 images: whole batches of 8, so each step function traces once."""
    root = tmp_path_factory.mktemp("resume") / "data"
    return make_book_dataset(root, classes=("cats", "dogs"), per_split=(8, 4, 4))


def _config(data: Path, out: Path, cache: bool = True, augment: str = "") -> RunConfig:
    """2 + 2 epochs at 32 px with the book's dropout of 0.5; `augment`: "" (none), "online"
    (every epoch anew) or "copies" (three augmented copies through the frozen layers)."""
    config = RunConfig(
        data_dir=str(data),
        out_dir=str(out),
        weights="none",
        image_size=32,
        batch_size=8,
        seed=11,
        dropout=0.5,
        cache_features=cache,
        augment=bool(augment),
        augment_copies=3 if augment == "copies" else 0,
    )
    for phase in config.phases:
        phase.epochs, phase.learning_rate = 2, 1e-3
    return config


def _uninterrupted(dataset: Path, out: Path, augment: str = "") -> Path:
    """A whole run; a newer best epoch always waits for the phase's end."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(epoch_records, "BEST_SAVE_SPACING", 1e9)
        run(_config(dataset, out, augment=augment), lambda event: None)
    return out


@pytest.fixture(scope="module")
def finished(dataset, tmp_path_factory) -> Path:
    return _uninterrupted(dataset, tmp_path_factory.mktemp("whole") / "run")


@pytest.fixture(scope="module")
def finished_augmented(dataset, tmp_path_factory) -> Path:
    return _uninterrupted(dataset, tmp_path_factory.mktemp("whole-aug") / "run", "online")


@pytest.fixture(scope="module")
def finished_copies(dataset, tmp_path_factory) -> Path:
    return _uninterrupted(dataset, tmp_path_factory.mktemp("whole-copies") / "run", "copies")


def _stop_after(phase: int, epoch: int, stop: threading.Event):
    def listener(event: object) -> None:
        if isinstance(event, EpochEnded) and (event.phase, event.epoch) == (phase, epoch):
            stop.set()  # ends at the next batch end, inside the following epoch

    return listener


@pytest.fixture(scope="module")
def stopped_runs(dataset, tmp_path_factory):
    """`stopped(stop_at, cache, augment, into)`: a copy at `into` of a run stopped after the
    epoch `stop_at` = (phase, epoch); each kind of stopped run is trained once per module."""
    made: dict[tuple, Path] = {}

    def stopped(stop_at: tuple[int, int], cache: bool, augment: str, into: Path) -> Path:
        key = (stop_at, cache, augment)
        if key not in made:
            out = tmp_path_factory.mktemp("stopped") / "run"
            stop = threading.Event()
            ended = run(_config(dataset, out, cache, augment), _stop_after(*stop_at, stop), stop)
            assert ended.stopped
            made[key] = out
        return Path(shutil.copytree(made[key], into))

    return stopped


def _same_history(a: list[dict], b: list[dict]) -> None:
    assert [(r["phase"], r["epoch"]) for r in a] == [(r["phase"], r["epoch"]) for r in b]
    for x, y in zip(a, b, strict=True):
        for key in METRICS:
            assert math.isclose(x[key], y[key], rel_tol=1e-4, abs_tol=1e-5), (x, y, key)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop_at", "cache", "augment"),
    [
        ((0, 0), False, ""),
        ((0, 1), True, ""),
        ((1, 0), True, ""),
        ((0, 1), False, "online"),
        ((1, 0), True, "copies"),
    ],
    ids=[
        "mid-classifier-phase",
        "first-epoch-of-fine-tuning-before-its-checkpoint",
        "mid-fine-tuning-from-cached-features",
        "first-epoch-of-fine-tuning-with-augmentation",
        "mid-fine-tuning-on-augmented-copies",
    ],
)
def test_a_stopped_run_resumes_to_the_numbers_of_an_uninterrupted_one(
    stopped_runs, tmp_path, request, stop_at, cache, augment
):
    """Dropout 0.5 (and augmentation) draw the same masks after a resume as without one."""
    fixture = {"": "finished", "online": "finished_augmented", "copies": "finished_copies"}
    finished = request.getfixturevalue(fixture[augment])
    out = stopped_runs(stop_at, cache, augment, tmp_path / "run")
    kept = read_history(out)
    assert len(kept) == stop_at[0] * 2 + stop_at[1] + 1
    with open(out / "history.csv", "a", encoding="utf-8") as f:  # as if killed between the
        f.write("9,Nowhere,9,9.0,0.5,9.0,0.5,1.0\r\n")  # history row and the checkpoint
    assert plan_resume(RunFolder(out), load_run_config(out)).run_epochs_done == len(kept)

    events: list[object] = []
    ended = run(load_run_config(out), events.append, resume=True)
    assert not ended.stopped and ended.test_metrics is not None
    _same_history(read_history(out), read_history(finished))  # same batches, masks, weights
    expected_test = json.loads((finished / "test_metrics.json").read_text())
    for key, value in ended.test_metrics.items():
        assert math.isclose(value, expected_test[key], rel_tol=1e-4, abs_tol=1e-6), key
    replayed = [e for e in events if isinstance(e, EpochEnded) and e.replayed]
    assert len(replayed) == len(kept)
    said = [e.text for e in events if isinstance(e, Status) and e.text.startswith("Continuing")]
    phase, done = (1, 0) if stop_at == (0, 1) else (stop_at[0], stop_at[1] + 1)
    names = ("Train classifier", "Fine-tune")
    where = f"after epoch {done}/2" if done else "from its start"
    kept_words = f"({len(kept)} finished epochs kept)."
    assert said == [f"Continuing phase {phase + 1}/2 '{names[phase]}' {where} {kept_words}"]
    assert not (out / CHECKPOINT_FILE).exists()  # finished: nothing left to resume
    with pytest.raises(UserError, match="already finished every phase"):
        plan_resume(RunFolder(out), load_run_config(out))


@pytest.mark.slow
def test_each_phase_keeps_its_best_validation_model(finished):
    config = load_run_config(finished)
    rows = read_history(finished)
    validation = make_dataset(resolve_dataset(config).validation, 32, 8, binary=True)
    for index, phase in enumerate(config.phases):
        path = finished / best_model_name(index, phase.name)
        model = keras.saving.load_model(path, safe_mode=True)
        best = min(r["val_loss"] for r in rows if r["phase"] == index + 1)
        loss = model.evaluate(validation, verbose=0, return_dict=True)["loss"]
        assert math.isclose(loss, best, rel_tol=1e-4), (phase.name, loss, best)
    assert best_model_name(0, "Train classifier") == "best_1_train-classifier.keras"


@pytest.mark.parametrize(("val_losses", "best"), [((3.0, 1.0, 2.0), 1), ((3.0, 2.0, 1.0), 2)])
def test_a_best_epoch_that_waited_is_written_when_the_phase_ends(tmp_path, val_losses, best):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="d")])
    model.compile("sgd", "mse")
    model.optimizer.build(model.trainable_variables)
    folder = RunFolder(tmp_path / "run")
    folder.create()
    recorder = epoch_records.PhaseRecorder(0, "Head", 3, folder, model, lambda event: None)
    recorder.training_started(model)
    for epoch, loss in enumerate(val_losses):  # epochs far quicker than a model save: all wait
        model.get_layer("d").kernel.assign(np.full((2, 1), float(epoch)))
        recorder.epoch_finished(model, epoch, {"loss": loss, "val_loss": loss}, 0.01)
    assert not recorder.best_path.exists() and recorder.best.epoch == best
    epoch_records.save_model(model, folder.model_path)
    recorder.finish(folder.model_path)
    saved = keras.saving.load_model(recorder.best_path, safe_mode=True)
    assert (saved.get_layer("d").kernel.numpy() == best).all()
    assert (model.get_layer("d").kernel.numpy() == 2.0).all()  # the model itself is unchanged


@pytest.mark.slow
def test_a_checkpoint_that_does_not_fit_the_config_is_refused(stopped_runs, tmp_path):
    out = stopped_runs((1, 0), True, "", tmp_path / "run")  # a checkpoint in phase 2
    config = json.loads((out / "config.json").read_text())
    config["phases"] = config["phases"][:1]  # a valid config without that phase
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(UserError, match="does not fit its config.json"):
        plan_resume(RunFolder(out), load_run_config(out))
    (out / CHECKPOINT_FILE).write_bytes(b"PK\x03\x04 junk")
    with pytest.raises(UserError, match="checkpoint .* is unreadable"):
        Checkpoint.read(out)


@pytest.mark.slow
def test_resume_never_runs_code_from_a_model_file(stopped_runs, tmp_path):
    out = stopped_runs((1, 0), True, "", tmp_path / "run")
    marker = tmp_path / "code-ran"
    touch = eval(f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]")
    inputs = keras.Input((32, 32, 3))
    hostile = tmp_path / "hostile.keras"
    keras.Model(inputs, keras.layers.Lambda(touch)(inputs)).save(hostile)
    marker.unlink(missing_ok=True)
    keras.saving.load_model(hostile, safe_mode=False)  # loading it unsafely runs its code…
    assert marker.exists()
    marker.unlink()
    hostile.replace(out / "model.keras")
    with pytest.raises(UserError, match="does not fit this run's configuration"):
        run(load_run_config(out), lambda event: None, resume=True)
    assert not marker.exists()


# -- the command line, as a person uses it -------------------------------------------------


@pytest.mark.slow
def test_kill_9_mid_run_loses_at_most_the_epoch_in_progress(dataset, tmp_path, capsys):
    """Killed as a process; `train --resume` then runs in this process (the command's wiring
    in a fresh process is `test_resume_errors_are_one_sentence`'s)."""
    out = tmp_path / "killed run é"  # a space and a non-ASCII letter, as people name folders
    command = [sys.executable, str(ROOT / "main.py"), "train", "--data", str(dataset), *TINY_RUN]
    command += ["--epochs-head", "3", "--epochs-finetune", "5", "--out", str(out)]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    history = out / "history.csv"
    deadline = time.monotonic() + 300
    while child.poll() is None and time.monotonic() < deadline:
        if history.exists() and len(history.read_text().splitlines()) > 1 + 3 + 2:
            break  # two fine-tuning epochs finished
        time.sleep(0.05)
    assert child.poll() is None, child.stderr.read().decode()
    child.send_signal(signal.SIGKILL)
    child.wait()
    before = read_history(out)
    checkpoint = Checkpoint.read(out, arrays=False)
    assert checkpoint is not None and checkpoint.phase == 1
    assert checkpoint.epochs_done >= len(before) - 3 - 1  # at most one row not yet covered

    resumed = ftgui_here(capsys, "train", "--resume", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert (
        f"Continuing phase 2/2 'Fine-tune' after epoch {checkpoint.epochs_done}/5" in resumed.stdout
    )
    after = read_history(out)
    expected = [(1, e) for e in range(1, 4)] + [(2, e) for e in range(1, 6)]
    assert [(r["phase"], r["epoch"]) for r in after] == expected
    kept = 3 + checkpoint.epochs_done
    assert after[:kept] == before[:kept]  # finished epochs are never rewritten
    assert (out / "test_metrics.json").exists()
    assert (out / best_model_name(1, "Fine-tune")).exists()


@pytest.mark.slow
def test_resume_errors_are_one_sentence(dataset, tmp_path, finished):
    cases = [
        (["--resume", str(finished)], "already finished every phase"),
        (["--resume", str(tmp_path / "nowhere")], "does not exist"),
        (["--resume", str(dataset)], "is not an ftgui run folder"),
        (["--resume", str(finished), "--epochs-head", "5"], "--epochs-head cannot change it"),
    ]
    for args, message in cases:
        result = ftgui("train", *args)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.stderr


def test_a_checkpoint_keeps_its_arrays_by_name(tmp_path):
    weights = {"dense/kernel": np.ones((2, 3), np.float32)}
    optimizer = OptimizerState({"0": np.array(7), "1": np.array(0.5)}, ["iteration", "rate"])
    best = Best(0.25, 1, {"dense/kernel": np.zeros((2, 3), np.float32)})
    Checkpoint(1, 2, weights, optimizer, best).write(tmp_path)
    read = Checkpoint.read(tmp_path)
    assert (read.phase, read.epochs_done, read.best.val_loss, read.best.epoch) == (1, 2, 0.25, 1)
    assert np.array_equal(read.weights["dense/kernel"], weights["dense/kernel"])
    assert int(read.optimizer.arrays["0"]) == 7 and float(read.optimizer.arrays["1"]) == 0.5
    assert read.optimizer.names == ["iteration", "rate"]
    assert not read.best.weights["dense/kernel"].any()
    assert sorted(p.name for p in tmp_path.iterdir()) == [CHECKPOINT_FILE]  # no partial left
