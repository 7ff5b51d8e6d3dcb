"""The one-file report (opened in a real browser engine), test-time augmentation and the
calibration's held-out test figures, on one finished run with a test split."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.commands import ROOT, ftgui
from tests.images import make_book_dataset


def test_a_10_class_report_with_12_large_photos_stays_under_5_mb(tmp_path: Path) -> None:
    """The page's weight is its pictures: worst case for JPEG (noise), 1600×1200 originals."""
    from ftgui.core.report.facts import ReportFacts
    from ftgui.core.report.hardest import HardImage, data_uri
    from ftgui.core.report.page import render
    from ftgui.core.settings.config import RunConfig

    rng = np.random.default_rng(0)
    classes = [f"class {k}" for k in range(10)]
    uri = data_uri(rng.integers(0, 256, (1200, 1600, 3), dtype=np.uint8))
    hardest = [
        HardImage(f"/p/{k}.jpg", "class 1", "class 2", 0.9, 2.3, uri, uri) for k in range(12)
    ]
    history = [
        {"phase": 1 + (e > 30), "phase_name": "A" if e <= 30 else "B", "epoch": e, "loss": 1.0,
         "accuracy": 0.5, "val_loss": 1.1, "val_accuracy": 0.4, "seconds": 1.0}
        for e in range(1, 131)
    ]  # fmt: skip
    facts = ReportFacts(
        "run", tmp_path, RunConfig(data_dir="/d"), classes, history, [], [], [], "", "",
        counts={"train": [100] * 10},
    )  # fmt: skip
    html = render(facts, hardest)
    assert len(html.encode()) < 5_000_000
    assert html.count(uri) == 24


@pytest.fixture(scope="module")
def tested_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 1 + 1 epoch run at 32 px (random weights, augmented so that TTA mirrors) on
    8 / 4 / 4 cats and dogs: a test split, scored and calibrated at its end."""
    from ftgui.core.run.whole_run import run
    from ftgui.core.settings.config import RunConfig

    root = tmp_path_factory.mktemp("tested_run")
    data = make_book_dataset(root / "data", ("cats", "dogs"), (8, 4, 4))
    config = RunConfig(
        data_dir=str(data), out_dir=str(root / "run"), weights="none", image_size=32, batch_size=8,
        seed=3, augment=True,
    )  # fmt: skip
    config.phases[0].epochs, config.phases[0].learning_rate = 1, 1e-3
    config.phases[1].epochs = 1
    run(config, lambda event: None)
    return root / "run"


@pytest.fixture(scope="module")
def report(tested_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`python main.py report RUN --out …`, as a person runs it; (file, stdout)."""
    out = tmp_path_factory.mktemp("report") / "run report.html"
    result = ftgui("report", str(tested_run), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result.stdout


@pytest.mark.slow
def test_the_report_is_one_file_that_loads_nothing_from_anywhere(report) -> None:
    path, stdout = report
    html = path.read_text(encoding="utf-8")
    assert f"Wrote {path}" in stdout
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # nothing beside it
    sources = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html, flags=re.I)
    assert sources and all(s.startswith("data:") for s in sources), sources
    assert "<script" not in html.lower() and "url(" not in html.lower()
    assert html.count("<svg") >= 3  # loss, accuracy, reliability


@pytest.mark.slow
def test_the_report_says_what_the_run_files_say(report, tested_run: Path) -> None:
    html = report[0].read_text(encoding="utf-8")
    test = json.loads((tested_run / "evaluation" / "final-test.json").read_text())
    calibration = json.loads((tested_run / "evaluation" / "final-calibration.json").read_text())
    assert f"test accuracy {test['accuracy']:.4f}" in html
    assert f"Temperature {calibration['temperature']:.4f}" in html
    assert f"python main.py train --config {tested_run / 'config.json'}" in html
    assert html.count('alt="Grad-CAM" src="data:image/jpeg;base64,') == 8  # every test image
    for section in ("Curves", "Confusion matrix", "hardest", "Calibration", "Dataset",
                    "Environment and time", "Limits of this model"):  # fmt: skip
        assert section in html


