"""Both dataset layouts, a stratified split, and the errors for unusable folders."""

import pytest

from ftgui.core.data.dataset import find_dataset
from ftgui.core.data.sample import ensure_sample_dataset
from ftgui.core.errors import UserError
from tests.images import write_images


def test_book_layout_reads_train_validation_and_test(book_dataset):
    dataset = find_dataset(book_dataset)
    assert dataset.layout == "book"
    assert dataset.class_names == ["cats", "dogs"]
    assert (len(dataset.train), len(dataset.validation), len(dataset.test)) == (24, 12, 12)
    assert dataset.train.counts(2) == [12, 12]


def test_class_folders_are_split_per_class_so_validation_has_every_class(folder_dataset):
    dataset = find_dataset(folder_dataset, validation_split=0.2, seed=3)
    assert dataset.layout == "folders"
    assert dataset.validation.counts(3) == [2, 2, 2]
    assert dataset.train.counts(3) == [8, 8, 8]
    assert not set(dataset.train.files) & set(dataset.validation.files)
    again = find_dataset(folder_dataset, validation_split=0.2, seed=3)
    assert again.validation.files == dataset.validation.files


def test_hidden_files_and_other_files_are_ignored(folder_dataset):
    (folder_dataset / "a" / ".DS_Store").write_bytes(b"\0")
    (folder_dataset / "a" / "notes.txt").write_text("hello")
    assert (
        len(find_dataset(folder_dataset).train) + len(find_dataset(folder_dataset).validation) == 30
    )


def test_missing_folder(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        find_dataset(tmp_path / "nope")


def test_folder_without_class_folders(tmp_path):
    write_images(tmp_path, 0, 2)
    with pytest.raises(UserError, match="has no class folders"):
        find_dataset(tmp_path)


def test_a_single_class_is_refused(tmp_path):
    write_images(tmp_path / "only", 0, 3)
    with pytest.raises(UserError, match="only one class folder \\('only'\\)"):
        find_dataset(tmp_path)


def test_class_folders_without_images(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "readme.txt").write_text("no images here")
    with pytest.raises(UserError, match="no images"):
        find_dataset(tmp_path)


def test_book_layout_without_validation_folder(tmp_path):
    write_images(tmp_path / "train" / "a", 0, 2)
    write_images(tmp_path / "train" / "b", 1, 2)
    with pytest.raises(UserError, match="no validation/ folder"):
        find_dataset(tmp_path)


def test_sample_dataset_is_real_digits_in_the_book_layout():
    root = ensure_sample_dataset()
    dataset = find_dataset(root)
    assert dataset.class_names == [str(d) for d in range(10)]
    assert len(dataset.train) + len(dataset.validation) + len(dataset.test) == 1797
    assert min(dataset.validation.counts(10)) > 0 and min(dataset.test.counts(10)) > 0
    assert ensure_sample_dataset() == root  # second call reuses the files
