"""Evaluation of a run's models: stored per image, equal to Keras's numbers, and the command."""

import csv
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from ftgui.core.analysis.evaluation import evaluate, evaluate_finished_run
from ftgui.core.analysis.evaluation_files import (
    evaluation_files,
    read_evaluation,
    stored_evaluations,
)
from ftgui.core.analysis.evaluation_images import MISSING
from ftgui.core.analysis.models import load_model, read_run_info, resolve_model
from ftgui.core.errors import UserError
from ftgui.core.events import Status
from ftgui.core.run.whole_run import WholeRun
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.run_folder import read_history
from tests.commands import ROOT, ftgui, ftgui_here
from tests.images import make_book_dataset, make_class_folders

pytestmark = pytest.mark.slow  # every test here reads a run trained for this module

PLANTED = ("planted_0.jpg", "planted_1.png")  # cat images filed under test/dogs
ALL_PAIRS = [
    (model, split)
    for model in ("final", "best_1_train-classifier", "best_2_fine-tune")
    for split in ("test", "validation")
]


def _train(data, out, head_epochs, finetune_lr):
    config = RunConfig(
        data_dir=str(data), out_dir=str(out), weights="none", image_size=32, batch_size=8, seed=11
    )
    config.phases[0].epochs, config.phases[0].learning_rate = head_epochs, 1e-3
    config.phases[1].epochs, config.phases[1].learning_rate = 1, finetune_lr
    events = []
    runner = WholeRun(config, events.append)
    runner.run()
    return runner, events


@pytest.fixture(scope="module")
def cats(tmp_path_factory):
    """A two-class run (sigmoid) whose test split holds two cats filed as dogs."""
    root = tmp_path_factory.mktemp("cats")
    data = make_book_dataset(root / "data", ("cats", "dogs"), (16, 6, 8))
    for name, source in zip(PLANTED, ("img_000.jpg", "img_001.png"), strict=True):
        shutil.copy(data / "train" / "cats" / source, data / "test" / "dogs" / name)
    runner, events = _train(data, root / "run", 6, 1e-5)
    return root / "run", data, runner, events


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """A three-class run (softmax) on class folders: a validation split and no test split."""
    root = tmp_path_factory.mktemp("abc")
    data = make_class_folders(root / "data", ("a", "b", "c"), 10)
    _train(data, root / "run", 2, 1e-5)
    return root / "run"


@pytest.fixture(scope="module")
def final_model(cats):
    info = read_run_info(cats[0])
    return load_model(info, resolve_model(info))


def _csv_rows(run_dir, model, split):
    with evaluation_files(run_dir, model, split)[0].open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _copy_run(run_dir, target, **config_changes):
    """The run's files (not its evaluations) in a new folder, config.json changed as given."""
    target.mkdir()
    for name in ("dataset_report.json", "model.keras"):
        shutil.copy(run_dir / name, target / name)
    config = json.loads((run_dir / "config.json").read_text())
    (target / "config.json").write_text(json.dumps({**config, **config_changes}))
    return target


def test_the_runner_evaluates_every_model_on_every_split_and_keeps_the_final_weights(
    cats, final_model
):
    run_dir, _, runner, events = cats
    assert stored_evaluations(run_dir) == ALL_PAIRS
    texts = [e.text for e in events if isinstance(e, Status)]
    assert "Evaluating best_1_train-classifier on validation…" in texts
    assert texts[-2].startswith("Evaluated 3 models on 2 splits")
    assert texts[-1].startswith("Calibrated 3 models (final: temperature ")
    for now, saved in zip(runner.model.get_weights(), final_model.get_weights(), strict=True):
        assert np.array_equal(now, saved)


def test_accuracy_and_loss_equal_keras_evaluate(cats, digits, final_model):
    from ftgui.core.data.dataset import find_dataset
    from ftgui.core.data.pipeline import make_dataset

    run_dir, data = cats[0], cats[1]
    test = make_dataset(find_dataset(data).test, 32, 8, binary=True)
    final_model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    keras_metrics = final_model.evaluate(test, verbose=0, return_dict=True)
    stored = json.loads(evaluation_files(run_dir, "final", "test")[1].read_text())
    assert abs(stored["accuracy"] - keras_metrics["accuracy"]) < 1e-6
    assert stored["loss"] == pytest.approx(keras_metrics["loss"], rel=1e-5, abs=1e-6)
    metrics = json.loads((run_dir / "test_metrics.json").read_text())
    assert metrics == pytest.approx({"loss": stored["loss"], "accuracy": stored["accuracy"]})
    last = read_history(digits)[-1]  # fit's validation pass ran on the final weights
    softmax = read_evaluation(digits, "final", "validation")
    assert abs(softmax.accuracy - float(last["val_accuracy"])) < 1e-6
    assert softmax.loss == pytest.approx(float(last["val_loss"]), rel=1e-4)


