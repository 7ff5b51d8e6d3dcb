"""Temperature scaling: the fit, the ECE, the files a run gets, `calibrate`, `predict
--calibrated` and `export --calibrated` (in-process: the commands' own entry points)."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from ftgui.core.analysis import calibration as cal
from ftgui.core.analysis.evaluation_files import Evaluation, ImageResult


def overconfident(count: int, classes: int, temperature: float, seed: int = 0):
    """Probabilities that are calibrated at `temperature` but given sharpened by it."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 1.5, (count, classes))
    truth = np.array([rng.choice(classes, p=np.exp(z) / np.exp(z).sum()) for z in logits])
    sharp = logits * temperature
    probabilities = np.exp(sharp) / np.exp(sharp).sum(axis=1, keepdims=True)
    return probabilities, truth


@pytest.mark.parametrize("classes", [2, 5])
def test_the_fit_finds_the_temperature_that_made_the_scores_overconfident(classes: int) -> None:
    probabilities, labels = overconfident(3000, classes, temperature=3.0)
    temperature, rule = cal.fit_temperature(probabilities, labels)
    assert rule == cal.FIT_NLL
    assert temperature == pytest.approx(3.0, rel=0.15)
    after = cal.calibrated(probabilities, temperature)
    assert cal.reliability(after, labels)[0] < cal.reliability(probabilities, labels)[0] / 2
    assert (after.argmax(axis=1) == probabilities.argmax(axis=1)).all()  # classes never change


def test_a_sigmoid_temperature_scales_its_logit() -> None:
    p = np.array([0.9, 0.2, 0.5, 0.999])
    two = np.stack([1 - p, p], axis=1)
    after = cal.calibrated(two, 2.0)
    logit = np.log(p / (1 - p))
    assert after[:, 1] == pytest.approx(1 / (1 + np.exp(-logit / 2.0)))
    assert after.sum(axis=1) == pytest.approx(np.ones(4))


def test_ece_is_the_weighted_gap_between_confidence_and_accuracy_in_15_bins() -> None:
    probabilities = np.array([[0.95, 0.05], [0.95, 0.05], [0.62, 0.38], [0.3, 0.7]])
    labels = np.array([0, 1, 0, 1])
    ece, bins = cal.reliability(probabilities, labels)
    # bin [0.933, 1): 2 images, confidence 0.95, accuracy 0.5; bin [0.6, 0.667): 1 right at
    # 0.62; bin [0.667, 0.733): 1 right at 0.7
    assert ece == pytest.approx((2 * 0.45 + 1 * 0.38 + 1 * 0.3) / 4)
    assert len(bins) == cal.BINS and sum(b[2] for b in bins) == 4


def test_the_validation_ece_never_rises_even_on_tiny_noisy_splits() -> None:
    rng = np.random.default_rng(1)
    fell_back = 0
    for _ in range(150):
        count = int(rng.integers(3, 12))
        probabilities = rng.dirichlet(np.ones(3) * 0.4, size=count)
        labels = rng.integers(0, 3, count)
        temperature, rule = cal.fit_temperature(probabilities, labels)
        before = cal.reliability(probabilities, labels)[0]
        after = cal.reliability(cal.calibrated(probabilities, temperature), labels)[0]
        assert temperature > 0 and after <= before + 1e-12
        fell_back += rule == cal.FIT_ECE
    assert fell_back > 0  # the fallback is exercised, not dead code


def _evaluation(split: str, probabilities: np.ndarray, labels: np.ndarray) -> Evaluation:
    images = [
        ImageResult(f"{split}/{k}.png", int(y), int(np.argmax(p)), float(p.max()), 0.0,
                    tuple(float(v) for v in p))
        for k, (p, y) in enumerate(zip(probabilities, labels, strict=True))
    ]  # fmt: skip
    return Evaluation("final", split, ["a", "b", "c"], 0.0, 0.0, [], {}, [], images)


def test_the_file_holds_validation_and_the_held_out_test_and_reads_back(tmp_path: Path) -> None:
    probabilities, labels = overconfident(400, 3, temperature=2.5, seed=3)
    validation = _evaluation("validation", probabilities[:200], labels[:200])
    test = _evaluation("test", probabilities[200:], labels[200:])
    made = cal.calibrate(validation, test)
    path = cal.write_calibration(tmp_path, made)
    data = json.loads(path.read_text())
    assert path.name == "final-calibration.json"
    assert {"temperature", "ece_before", "ece_after", "bins"} <= set(data)
    assert data["ece_after"] <= data["ece_before"] and data["temperature"] > 0
    assert data["test"]["ece_after"] < data["test"]["ece_before"]  # it carries over
    assert len(data["bins"]) == 15 and sum(b["count"] for b in data["bins"]) == 200
    assert cal.read_calibration(tmp_path, "final") == made


