"""Failures during a run end it with one sentence and keep every finished epoch."""

import errno
import shutil

import pytest

from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig
from ftgui.core.training import run_folder
from ftgui.core.training.events import EpochEnded
from ftgui.core.training.run_folder import read_history
from ftgui.core.training.runner import run


def _config(data, out, **changes) -> RunConfig:
    config = RunConfig(
        data_dir=str(data), out_dir=str(out), weights="none", image_size=32, batch_size=8
    )
    config.phases[0].epochs, config.phases[1].epochs = 3, 1
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def test_a_dataset_folder_removed_mid_run_is_one_sentence(book_dataset, tmp_path):
    def remove_after_first_epoch(event):
        if isinstance(event, EpochEnded) and event.epoch == 0:
            shutil.rmtree(book_dataset)

    with pytest.raises(
        UserError, match="An image file disappeared while training .*put the dataset folder back"
    ):
        run(_config(book_dataset, tmp_path / "run", cache_features=False), remove_after_first_epoch)
    assert len(read_history(tmp_path / "run")) == 1


def test_a_full_disk_is_one_sentence_and_history_so_far_stays(book_dataset, tmp_path, monkeypatch):
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
        run(_config(book_dataset, tmp_path / "run"), lambda e: None)
    monkeypatch.undo()
    assert len(read_history(tmp_path / "run")) == 1


def test_a_full_disk_while_checkpointing_is_one_sentence(book_dataset, tmp_path, monkeypatch):
    from ftgui.core.training import checkpoint

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.np, "savez", no_space)
    with pytest.raises(UserError, match=f"The disk holding {tmp_path / 'run'} is full"):
        run(_config(book_dataset, tmp_path / "run"), lambda e: None)
    monkeypatch.undo()
    assert not list((tmp_path / "run").glob(".*partial*"))  # no half-written file left behind


def test_out_of_memory_is_one_sentence_and_the_run_can_start_again(
    book_dataset, tmp_path, monkeypatch
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
        run(_config(book_dataset, tmp_path / "run"), lambda e: None)
    monkeypatch.undo()
    ended = run(load_run_config(tmp_path / "run"), lambda e: None, resume=True)
    assert not ended.stopped
    assert len(read_history(tmp_path / "run")) == 4