def test_planted_wrong_labels_top_the_loss_ranking(cats):
    evaluation = read_evaluation(cats[0], "final", "test")
    ranking = sorted(evaluation.images, key=lambda image: image.loss, reverse=True)
    assert {image.path.rsplit("/", 1)[-1] for image in ranking[:2]} == set(PLANTED)
    assert evaluation.accuracy == pytest.approx(16 / 18)
    hardest = evaluation.in_cell(1, 0)  # true dogs, predicted cats
    assert [i.path.rsplit("/", 1)[-1] for i in hardest] == [
        i.path.rsplit("/", 1)[-1] for i in ranking[:2]
    ]


@pytest.mark.parametrize("which", ["cats", "digits"])
def test_confusion_and_per_class_table_agree_with_sklearn_on_the_csv(cats, digits, which):
    run_dir = cats[0] if which == "cats" else digits
    for model, split in stored_evaluations(run_dir):
        stored = json.loads(evaluation_files(run_dir, model, split)[1].read_text())
        rows, classes = _csv_rows(run_dir, model, split), stored["classes"]
        true, predicted = [r["label"] for r in rows], [r["predicted"] for r in rows]
        assert stored["confusion"] == confusion_matrix(true, predicted, labels=classes).tolist()
        p, r, f, s = precision_recall_fscore_support(
            true, predicted, labels=classes, zero_division=0
        )
        table = stored["per_class"]
        assert [table[c]["precision"] for c in classes] == pytest.approx(p)
        assert [table[c]["recall"] for c in classes] == pytest.approx(r)
        assert [table[c]["f1"] for c in classes] == pytest.approx(f)
        assert [table[c]["support"] for c in classes] == s.tolist()


def test_csv_header_and_probability_columns(cats, digits):
    header = "path,label,predicted,confidence,loss,p:cats,p:dogs"
    path = evaluation_files(cats[0], "final", "test")[0]
    assert path.read_text(encoding="utf-8").splitlines()[0] == header
    for row in _csv_rows(cats[0], "final", "test"):
        p_cats, p_dogs = float(row["p:cats"]), float(row["p:dogs"])
        assert p_cats + p_dogs == pytest.approx(1.0, abs=1e-9)
        assert row["predicted"] == ("dogs" if p_dogs > 0.5 else "cats")
        assert float(row["confidence"]) == float(row["p:" + row["predicted"]])
    for row in _csv_rows(digits, "final", "validation"):
        probabilities = [float(row[f"p:{c}"]) for c in "abc"]
        assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)
        assert row["predicted"] == "abc"[int(np.argmax(probabilities))]


def test_read_evaluation_gives_back_what_evaluate_returned_without_tensorflow(
    cats, final_model, tmp_path
):
    run_dir = _copy_run(cats[0], tmp_path / "run")
    info = read_run_info(run_dir)
    returned = evaluate(info, resolve_model(info), "test", model=final_model)
    assert returned == read_evaluation(run_dir, "final", "test")
    assert returned.accuracy == read_evaluation(cats[0], "final", "test").accuracy
    code = (
        "import sys\nfrom ftgui.core.analysis.evaluation_files import read_evaluation\n"
        f"e = read_evaluation({str(run_dir)!r}, 'final', 'test')\n"
        "print(len(e.images), e.confusion, 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [
        str(len(returned.images)),
        *str(returned.confusion).split(),
        "False",
        "False",
    ]


def test_removed_and_damaged_images_are_skipped_and_the_rest_evaluated(cats, final_model, tmp_path):
    run_dir, data = cats[0], cats[1]
    copy = shutil.copytree(run_dir, tmp_path / "run")  # keeps its evaluations: the record
    removed, damaged = (
        data / "test" / "cats" / "img_022.jpg",
        data / "test" / "dogs" / "img_023.png",
    )
    saved = {removed: removed.read_bytes(), damaged: damaged.read_bytes()}
    try:
        removed.unlink()
        damaged.write_bytes(b"not an image at all")
        info = read_run_info(copy)
        evaluation = evaluate(info, resolve_model(info), "test", model=final_model)
    finally:
        for path, content in saved.items():
            path.write_bytes(content)
    reasons = {entry["path"]: entry["reason"] for entry in evaluation.skipped}
    assert reasons[str(removed)] == MISSING and reasons[str(damaged)] == "not an image"
    assert len(evaluation.images) == 18 - 2
    assert sum(map(sum, evaluation.confusion)) == 16
    assert read_evaluation(copy, "final", "test").skipped == evaluation.skipped


