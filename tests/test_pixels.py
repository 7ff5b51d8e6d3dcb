"""Each image is decoded once, in the image check, the way every reader of images decodes it."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from ftgui.core.data import pixels as pixels_module
from ftgui.core.data import scan
from ftgui.core.data.dataset import find_dataset
from ftgui.core.data.pixels import decode_pixels
from ftgui.core.settings.config import RunConfig

ROOT = Path(__file__).resolve().parents[1]


def _photo(path: Path, width: int = 2048, height: int = 1536) -> Path:
    """A large JPEG with detail at every scale (gradients and noise)."""
    rng = np.random.default_rng(5)
    ramp = np.linspace(0, 255, width, dtype=np.float32)
    base = np.broadcast_to(ramp, (height, width))[..., None] * np.array([1.0, 0.6, 0.3])
    noisy = base + rng.normal(0, 20, (height, width, 1))
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(path, quality=90)
    return path


@pytest.fixture
def decoded_sizes(monkeypatch):
    """The sizes at which JPEGs are actually decoded (after any DCT scaling)."""
    sizes = []
    load = JpegImagePlugin.JpegImageFile.load

    def spy(self):
        sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    return sizes


def test_a_large_jpeg_is_decoded_at_the_smallest_scale_that_covers_the_target(
    tmp_path, decoded_sizes, monkeypatch
):
    photo = _photo(tmp_path / "photo.jpg")
    small = decode_pixels(str(photo), 64)
    assert small.shape == (64, 64, 3) and small.dtype == np.uint8
    assert set(decoded_sizes) == {(256, 192)}  # 1/8 scale: both sides still >= 64
    assert decode_pixels(str(photo), 300).shape == (300, 300, 3)
    assert decoded_sizes[-1] == (512, 384)  # 1/4: 1/8 would be 192 px high, under 300
    monkeypatch.setattr(pixels_module, "REDUCED_SCALE", False)
    whole = decode_pixels(str(photo), 64)
    assert decoded_sizes[-1] == (2048, 1536)
    difference = np.abs(small.astype(np.float32) - whole.astype(np.float32))
    assert 0 < difference.mean() < 2.0  # a slightly different filter, the same picture


def test_every_mode_decodes_to_rgb_pixels_of_the_target_size(tmp_path):
    for mode, suffix in (("L", "png"), ("RGBA", "png"), ("P", "png"), ("CMYK", "jpg")):
        path = tmp_path / f"{mode}.{suffix}"
        Image.new(mode, (40, 30)).save(path)
        assert decode_pixels(str(path), 24).shape == (24, 24, 3)


def test_a_decompression_bomb_is_one_reason_not_an_exception(tmp_path, monkeypatch):
    photo = _photo(tmp_path / "huge.jpg", 512, 512)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # > 2× over the limit: Pillow refuses
    assert scan.check_image(str(photo)).startswith("too many pixels to decode safely")


def test_the_check_keeps_the_pixels_of_usable_images_in_split_order(book_dataset):
    (book_dataset / "train" / "cats" / "empty.jpg").write_bytes(b"")
    dataset = find_dataset(book_dataset)
    decode = scan.DecodeInto(24, 2**30, book_dataset / "unused")
    store = scan.scan_dataset(dataset, decode=decode).pixels
    assert not store.on_disk and len(store.array) == 48
    for name in ("train", "validation", "test"):
        files = getattr(dataset, name).files
        expected = np.stack([decode_pixels(path, 24) for path in files])
        np.testing.assert_array_equal(store.split(name), expected)
        assert np.shares_memory(store.of(files), store.array)  # a whole split: a view
    picked = [dataset.test.files[3], dataset.train.files[0]]
    np.testing.assert_array_equal(store.of(picked), [store.array[36 + 3], store.array[0]])
    assert store.of(["elsewhere.jpg"]) is None
    assert store.describe() == "48 images decoded once at 24×24: 81.0 KB in RAM"


def test_decoded_images_beyond_the_budget_go_to_a_file_that_is_deleted_after(book_dataset):
    dataset = find_dataset(book_dataset)
    folder = book_dataset.parent / "cache"
    store = scan.scan_dataset(dataset, decode=scan.DecodeInto(24, 1000, folder)).pixels
    assert store.on_disk and store.describe().endswith(f"81.0 KB on disk in {folder}")
    first = decode_pixels(dataset.validation.files[0], 24)
    np.testing.assert_array_equal(store.split("validation")[0], first)
    store.release()
    assert list(folder.iterdir()) == []


def test_the_pipeline_over_files_reads_the_same_pixels(book_dataset):
    from ftgui.core.data.pipeline import make_dataset

    split = find_dataset(book_dataset).validation
    x, _ = next(iter(make_dataset(split, 24, len(split), binary=True)))
    np.testing.assert_array_equal(x.numpy(), [decode_pixels(p, 24) for p in split.files])


def _config(data, out, **changes) -> RunConfig:
    config = RunConfig(
        data_dir=str(data), out_dir=str(out), weights="none", image_size=32, batch_size=8, seed=3
    )
    config.phases[0].epochs, config.phases[1].epochs = 1, 2
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def test_a_run_that_fails_in_its_check_leaves_no_folder_behind(book_dataset, tmp_path):
    from ftgui.core.errors import UserError
    from ftgui.core.run.whole_run import run

    for path in (book_dataset / "train" / "dogs").iterdir():
        path.write_bytes(b"")  # no usable dog: the check refuses the dataset
    config = _config(book_dataset, tmp_path / "never", cache_budget_mb=0)
    with pytest.raises(UserError, match="No usable training image of class 'dogs'"):
        run(config, lambda e: None)
    assert not (tmp_path / "never").exists()


@pytest.mark.slow
def test_the_check_decodes_in_processes_while_tensorflow_loads(small_book_dataset, tmp_path):
    """In a fresh process (TensorFlow not yet imported) the check forks its decoding
    processes, then starts importing TensorFlow on another thread while they decode; the
    run goes on normally, its pixels the same as decoded here."""
    code = f"""
