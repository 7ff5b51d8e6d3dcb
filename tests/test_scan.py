"""Junk files are found before training, skipped, reported, and never end a run."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from ftgui.core.data import scan
from ftgui.core.data.dataset import find_dataset
from ftgui.core.errors import UserError
from ftgui.core.run.whole_run import run
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.run_folder import read_history


def _image(mode: str) -> Image.Image:
    pixels = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    return Image.fromarray(pixels).convert(mode)


@pytest.fixture
def junk(book_dataset):
    """Four unusable files among the cats, named like images."""
    cats = book_dataset / "train" / "cats"
    (cats / "empty.jpg").write_bytes(b"")
    (cats / "notes.png").write_text("this is text, not a picture")
    whole = io.BytesIO()
    _image("RGB").save(whole, "JPEG")
    (cats / "truncated.jpg").write_bytes(whole.getvalue()[:300])
    _image("RGB").save(cats / "tiff_in_disguise.jpg", "TIFF")
    return {
        "empty.jpg": "empty file",
        "notes.png": "not an image",
        "truncated.jpg": "truncated or corrupt",
        "tiff_in_disguise.jpg": "unsupported format",
    }


def test_unusable_files_are_skipped_with_their_reason(book_dataset, junk):
    dataset = find_dataset(book_dataset)
    assert len(dataset.train) == 28
    report = scan.scan_dataset(dataset)
    reasons = {r["path"].rsplit("/", 1)[-1]: r["reason"] for r in report.skipped}
    assert set(reasons) == set(junk)
    for name, reason in junk.items():
        assert reasons[name].startswith(reason)
    assert len(dataset.train) == 24 and report.counts["train"] == [12, 12]
    assert "4 skipped" in report.summary()


def test_converted_formats_are_accepted(book_dataset):
    dogs = book_dataset / "train" / "dogs"
    for mode, fmt, name in (
        ("L", "JPEG", "gray.jpg"),
        ("RGBA", "PNG", "alpha.png"),
        ("P", "PNG", "palette.png"),
        ("CMYK", "JPEG", "cmyk.jpg"),
        ("RGB", "WEBP", "web.webp"),
        ("P", "GIF", "anim.gif"),
        ("RGB", "BMP", "bitmap.bmp"),
    ):
        _image(mode).save(dogs / name, fmt)
    dataset = find_dataset(book_dataset)
    report = scan.scan_dataset(dataset)
    assert report.skipped == [] and report.counts["train"] == [12, 19]


def test_a_rescan_of_an_unchanged_folder_decodes_nothing(book_dataset, junk, monkeypatch):
    scan.scan_dataset(find_dataset(book_dataset))
    monkeypatch.setattr(scan, "check_image", lambda path: pytest.fail(f"decoded {path} again"))
    again = scan.scan_dataset(find_dataset(book_dataset))
    assert again.checked == 0 and len(again.skipped) == 4
    monkeypatch.undo()
    (book_dataset / "train" / "cats" / "empty.jpg").write_bytes(
        (book_dataset / "train" / "cats" / "img_000.jpg").read_bytes()
    )  # repaired
    repaired = scan.scan_dataset(find_dataset(book_dataset))
    assert repaired.checked == 1 and len(repaired.skipped) == 3


def test_small_or_imbalanced_classes_are_warned_about(tmp_path):
    from tests.images import write_images

    write_images(tmp_path / "train" / "few", 0, 3)
    write_images(tmp_path / "train" / "many", 1, 12)
    write_images(tmp_path / "validation" / "many", 1, 2)
    write_images(tmp_path / "test" / "few", 0, 2)
    report = scan.scan_dataset(find_dataset(tmp_path))
    assert "class 'few' has only 3 training images" in report.warnings
    assert "classes are imbalanced (12 vs 3 training images)" in report.warnings
    assert "class 'few' has no validation images" in report.warnings
    assert "class 'many' has no test images" in report.warnings
    assert "class 'few' has no test images" not in report.warnings


def test_a_class_whose_every_file_is_junk_is_refused(tmp_path):
    from tests.images import write_images

    write_images(tmp_path / "good", 0, 4)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.jpg").write_bytes(b"")
    (tmp_path / "bad" / "b.jpg").write_bytes(b"")
    with pytest.raises(UserError, match="No usable training image of class 'bad'"):
        scan.scan_dataset(find_dataset(tmp_path))


@pytest.mark.slow
def test_a_run_over_junk_files_trains_and_saves_the_report(book_dataset, junk, tmp_path):
    config = RunConfig(
        data_dir=str(book_dataset),
        out_dir=str(tmp_path / "run"),
        weights="none",
        image_size=32,
        batch_size=8,
    )
    config.phases[0].epochs = config.phases[1].epochs = 1
    config.cache_features = False  # every epoch decodes the files again
    run(config, lambda e: None)
    assert len(read_history(tmp_path / "run")) == 2
    report = json.loads((tmp_path / "run" / "dataset_report.json").read_text())
    assert len(report["skipped"]) == 4 and report["counts"]["train"] == [12, 12]


def test_a_large_jpeg_checked_at_reduced_scale_is_still_checked_to_its_last_byte(tmp_path):
    """The check decodes big JPEGs at a reduced DCT scale; a cut-off file is still refused."""
    rng = np.random.default_rng(3)
    photo = Image.fromarray(rng.integers(0, 255, (1200, 1600, 3), dtype=np.uint8))
    whole = io.BytesIO()
    photo.save(whole, "JPEG", quality=90)
    data = whole.getvalue()
    (tmp_path / "whole.jpg").write_bytes(data)
    (tmp_path / "cut.jpg").write_bytes(data[: int(len(data) * 0.9)])
    assert scan.check_image(str(tmp_path / "whole.jpg")) is None
    assert scan.check_image(str(tmp_path / "cut.jpg")).startswith("truncated or corrupt")
