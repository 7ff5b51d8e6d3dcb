"""Importing Kaggle's Dogs vs Cats train.zip into the book's layout."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from ftgui.core.data.dataset import find_dataset
from ftgui.core.data.kaggle import import_dogs_vs_cats
from ftgui.core.errors import UserError
from tests.commands import ftgui


@pytest.fixture
def train_zip(tmp_path):
    """A miniature train.zip: train/cat.N.jpg and train/dog.N.jpg, N = 0…11, in shuffled order."""
    path = tmp_path / "train.zip"
    rng = np.random.default_rng(3)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(buffer, "JPEG")
    with zipfile.ZipFile(path, "w") as zf:
        for n in rng.permutation(12):
            for animal in ("cat", "dog"):
                zf.writestr(f"train/{animal}.{n}.jpg", buffer.getvalue())
    return path


def test_the_book_split_takes_the_lowest_numbers_first(train_zip, tmp_path):
    out = tmp_path / "cats and dogs ü"
    counts = import_dogs_vs_cats(train_zip, out, {"train": 4, "validation": 2, "test": 2})
    assert counts == {"train": 8, "validation": 4, "test": 4}
    assert sorted(p.name for p in (out / "train" / "cats").iterdir()) == [
        "cat.0.jpg",
        "cat.1.jpg",
        "cat.2.jpg",
        "cat.3.jpg",
    ]
    assert sorted(p.name for p in (out / "test" / "dogs").iterdir()) == ["dog.6.jpg", "dog.7.jpg"]
    dataset = find_dataset(out)
    assert dataset.class_names == ["cats", "dogs"]
    assert (len(dataset.train), len(dataset.validation), len(dataset.test)) == (8, 4, 4)


def test_too_few_images_for_the_split_is_one_sentence(train_zip, tmp_path):
    with pytest.raises(UserError, match="has 12 cat images but the split needs 2000"):
        import_dogs_vs_cats(train_zip, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_command_line_imports_and_refuses_bad_archives(train_zip, tmp_path):
    result = ftgui(
        "import-kaggle",
        str(train_zip),
        str(tmp_path / "data"),
        "--train",
        "3",
        "--validation",
        "2",
        "--test",
        "1",
    )
    assert result.returncode == 0, result.stderr
    assert "Imported 6 train, 4 validation, 2 test images" in result.stdout
    (tmp_path / "fake.zip").write_text("not a zip")
    bad = ftgui("import-kaggle", str(tmp_path / "fake.zip"), str(tmp_path / "x"))
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"ftgui: error: {tmp_path / 'fake.zip'} is not a zip archive; pass Kaggle's train.zip."
    ]
    taken = ftgui("import-kaggle", str(train_zip), str(tmp_path / "data"))
    assert taken.returncode == 2 and "is not empty" in taken.stderr
