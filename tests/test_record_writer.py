"""Epoch records written in the background: announced only once on disk, errors not lost."""

import threading

import pytest

from ftgui.core.errors import UserError
from ftgui.core.events import BatchEnded, EpochEnded
from ftgui.core.run.whole_run import run
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.checkpoint import Checkpoint
from ftgui.core.training.record_writer import RecordWriter
from ftgui.core.training.run_folder import read_history


def test_a_record_is_announced_after_its_write_and_one_is_written_at_a_time():
    writer, log = RecordWriter(), []
    release = threading.Event()

    def slow_write():
        release.wait(5)
        log.append("written 1")

    writer.submit(slow_write, lambda: log.append("announced 1"))
    writer.poll()  # still writing: nothing announced, nothing blocks
    assert log == []
    release.set()
    writer.submit(lambda: log.append("written 2"), lambda: log.append("announced 2"))
    assert log[:2] == ["written 1", "announced 1"]  # the first finished before the second began
    writer.wait()
    assert log == ["written 1", "announced 1", "written 2", "announced 2"]
    writer.wait()  # nothing pending: nothing happens
    assert len(log) == 4


def test_a_failed_write_is_raised_on_the_training_thread_and_not_announced():
    writer, log = RecordWriter(), []

    def full_disk():
        raise UserError("The disk is full.")

    writer.submit(full_disk, lambda: log.append("announced"))
    with pytest.raises(UserError, match="disk is full"):
        writer.wait()
    assert log == []


@pytest.mark.slow
def test_every_epoch_ends_on_disk_and_before_the_next_epochs_first_batch(
    small_book_dataset, tmp_path
):
    out = tmp_path / "run"
    config = RunConfig(
        data_dir=str(small_book_dataset),
        out_dir=str(out),
        weights="none",
        image_size=32,
        batch_size=8,
    )  # whole batches of 8: two per training epoch, each step traced once
    config.phases[0].epochs, config.phases[1].epochs = 2, 3
    seen, stream = [], []

    def listener(event):
        if isinstance(event, (EpochEnded, BatchEnded)):
            stream.append((type(event).__name__, event.phase, event.epoch))
        if isinstance(event, EpochEnded):
            rows = read_history(out)
            checkpoint = Checkpoint.read(out, arrays=False)
            seen.append((event.phase, event.epoch))
            assert (int(rows[-1]["phase"]) - 1, int(rows[-1]["epoch"]) - 1) == seen[-1]
            assert (checkpoint.phase, checkpoint.epochs_done) == (event.phase, event.epoch + 1)

    run(config, listener)
    assert seen == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]
    for phase, epoch in seen:
        ended = stream.index(("EpochEnded", phase, epoch))
        assert ("BatchEnded", phase, epoch + 1) not in stream[:ended], stream
        if epoch + 1 < config.phases[phase].epochs:  # the next epoch's batches follow it
            assert ("BatchEnded", phase, epoch + 1) in stream[ended:]
