"""Failures during a run end it with one sentence and keep every finished epoch."""

import errno
import shutil
from pathlib import Path

import pytest

from ftgui.core.data.scan import ScanReport
from ftgui.core.errors import UserError
from ftgui.core.events import EpochEnded
from ftgui.core.run.whole_run import run
from ftgui.core.settings.config import RunConfig
from ftgui.core.training import run_folder
from ftgui.core.training.run_folder import RunFolder, read_history


def _config(data, out, **changes) -> RunConfig:
    config = RunConfig(
        data_dir=str(data), out_dir=str(out), weights="none", image_size=32, batch_size=8
    )
    config.phases[0].epochs, config.phases[1].epochs = 3, 1
    for key, value in changes.items():
        setattr(config, key, value)
    return config


@pytest.mark.slow
def test_a_dataset_folder_removed_mid_run_neither_ends_nor_breaks_it(small_book_dataset, tmp_path):
    """Training reads the images decoded in the check; only the scoring after the run lists
    the folder again, and says in one sentence that it could not."""
    from ftgui.core.events import Status

    statuses = []

    def remove_after_first_epoch(event):
        if isinstance(event, EpochEnded) and small_book_dataset.exists():
            shutil.rmtree(small_book_dataset)
        if isinstance(event, Status):
            statuses.append(event.text)

    config = _config(small_book_dataset, tmp_path / "run", cache_features=False)
    ended = run(config, remove_after_first_epoch)
    assert not ended.stopped and len(read_history(tmp_path / "run")) == 4
    assert ended.test_metrics is not None  # the test split's pixels were decoded in the check
    skipped = [text for text in statuses if text.startswith("Evaluation skipped: ")]
    assert len(skipped) == 1 and "no longer exists" in skipped[0], statuses


@pytest.mark.slow
def test_a_full_disk_is_one_sentence_and_history_so_far_stays(
    small_book_dataset, tmp_path, monkeypatch
):
    real_open = open
    rows = []

    def open_until_full(path, mode="r", *args, **kwargs):
        if str(path).endswith("history.csv") and "a" in mode:
            rows.append(path)
            if len(rows) > 1:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(run_folder, "open", open_until_full, raising=False)
    with pytest.raises(UserError, match=f"The disk holding {tmp_path / 'run'} is full"):
        run(_config(small_book_dataset, tmp_path / "run"), lambda e: None)
    monkeypatch.undo()
    assert len(read_history(tmp_path / "run")) == 1


@pytest.mark.slow
def test_a_full_disk_while_checkpointing_is_one_sentence(small_book_dataset, tmp_path, monkeypatch):
    from ftgui.core.training import checkpoint

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.np, "savez", no_space)
    with pytest.raises(UserError, match=f"The disk holding {tmp_path / 'run'} is full"):
        run(_config(small_book_dataset, tmp_path / "run"), lambda e: None)
    monkeypatch.undo()
    assert not list((tmp_path / "run").glob(".*partial*"))  # no half-written file left behind


RUN_FILES = {
    "config.json": lambda folder: RunFolder(folder).write_config(RunConfig(data_dir="d")),
    "test_metrics.json": lambda folder: RunFolder(folder).write_test_metrics(
        {"loss": 0.5, "accuracy": 0.75}
    ),
    "dataset_report.json": lambda folder: ScanReport(str(folder), ["a", "b"]).save(folder),
}


@pytest.mark.parametrize("name", RUN_FILES)
def test_a_full_disk_while_writing_a_run_file_is_one_sentence_and_keeps_the_old_file(
    tmp_path, monkeypatch, name
):
    RUN_FILES[name](tmp_path)
    before = (tmp_path / name).read_bytes()
    real_write_text = Path.write_text

    def half_then_full(self, data, *args, **kwargs):
        real_write_text(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_full)
    with pytest.raises(UserError) as failed:
        RUN_FILES[name](tmp_path)
    monkeypatch.undo()
    assert str(failed.value) == (
        f"The disk holding {tmp_path} is full; free some space and start again "
        f"(every finished epoch is in history.csv)."
    )
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no half-written file left behind
    assert (tmp_path / name).read_bytes() == before


@pytest.mark.slow
def test_out_of_memory_is_one_sentence_and_the_run_can_start_again(
    small_book_dataset, tmp_path, monkeypatch
):
    import keras
    import tensorflow as tf

    from ftgui.core.training.resume import load_run_config

    def exhausted(self, *args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    monkeypatch.setattr(keras.Model, "fit", exhausted)
    with pytest.raises(
        UserError,
        match=r"^Out of memory while training; use a smaller batch size or image size\.$",
    ):
        run(_config(small_book_dataset, tmp_path / "run"), lambda e: None)
    monkeypatch.undo()
    ended = run(load_run_config(tmp_path / "run"), lambda e: None, resume=True)
    assert not ended.stopped
    assert len(read_history(tmp_path / "run")) == 4