import multiprocessing, sys, threading
from ftgui.core.data import scan
from ftgui.core.run import whole_run
from ftgui.core.training import image_check

seen = []
start_import = image_check.import_in_background
def spy():
    seen.append((len(multiprocessing.active_children()), "tensorflow" in sys.modules))
    return start_import()
image_check.import_in_background = spy
pixels = []
keep = scan.scan_dataset
def keep_pixels(*args, **kwargs):
    report = keep(*args, **kwargs)
    pixels.append(report.pixels.array.copy())
    return report
image_check.scan_dataset = keep_pixels
from ftgui.core.settings.config import RunConfig
config = RunConfig(data_dir={str(small_book_dataset)!r}, out_dir={str(tmp_path / "run")!r},
                   weights="none", image_size=32, batch_size=8)
config.phases = config.phases[:1]  # one phase of one epoch: the check is what is tested
config.phases[0].epochs = 1
ended = whole_run.run(config, lambda e: None)
import numpy
numpy.save({str(tmp_path / "pixels.npy")!r}, pixels[0])
print(seen, ended.stopped, "keras" in sys.modules)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    workers = min(os.cpu_count() or 1, 8)
    assert result.stdout.split("]")[0] == f"[({workers}, False)", result.stdout
    assert result.stdout.split()[-2:] == ["False", "True"]
    assert "cuda" not in result.stderr.lower()  # TensorFlow's chatter stays hidden
    dataset = find_dataset(small_book_dataset)
    files = dataset.train.files + dataset.validation.files + dataset.test.files
    expected = np.stack([decode_pixels(path, 32) for path in files])
    np.testing.assert_array_equal(np.load(tmp_path / "pixels.npy"), expected)


def test_grad_cam_reads_the_image_as_training_does(tmp_path):
    from ftgui.core.analysis.gradcam import read_image

    photo = _photo(tmp_path / "photo.jpg", 640, 480)
    original, model_input = read_image(photo, 48)
    assert original.shape == (480, 640, 3)
    np.testing.assert_array_equal(model_input, decode_pixels(str(photo), 48).astype(np.float32))
