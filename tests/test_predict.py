"""Predicting new images with a run's model: training's pixels, unreadable files, the command."""

import csv
import io

import numpy as np
import pytest
from PIL import Image

from ftgui.cli.predict import predict_main
from ftgui.core.analysis.models import load_model, read_run_info, resolve_model
from ftgui.core.analysis.predict import (
    _PREDICTORS,
    MISSING,
    NO_IMAGES,
    image_files,
    predict_files,
    write_predictions_csv,
)
from ftgui.core.data.dataset import Split
from ftgui.core.data.pipeline import make_dataset
from ftgui.core.errors import UserError
from ftgui.core.run.whole_run import run
from ftgui.core.settings.config import RunConfig
from tests.commands import ftgui
from tests.images import make_class_folders, write_images

pytestmark = pytest.mark.slow  # every test here reads a run trained for this module

DIGITS = tuple(str(k) for k in range(10))


def _train(data, out):
    config = RunConfig(
        data_dir=str(data), out_dir=str(out), weights="none", image_size=32, batch_size=8, seed=5
    )
    config.phases[0].epochs, config.phases[0].learning_rate = 1, 1e-3
    config.phases[1].epochs = 1
    run(config, lambda event: None)
    return out


@pytest.fixture(scope="module")
def cats(tmp_path_factory, cats_run):
    """A two-class run (sigmoid head) and new images to predict: 4 cats and 4 dogs."""
    new = tmp_path_factory.mktemp("cats") / "new"
    write_images(new / "cats", 0, 4, start=50)
    write_images(new / "dogs", 1, 4, start=50)
    return cats_run, new


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """A ten-class run (softmax head) on class folders."""
    root = tmp_path_factory.mktemp("digits")
    data = make_class_folders(root / "data", DIGITS, 3)
    return _train(data, root / "run"), data


@pytest.fixture(scope="module")
def cats_model(cats):
    info = read_run_info(cats[0])
    return info, load_model(info, resolve_model(info))