@pytest.mark.slow
def test_the_report_renders_in_a_browser_engine_without_errors(report, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [sys.executable, "-m", "tests.render_html", str(report[0]), str(shot)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    page = json.loads(result.stdout)
    assert page["console"] == [] and page["title"].startswith("ftgui report")
    assert page["requests"] == [f"file://{report[0]}"]  # the page itself, nothing else
    assert page["svgs"] >= 3 and page["images_drawn"] == 16  # 8 images + 8 Grad-CAMs decoded
    assert "Limits of this model" in page["text"]
    from PIL import Image

    with Image.open(shot) as picture:
        assert picture.width == 1100 and picture.height > 1500
        colours = picture.convert("RGB").resize((64, 64)).getcolors(64 * 64)
    assert colours is not None and len(colours) > 20  # drawn figures, not a blank page


def test_the_report_of_a_folder_that_is_not_a_run_is_one_sentence(tmp_path: Path) -> None:
    from ftgui.cli.report import report_main

    assert report_main([str(tmp_path)]) == 2


@pytest.mark.slow
def test_evaluate_tta_prints_both_accuracies_and_the_flips_and_stores_them(
    tested_run: Path, capsys: pytest.CaptureFixture
) -> None:
    from ftgui.cli.evaluate import evaluate_main

    assert evaluate_main([str(tested_run), "--tta"]) == 0
    out = capsys.readouterr().out
    stored = json.loads((tested_run / "evaluation" / "final-test-tta.json").read_text())
    plain = json.loads((tested_run / "evaluation" / "final-test.json").read_text())
    assert stored["accuracy"] == pytest.approx(plain["accuracy"])  # the same scoring as evaluate
    assert stored["views"][-1] == "whole image mirrored" and len(stored["views"]) == 6
    gained = stored["wrong_to_right"] - stored["right_to_wrong"]
    assert stored["accuracy_tta"] == pytest.approx(stored["accuracy"] + gained / 8)
    assert f"accuracy without TTA {stored['accuracy']:.4f}, with TTA " in out
    assert f"right→wrong {stored['right_to_wrong']}, wrong→right {stored['wrong_to_right']}" in out
    assert stored["seconds_tta"] > 0 and stored["seconds"] > 0


@pytest.mark.slow
def test_predict_tta_is_the_mean_over_the_views(tested_run: Path, tmp_path: Path) -> None:
    import tensorflow as tf

    from ftgui.cli.predict import predict_main
    from ftgui.core.analysis.gradcam import read_image
    from ftgui.core.analysis.models import load_model, read_run_info, resolve_model
    from ftgui.core.analysis.tta import tta_views, view_of

    info = read_run_info(tested_run)
    image = sorted(Path(info.config.data_dir).glob("test/dogs/*"))[0]
    assert (
        predict_main([str(tested_run), str(image), "--tta", "--csv", str(tmp_path / "p.csv")]) == 0
    )
    row = (tmp_path / "p.csv").read_text().splitlines()[1].split(",")
    model = load_model(info, resolve_model(info))
    _, pixels = read_image(image, 32)
    views = [view_of(tf.constant(pixels[None]), v) for v in tta_views(True)]
    mean = float(np.mean([model(v, training=False).numpy()[0, 0] for v in views]))
    plain = float(model(pixels[None], training=False).numpy()[0, 0])
    assert float(row[-1]) == pytest.approx(mean, abs=1e-5)  # p:dogs
    assert abs(mean - plain) > 1e-6  # the views differ from the whole image


@pytest.mark.slow
def test_the_calibration_measures_the_held_out_test_split(tested_run: Path) -> None:
    from ftgui.core.analysis.calibration import read_calibration

    stored = read_calibration(tested_run, "final")
    assert stored is not None and stored.test is not None and stored.test.images == 8
    assert stored.validation.images == 8 and stored.ece_after <= stored.ece_before