def test_a_damaged_calibration_file_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "evaluation").mkdir()
    (tmp_path / "evaluation" / "final-calibration.json").write_text("{not json")
    with pytest.raises(cal.UserError, match="damaged.*calibrate again"):
        cal.read_calibration(tmp_path, "final")


# ---- on a finished run ---------------------------------------------------------------------


@pytest.fixture
def run_copy(cats_run: Path, tmp_path: Path) -> Path:
    """The shared finished run, hard-linked: files the test writes replace links atomically."""
    copy = tmp_path / "run"
    shutil.copytree(cats_run, copy, copy_function=os.link)
    config = json.loads((copy / "config.json").read_text())
    config["out_dir"] = str(copy)
    (copy / "config.json").unlink()
    (copy / "config.json").write_text(json.dumps(config))
    return copy


@pytest.mark.slow
def test_every_model_of_a_finished_run_is_calibrated_at_its_end(cats_run: Path) -> None:
    models = [p.stem for p in cats_run.glob("*.keras")]
    assert len(models) == 3
    for model in ["final" if m == "model" else m for m in models]:
        stored = cal.read_calibration(cats_run, model)
        assert stored is not None and stored.temperature > 0
        assert stored.ece_after <= stored.ece_before
        assert stored.validation.images == 8 and stored.test is None  # this run has no test


def _predictions(path: Path) -> dict[str, tuple[str, float]]:
    with path.open() as file:
        return {row["path"]: (row["predicted"], float(row["confidence"])) for row in
                csv.DictReader(file)}  # fmt: skip


@pytest.mark.slow
def test_predict_calibrated_fits_when_missing_and_keeps_every_class(
    run_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from ftgui.cli.predict import predict_main

    (run_copy / "evaluation" / "final-calibration.json").unlink()
    images = json.loads((run_copy / "config.json").read_text())["data_dir"] + "/train"
    assert predict_main([str(run_copy), images, "--csv", str(tmp_path / "plain.csv")]) == 0
    assert (
        predict_main(
            [str(run_copy), images, "--calibrated", "--csv", str(tmp_path / "calibrated.csv")]
        )
        == 0
    )
    err = capsys.readouterr().err
    stored = cal.read_calibration(run_copy, "final")
    assert stored is not None and "Calibrated confidences: temperature" in err
    plain, tempered = (
        _predictions(tmp_path / "plain.csv"),
        _predictions(tmp_path / "calibrated.csv"),
    )
    assert plain.keys() == tempered.keys() and len(plain) == 16
    for path, (predicted, confidence) in plain.items():
        assert tempered[path][0] == predicted
        expected = cal.calibrated(np.array([[1 - confidence, confidence]]), stored.temperature)
        assert tempered[path][1] == pytest.approx(expected.max(), abs=1e-6)


@pytest.mark.slow
def test_export_calibrated_bakes_the_temperature_into_the_artifact(
    run_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import tensorflow as tf

    from ftgui.cli.export import export_main
    from ftgui.core.analysis.gradcam import read_image
    from ftgui.core.analysis.models import load_model, read_run_info, resolve_model

    out = tmp_path / "saved"
    assert export_main([str(run_copy), "--format", "savedmodel", "--calibrated", "--out",
                        str(out)]) == 0  # fmt: skip
    assert "baked into the output layer" in capsys.readouterr().out
    assert (out / "labels.txt").read_text() == "cats\ndogs\n"
    info = read_run_info(run_copy)
    image = next(Path(info.config.data_dir).glob("validation/*/*"))
    _, pixels = read_image(image, 32)
    plain = float(load_model(info, resolve_model(info))(pixels[None]).numpy()[0, 0])
    artifact = tf.saved_model.load(str(out / "saved_model"))
    baked = float(np.asarray(artifact.serve(tf.constant(pixels[None])))[0, 0])
    temperature = cal.read_calibration(run_copy, "final").temperature
    expected = cal.calibrated(np.array([[1 - plain, plain]]), temperature)[0, 1]
    assert baked == pytest.approx(expected, abs=1e-5)
    assert abs(temperature - 1.0) > 0.05 and baked != pytest.approx(plain, abs=1e-4)


def test_export_calibrated_refuses_the_script_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from ftgui.cli.export import _export

    with pytest.raises(cal.UserError, match="--calibrated applies to the model formats"):
        _export(str(tmp_path), "script", "final", None, calibrated=True)