def test_a_stop_writes_nothing_and_the_runner_puts_the_final_weights_back(
    cats, final_model, tmp_path
):

    run_dir = _copy_run(cats[0], tmp_path / "run")
    shutil.copy(cats[0] / "best_1_train-classifier.keras", run_dir)
    info = read_run_info(run_dir)
    assert evaluate(info, resolve_model(info), "test", stop=lambda: True, model=final_model) is None
    before = final_model.get_weights()
    lines = []
    calls = iter([False] * 5)  # 3 + 2 batches of the final model, then stop in the best one's
    evaluate_finished_run(run_dir, final_model, lines.append, lambda: next(calls, True))
    assert stored_evaluations(run_dir) == [("final", "test"), ("final", "validation")]
    assert lines[-1].startswith("Evaluation stopped")
    assert all(np.array_equal(a, b) for a, b in zip(before, final_model.get_weights(), strict=True))


def test_a_failing_evaluation_is_a_status_line_and_the_run_still_ends(tmp_path, monkeypatch):
    import threading

    from ftgui.core.run import whole_run

    def went_away(*args):
        raise UserError("The dataset folder went away.")

    monkeypatch.setattr(whole_run, "evaluate_finished_run", went_away)
    events = []
    metrics = whole_run.score_saved_models(tmp_path, None, events.append, threading.Event())
    assert metrics is None
    assert events == [Status("Evaluation skipped: The dataset folder went away.")]


def test_the_evaluate_command_prints_the_matrix_and_writes_the_files(cats, tmp_path):
    run_dir = _copy_run(cats[0], tmp_path / "run")
    result = ftgui("evaluate", str(run_dir), "--split", "validation")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "final on validation (12 images): accuracy" in result.stdout
    header = lines.index("Confusion matrix (rows: true class, columns: predicted class)")
    assert lines[header + 1].split() == ["cats", "dogs"]
    assert lines[header + 2].split()[0] == "cats" and lines[header + 3].split()[0] == "dogs"
    assert "precision  recall      f1  support" in result.stdout
    csv_path, json_path = evaluation_files(run_dir, "final", "validation")
    assert f"Wrote {csv_path}" in lines and f"Wrote {json_path}" in lines
    assert stored_evaluations(run_dir) == [("final", "validation")]


def test_bad_input_is_one_line_and_exit_2(cats, digits, tmp_path, capsys):
    """Each case through the command's `main()` in this process; the first one also through
    `python main.py` (the wiring: exit status and stderr of a real process)."""
    run_dir, data = cats[0], cats[1]
    no_model = _copy_run(run_dir, tmp_path / "no_model")
    (no_model / "model.keras").unlink()
    gained = shutil.copytree(data, tmp_path / "gained")
    make_book_dataset(gained, ("birds",), (2, 2, 2))  # a class folder the run never saw
    cases = {
        "is not an ftgui run folder": [str(tmp_path)],
        "holds no model yet": [str(no_model)],
        "no longer exists": [str(_copy_run(run_dir, tmp_path / "moved", data_dir="/nowhere"))],
        "restore the class folders": [
            str(_copy_run(run_dir, tmp_path / "gained_run", data_dir=str(gained)))
        ],
        "Unknown model 'nope'": [str(run_dir), "--model", "nope"],
        "invalid choice: 'train'": [str(run_dir), "--split", "train"],
        "has no test split": [str(digits), "--split", "test"],
        "does not fit this run's model (2 classes": [
            str(run_dir),
            "--model",
            str(digits / "model.keras"),
        ],
    }
    for number, (expected, args) in enumerate(cases.items()):
        result = ftgui("evaluate", *args) if number == 0 else ftgui_here(capsys, "evaluate", *args)
        assert result.returncode == 2, (expected, result.stderr)
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert "error:" in result.stderr and expected in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_scoring_through_the_shared_frozen_layers_equals_the_whole_model(cats, tmp_path):
    """After a run, the frozen layers' outputs are computed once for all models."""
    run_dir = _copy_run(cats[0], tmp_path / "run")
    best = "best_1_train-classifier"
    shutil.copy(cats[0] / f"{best}.keras", run_dir)
    info = read_run_info(run_dir)
    for split in ("test", "validation"):  # validation: block4_pool kept from training
        whole = evaluate(info, resolve_model(info, best), split)  # one model: whole network
        shared = read_evaluation(cats[0], best, split)  # the runner's, on shared block4_pool
        assert [r.path for r in whole.images] == [r.path for r in shared.images]
        for mine, theirs in zip(whole.images, shared.images, strict=True):
            assert mine.probabilities == pytest.approx(theirs.probabilities, abs=1e-5)
            assert mine.loss == pytest.approx(theirs.loss, rel=1e-4, abs=1e-5)
