"""Grad-CAM on a run's saved model: the peak lies on the evidence, sizes, the `gradcam` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ftgui.core.analysis import gradcam
from ftgui.core.errors import UserError
from tests.commands import ROOT, ftgui, ftgui_here

pytestmark = pytest.mark.slow  # every test here reads a run trained for this module


WIDTH, HEIGHT, PATCH, SIZE = 90, 60, 14, 64  # non-square originals; 4×4 block5_conv3 at 64 px
CLASSES = ("patch", "plain")  # class 0: one bright square somewhere; class 1: noise only


@dataclass
class Trained:
    run: Path
    model: object
    tests: list[tuple[Path, tuple[int, int, int, int]]]  # patch images and their (x0, y0, x1, y1)


def _image(rng: np.random.Generator, with_patch: bool) -> tuple[np.ndarray, tuple[int, ...]]:
    """A noisy dark image, with one bright square at a random place when `with_patch`."""
    pixels = rng.integers(0, 70, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    if not with_patch:
        return pixels, ()
    x0, y0 = int(rng.integers(0, WIDTH - PATCH)), int(rng.integers(0, HEIGHT - PATCH))
    pixels[y0 : y0 + PATCH, x0 : x0 + PATCH] = rng.integers(220, 256, 3, dtype=np.uint8)
    return pixels, (x0, y0, x0 + PATCH, y0 + PATCH)


def _write(folder: Path, rng: np.random.Generator, count: int) -> list[tuple[Path, tuple]]:
    written = []
    for label, name in enumerate(CLASSES):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            pixels, box = _image(rng, label == 0)
            path = folder / name / f"{i:03d}.png"
            Image.fromarray(pixels).save(path)
            written.append((path, box))
    return written


def _local_base_weights(path: Path) -> Path:
    """A VGG16 conv base whose first channels pass the image through (identity kernels).

    A randomly initialised VGG16 mixes the whole 64 px image into every block5 position, so
    where its features say "bright square" is only loosely tied to where the square is; with
    this base block5_conv3 holds the (ReLU'd, max-pooled) pixels at each position, so a correct
    gradient path must put the peak on the square and a flipped or shifted one cannot.
    """
    import keras

    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(SIZE, SIZE, 3))
    for layer in base.layers:
        if hasattr(layer, "kernel"):
            kernel = np.zeros(layer.kernel.shape, dtype=np.float32)
            for channel in range(3):
                kernel[1, 1, channel, channel] = 1.0
            layer.set_weights([kernel, np.zeros(layer.bias.shape, dtype=np.float32)])
    base.save_weights(path)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """One classifier phase trained by ftgui's runner on patch / plain images (~10 s)."""
    from ftgui.core.analysis.models import load_model, read_run_info, resolve_model
    from ftgui.core.run.whole_run import run
    from ftgui.core.settings.config import RunConfig

    root = tmp_path_factory.mktemp("gradcam")
    rng = np.random.default_rng(4)
    _write(root / "data" / "train", rng, 24)
    _write(root / "data" / "validation", rng, 6)
    tests = [(path, box) for path, box in _write(root / "unseen", rng, 10) if box]
    config = RunConfig(
        data_dir=str(root / "data"),
        out_dir=str(root / "run"),
        weights=str(_local_base_weights(root / "local.weights.h5")),
        image_size=SIZE,
        batch_size=8,
        seed=3,
    )
    config.phases = config.phases[:1]
    phase = config.phases[0]
    phase.epochs, phase.learning_rate, phase.optimizer = 8, 1e-3, "adam"
    run(config, lambda event: None)
    info = read_run_info(root / "run")
    return Trained(root / "run", load_model(info, resolve_model(info)), tests)


def _on_patch(heatmap: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """The square's centre lies in the hottest part of the map, and the map is cold elsewhere.

    (A square spanning two block5 positions lights both equally, so the single argmax pixel
    may fall at either end of the plateau; the centre's heat is the robust test.)
    """
    x0, y0, x1, y1 = box
    centre = heatmap[(y0 + y1) // 2, (x0 + x1) // 2]
    return bool(centre >= 0.9 * heatmap.max() and heatmap.mean() < 0.5)


def test_the_peak_lies_on_the_bright_patch(trained: Trained):
    results = [gradcam.gradcam_image(trained.model, path, SIZE) for path, _ in trained.tests]
    assert all(result.predicted == 0 for result in results)
    hits = [_on_patch(r.heatmap, box) for r, (_, box) in zip(results, trained.tests, strict=True)]
    assert sum(hits) >= 0.8 * len(hits), hits


def test_heatmap_has_the_original_size_and_probabilities_match_the_model(trained: Trained):
    path, _ = trained.tests[0]
    result = gradcam.gradcam_image(trained.model, path, SIZE)
    assert result.heatmap.shape == (HEIGHT, WIDTH) and result.heatmap.dtype == np.float32
    assert result.heatmap.min() >= 0.0 and 0.9 < result.heatmap.max() <= 1.0
    _, pixels = gradcam.read_image(path, SIZE)
    p = float(trained.model.predict(pixels[None], verbose=0)[0, 0])
    np.testing.assert_allclose(result.probabilities, [1 - p, p], atol=1e-5)
    picture = gradcam.overlay(np.asarray(Image.open(path)), result.heatmap)
    assert picture.shape == (HEIGHT, WIDTH, 3) and picture.dtype == np.uint8


def test_explaining_the_other_class_gives_a_different_map(trained: Trained):
    _, pixels = gradcam.read_image(trained.tests[0][0], SIZE)
    predicted, probabilities = gradcam.explain(trained.model, pixels)
    other, _ = gradcam.explain(trained.model, pixels, 1 - int(np.argmax(probabilities)))
    same, _ = gradcam.explain(trained.model, pixels, int(np.argmax(probabilities)))
    assert predicted.shape == (4, 4)
    np.testing.assert_array_equal(predicted, same)
    assert not np.allclose(predicted, other)


def test_read_image_matches_the_training_pipeline(trained: Trained):
    from ftgui.core.data.dataset import Split
    from ftgui.core.data.pipeline import make_dataset

    path, _ = trained.tests[1]
    original, pixels = gradcam.read_image(path, SIZE)
    batch, _ = next(iter(make_dataset(Split([str(path)], [0]), SIZE, 1, binary=True)))
    np.testing.assert_array_equal(pixels, batch.numpy()[0])
    assert original.shape == (HEIGHT, WIDTH, 3) and original.dtype == np.uint8


def test_an_augmented_model_is_explained_without_augmentation():
    from ftgui.core.model.build import build_model

    model = build_model(3, 32, "none", augment=True, seed=2)
    pixels = np.random.default_rng(0).uniform(0, 255, (32, 32, 3)).astype(np.float32)
    first, probabilities = gradcam.explain(model, pixels)
    again, _ = gradcam.explain(model, pixels)
    np.testing.assert_array_equal(first, again)  # augmentation would make these differ
    np.testing.assert_allclose(probabilities, model.predict(pixels[None], verbose=0)[0], atol=1e-5)


def test_unreadable_image_is_one_sentence(tmp_path: Path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    for path in (broken, tmp_path / "missing.png"):
        with pytest.raises(UserError, match=str(path.name)):
            gradcam.read_image(path, SIZE)


def test_colormap_and_overlay_need_only_numpy():
    colours = gradcam.colormap(np.array([0.0, 0.5, 1.0]))
    assert colours.dtype == np.uint8 and colours.shape == (3, 3)
    assert colours[0].tolist() == [68, 1, 84] and colours[2].tolist() == [253, 231, 37]
    assert np.all(np.diff(colours.astype(int).sum(-1)) > 0)  # lightness rises with the value
    image = np.zeros((60, 90, 3), dtype=np.uint8)
    assert gradcam.overlay(image, np.ones((4, 4)), opacity=1.0)[30, 45].tolist() == [253, 231, 37]


def test_importing_gradcam_does_not_load_tensorflow():
    code = (
        "import sys, numpy as np\nfrom ftgui.core.analysis import gradcam\n"
        "gradcam.overlay(np.zeros((6, 9, 3), np.uint8), np.ones((2, 2)))\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_command_writes_an_overlay_of_the_image_size(trained: Trained, tmp_path: Path):
    out = tmp_path / "cam.png"
    result = ftgui("gradcam", str(trained.run), str(trained.tests[0][0]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Predicted: patch" in result.stdout
    with Image.open(out) as written:
        assert written.size == (WIDTH, HEIGHT) and written.format == "PNG"


def _mismatched_model(tmp_path: Path) -> Path:
    from ftgui.core.model.build import build_model

    path = tmp_path / "three.keras"
    build_model(3, SIZE, "none").save(path)
    return path


def test_bad_input_is_one_line_and_exit_2(trained: Trained, tmp_path: Path, capsys):
    """Each case through the command's `main()` in this process; the first one also through
    `python main.py` (the wiring: exit status and stderr of a real process)."""
    image, out = str(trained.tests[0][0]), str(tmp_path / "cam.png")
    empty_run = tmp_path / "empty_run"
    empty_run.mkdir()
    for name in ("config.json", "dataset_report.json"):
        shutil.copy(trained.run / name, empty_run / name)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 truncated")
    cases = {
        "not a run": ([str(tmp_path), image, "--out", out], "not an ftgui run folder"),
        "no model": ([str(empty_run), image, "--out", out], "holds no model yet"),
        "class": ([str(trained.run), image, "--class", "dog", "--out", out], "patch, plain"),
        "image": ([str(trained.run), str(broken), "--out", out], "Cannot read image"),
        "out": ([str(trained.run), image, "--out", str(tmp_path / "no" / "x.png")], "write"),
        "model": (
            [str(trained.run), image, "--model", str(_mismatched_model(tmp_path)), "--out", out],
            "does not fit this run's model",
        ),
    }
    for number, (case, (args, words)) in enumerate(cases.items()):
        result = ftgui("gradcam", *args) if number == 0 else ftgui_here(capsys, "gradcam", *args)
        assert result.returncode == 2, (case, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ftgui: error: "), (case, result.stderr)
        assert words in lines[0], (case, lines[0])
    assert not Path(out).exists()