def _broken(folder):
    """An empty file and a text file named as images, and a JPEG cut in half."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.png").write_text("not pixels")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 30, 200)).save(buffer, "JPEG")
    data = buffer.getvalue()
    (folder / "half.jpg").write_bytes(data[: len(data) // 2])
    return folder


def _main(capsys, *argv):
    try:
        code = predict_main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_predictions_equal_model_predict_on_the_pixels_training_reads(cats, cats_model):
    model = cats_model[1]
    files, problems = image_files([cats[1]])
    assert problems == [] and len(files) == 8
    predictions, unreadable = predict_files(model, files, 32, batch_size=3)
    assert unreadable == [] and [p.path for p in predictions] == files

    pixels = make_dataset(Split(files, [0] * len(files)), 32, 8, binary=True)
    expected = model.predict(np.concatenate([x for x, _ in pixels]), verbose=0)[:, 0]
    got = np.array([p.probabilities for p in predictions])
    np.testing.assert_allclose(got[:, 1], expected, atol=1e-6, rtol=0)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)
    assert [p.predicted for p in predictions] == [int(v > 0.5) for v in expected]
    assert all(p.confidence == p.probabilities[p.predicted] for p in predictions)


def test_progress_after_each_batch_and_stop_between_batches(cats, cats_model):
    model = cats_model[1]
    files = image_files([cats[1]])[0]
    seen = []
    predict_files(model, files, 32, batch_size=3, progress=lambda *a: seen.append(a))
    assert seen == [(3, 8), (6, 8), (8, 8)]
    predictions, problems = predict_files(model, files, 32, batch_size=3, stop=lambda: True)
    assert predictions == [] and problems == []
    calls = iter([False, True])
    predictions, _ = predict_files(model, files, 32, batch_size=3, stop=lambda: next(calls))
    assert [p.path for p in predictions] == files[:3]


def test_the_traced_call_is_kept_with_the_model(cats, cats_model):
    model, files = cats_model[1], image_files([cats[1]])[0]
    predict_files(model, files, 32, batch_size=3)
    traced = _PREDICTORS[model].experimental_get_tracing_count()
    predict_files(model, files[:5], 32, batch_size=4)
    assert _PREDICTORS[model].experimental_get_tracing_count() == traced <= 2


def test_unreadable_files_get_their_reason_and_the_rest_are_predicted(cats, cats_model, tmp_path):
    model = cats_model[1]
    files = image_files([cats[1]])[0]
    broken = _broken(tmp_path / "broken")
    mixed = [files[0], str(broken / "empty.jpg"), files[1], str(broken / "half.jpg"), files[2]]
    mixed += [str(broken / "gone.jpg"), str(broken / "notes.png")]
    predictions, problems = predict_files(model, mixed, 32, batch_size=2)
    assert [p.path for p in predictions] == files[:3]
    reasons = {p["path"].rsplit("/", 1)[1]: p["reason"] for p in problems}
    assert reasons["empty.jpg"] == "empty file" and reasons["notes.png"] == "not an image"
    assert reasons["half.jpg"].startswith("truncated") and reasons["gone.jpg"] == MISSING


def test_a_folder_expands_to_its_images_recursively_sorted_without_hidden_ones(tmp_path):
    root = tmp_path / "photos"
    write_images(root / "b", 0, 2)
    write_images(root / "a" / "deeper", 1, 1)
    write_images(root / ".thumbnails", 0, 1)
    (root / ".hidden.jpg").write_bytes(b"x")
    (root / "readme.txt").write_text("x")
    (root / "UPPER.JPG").write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "list.txt").write_text("x")
    named = root / "b" / "img_000.jpg"
    paths = [root, named, tmp_path / "missing.jpg", tmp_path / "list.txt", tmp_path / "empty"]
    files, problems = image_files(paths)
    relative = [str(p)[len(str(root)) + 1 :] for p in files]
    assert relative == ["UPPER.JPG", "a/deeper/img_000.jpg", "b/img_000.jpg", "b/img_001.png"]
    reasons = {p["path"].rsplit("/", 1)[1]: p["reason"] for p in problems}
    assert reasons["missing.jpg"] == MISSING and reasons["empty"] == NO_IMAGES
    assert reasons["list.txt"].startswith("not an image file")
    assert len(problems) == 3


def test_command_lists_broken_files_on_stderr_and_predicts_the_rest(cats):
    run_dir, new = cats
    broken = _broken(new.parent / "mixed")
    write_images(broken, 1, 2, start=70)
    result = ftgui("predict", str(run_dir), str(broken))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == [
        str(broken / "img_070.jpg"),
        str(broken / "img_071.png"),
    ]
    for line in lines:
        _, label, confidence = line.split("\t")
        assert label in ("cats", "dogs") and 0.5 <= float(confidence) <= 1.0
    assert f"{broken / 'empty.jpg'}: empty file" in result.stderr
    assert f"{broken / 'notes.png'}: not an image" in result.stderr
    assert f"{broken / 'half.jpg'}: truncated" in result.stderr
    assert "Traceback" not in result.stderr and "E0000" not in result.stderr


def test_only_unreadable_files_exit_2_with_one_line(cats, capsys, tmp_path):
    broken = _broken(tmp_path / "only" / "broken")
    code, out, err = _main(capsys, cats[0], broken / "empty.jpg", broken / "notes.png")
    assert code == 2 and out == []
    assert len(err) == 1 and err[0].startswith("ftgui: error: No image could be read: ")
    assert "empty.jpg (empty file)" in err[0] and "notes.png (not an image)" in err[0]


def test_csv_header_is_exact_and_probabilities_sum_to_one(cats, capsys, tmp_path):
    target = tmp_path / "out.csv"
    code, out, err = _main(capsys, cats[0], cats[1], "--csv", target)
    assert code == 0, err
    with target.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["path", "predicted", "confidence", "p:cats", "p:dogs"]
    assert len(rows) == 9 and [r[0] for r in rows[1:]] == [line.split("\t")[0] for line in out]
    for row in rows[1:]:
        probabilities = [float(v) for v in row[3:]]
        assert abs(sum(probabilities) - 1) < 1e-9
        assert row[1] == ("cats", "dogs")[int(np.argmax(probabilities))]
        assert float(row[2]) == max(probabilities)
    assert err == [f"Wrote {target}"]


def test_top_k_appends_the_best_classes_after_the_three_fields(cats, capsys):
    code, out, _ = _main(capsys, cats[0], cats[1] / "dogs", "--top", "2")
    assert code == 0 and len(out) == 4
    for line in out:
        _, label, confidence, first, second = line.split("\t")
        assert first == f"{label}:{confidence}"
        name, probability = second.split(":")
        assert name != label and name in ("cats", "dogs")
        assert abs(float(confidence) + float(probability) - 1) < 2e-4


def test_ten_classes_give_ten_probability_columns(digits, capsys, tmp_path):
    run_dir, data = digits
    target = tmp_path / "digits.csv"
    code, out, err = _main(capsys, run_dir, data / "3", data / "7", "--top", "3", "--csv", target)
    assert code == 0, err
    with target.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["path", "predicted", "confidence", *(f"p:{d}" for d in DIGITS)]
    assert len(rows) == 7 and all(abs(sum(map(float, r[3:])) - 1) < 1e-5 for r in rows[1:])
    assert all(len(line.split("\t")) == 6 for line in out)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["{tmp}", "{new}"], "config.json"),
        (["{run}", "{new}", "--model", "nope"], "Unknown model 'nope'"),
        (["{run}", "{tmp}/nothing.jpg", "{tmp}/list.txt"], "No image files found"),
        (["{run}", "{new}", "--csv", "{tmp}/no/such/folder.csv"], "does not exist"),
        (["{run}", "{new}", "--top", "0"], "at least 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cats, capsys, tmp_path, argv, words):
    (tmp_path / "list.txt").write_text("x")
    names = {"run": cats[0], "new": cats[1], "tmp": tmp_path}
    code, out, err = _main(capsys, *(a.format(**names) for a in argv))
    assert code == 2 and out == [] and len(err) == 1 and words in err[0], err


def test_write_predictions_csv_failure_is_one_sentence(tmp_path):
    with pytest.raises(UserError, match=r"^Cannot write .*\.$"):
        write_predictions_csv(tmp_path / "missing" / "p.csv", [], ["a", "b"])


def test_a_new_image_the_size_of_a_photo_is_resized_as_in_training(cats_model, tmp_path):
    model = cats_model[1]
    path = tmp_path / "photo.jpg"
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (75, 100, 3), dtype=np.uint8)).save(path)
    (prediction,), _ = predict_files(model, [str(path)], 32)
    pixels = next(iter(make_dataset(Split([str(path)], [0]), 32, 1, binary=True)))[0]
    assert abs(prediction.probabilities[1] - float(model.predict(pixels, verbose=0)[0, 0])) < 1e-6
