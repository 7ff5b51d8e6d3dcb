"""Exports of a run's model, each checked by running it, and the recipe as a script."""

import dataclasses
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from ftgui.cli.export import export_main
from ftgui.core.analysis.models import load_model, read_run_info, resolve_model
from ftgui.core.errors import UserError
from ftgui.core.export import artifacts, verify
from ftgui.core.export.artifacts import export_model, label_lines, output_note
from ftgui.core.export.script import PHASE_PREFIX, recipe_script
from ftgui.core.run.whole_run import run
from ftgui.core.settings.config import RunConfig
from tests.commands import ftgui
from tests.images import make_book_dataset

pytestmark = pytest.mark.slow  # every test here reads a run trained for this module

CLASSES = ("ants", "bees", "wasps")  # three classes: a softmax head with one output per class
KEEP_OUT = "choose another --out or remove it."


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished 1 + 1 epoch run at 32 px on a book-layout dataset; (run folder, dataset)."""
    root = tmp_path_factory.mktemp("export")
    data = make_book_dataset(root / "data", CLASSES, (8, 4, 0))
    config = RunConfig(
        data_dir=str(data), out_dir=str(root / "run"), weights="none", image_size=32, batch_size=8
    )
    config.phases[0].epochs, config.phases[0].learning_rate = 1, 1e-3
    config.phases[1].epochs = 1
    run(config, lambda event: None)
    return root / "run", data


@pytest.fixture(scope="module")
def info(trained):
    return read_run_info(trained[0])


@pytest.fixture(scope="module")
def keras_model(info):
    return load_model(info, resolve_model(info))


def _export(info, fmt, out):
    return export_model(info, resolve_model(info), fmt, out)


@pytest.mark.parametrize(
    ("fmt", "package"),
    [("savedmodel", None), ("tflite", "ai_edge_litert"), ("onnx", "onnxruntime")],
)
def test_each_format_exports_verifies_and_lists_the_labels(
    info, keras_model, tmp_path, fmt, package
):
    if package:
        pytest.importorskip(package)
    result = _export(info, fmt, tmp_path / fmt)
    assert result.artifact == tmp_path / fmt / artifacts.ARTIFACTS[fmt]
    assert result.artifact.exists() and result.size > 1_000_000
    assert result.source == "12 validation images"
    assert 0 <= result.difference <= verify.TOLERANCE
    labels = (tmp_path / fmt / artifacts.LABELS_FILE).read_text(encoding="utf-8")
    assert labels.splitlines() == list(CLASSES)
    assert sorted(p.name for p in (tmp_path / fmt).iterdir()) == sorted(
        [artifacts.LABELS_FILE, artifacts.ARTIFACTS[fmt]]
    )
    assert not list(tmp_path.glob(".*partial*"))
    # The artifact takes raw pixels: run it here on new ones and compare with Keras.
    pixels = np.random.default_rng(5).integers(0, 256, (5, 32, 32, 3)).astype(np.float32)
    runner = artifacts.RUNTIMES[fmt][1]
    output = runner(result.artifact, pixels)
    assert output.shape == (5, len(CLASSES))
    np.testing.assert_allclose(output, keras_model.predict(pixels, verbose=0), atol=1e-4, rtol=0)


def test_the_command_prints_what_it_wrote_and_the_verified_difference(trained, tmp_path):
    run_dir, _ = trained
    out = tmp_path / "sm"
    out.mkdir()  # an empty folder is fine
    result = ftgui("export", str(run_dir), "--format", "savedmodel", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out / 'saved_model'}/ (" in result.stdout
    assert "MB) in " in result.stdout and f"{out / 'labels.txt'} (3 classes)" in result.stdout
    assert "Verified with tf.saved_model on 12 validation images in " in result.stdout
    assert "s: largest difference from Keras " in result.stdout
    assert (out / "saved_model" / "saved_model.pb").is_file()


def test_a_failed_verification_is_an_error_and_writes_nothing(info, tmp_path, monkeypatch):
    runtime, runner = artifacts.RUNTIMES["savedmodel"]
    monkeypatch.setitem(
        artifacts.RUNTIMES, "savedmodel", (runtime, lambda path, x: runner(path, x) + 1e-3)
    )
    with pytest.raises(
        UserError, match=r"differs from Keras by up to 0\.001 .*nothing was written"
    ):
        _export(info, "savedmodel", tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_is_not_empty_is_refused(trained, tmp_path, capsys):
    (tmp_path / "old.txt").write_text("keep me")
    status = export_main([str(trained[0]), "--format", "onnx", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2
    assert err == f"ftgui: error: {tmp_path} exists and is not empty; {KEEP_OUT}\n"
    script = tmp_path / "old.txt"
    assert export_main([str(trained[0]), "--format", "script", "--out", str(script)]) == 2
    assert script.read_text() == "keep me"


@pytest.mark.parametrize(("fmt", "module"), [("onnx", "onnxruntime"), ("tflite", "ai_edge_litert")])
def test_a_missing_package_names_the_install_command(
    trained, tmp_path, capsys, monkeypatch, fmt, module
):

    monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails
    status = export_main([str(trained[0]), "--format", fmt, "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert "pip install -e '.[export]'" in err and module.replace("_", "-") in err
    assert not (tmp_path / "x").exists()


def test_bad_runs_and_formats_are_one_sentence(trained, tmp_path, capsys):
    assert export_main([str(tmp_path), "--format", "savedmodel"]) == 2
    assert "config.json" in capsys.readouterr().err
    empty = tmp_path / "no-model"
    shutil.copytree(trained[0], empty, ignore=shutil.ignore_patterns("*.keras"))
    assert export_main([str(empty), "--format", "savedmodel"]) == 2
    assert "holds no model yet" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        export_main([str(trained[0]), "--format", "h5"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'h5'" in capsys.readouterr().err


def test_without_the_dataset_a_seeded_random_batch_is_used(info):
    gone = dataclasses.replace(info.config, data_dir=str(info.folder / "gone"))
    batch = verify.verification_batch(dataclasses.replace(info, config=gone))
    again = verify.verification_batch(dataclasses.replace(info, config=gone))
    assert batch.pixels.shape == (verify.VERIFY_IMAGES, 32, 32, 3)
    assert batch.source.startswith("32 random-pixel images (the dataset cannot be read")
    np.testing.assert_array_equal(batch.pixels, again.pixels)


def test_validation_images_are_read_as_training_reads_them(info, trained):
    from ftgui.core.data.dataset import find_dataset
    from ftgui.core.data.pipeline import make_dataset

    batch = verify.verification_batch(info)
    validation = find_dataset(trained[1]).validation
    x, _ = next(iter(make_dataset(validation, 32, 100, binary=False)))
    np.testing.assert_array_equal(batch.pixels, x.numpy())  # 12 files: all of them, in order


def test_labels_and_the_note_on_a_sigmoid_output():
    assert label_lines(["cat", "dog"]) == "cat\ndog\n"
    assert "P(dog)" in output_note(["cat", "dog"]) and "1 − it" in output_note(["cat", "dog"])
    assert "3 probabilities" in output_note(["a", "b", "c"])


def test_the_script_trains_end_to_end_and_freezes_the_runs_layers(trained, tmp_path):
    run_dir, data = trained
    script = tmp_path / "again.py"
    status = export_main([str(run_dir), "--format", "script", "--out", str(script)])
    assert status == 0
    assert "import ftgui" not in script.read_text() and "from ftgui" not in script.read_text()
    saved = tmp_path / "model.keras"
    args = ["--epochs", "1", "--data", str(data), "--save", str(saved)]
    result = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    phases = [
        json.loads(line[len(PHASE_PREFIX) :])
        for line in result.stdout.splitlines()
        if line.startswith(PHASE_PREFIX)
    ]
    config = json.loads((run_dir / "config.json").read_text())
    assert [(p["name"], p["trainable_layers"]) for p in phases] == [
        (p["name"], p["trainable_layers"]) for p in config["phases"]
    ]
    assert phases[1]["trainable_layers"][0] == "block5_conv1"
    assert "Epoch 2/2" in result.stdout and saved.is_file()


def test_the_script_of_a_class_folder_run_splits_by_its_seed(info):
    config = dataclasses.replace(info.config, data_dir="/nowhere", validation_split=0.25)
    text = recipe_script(dataclasses.replace(info, config=config), "mine.py")
    compile(text, "mine.py", "exec")
    assert "VALIDATION_SPLIT = 0.25" in text and "python mine.py --epochs 1" in text
    assert "SEED = 1337" in text and "WEIGHTS = 'none'" in text
