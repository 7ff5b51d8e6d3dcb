"""Runs in the window: the preloaded training process, stop and resume, closing mid-run,
errors in the run and a training process that dies."""

from __future__ import annotations

import h5py
import pytest
from PySide6.QtCore import Qt

from ftgui.core.child_process import Ready
from ftgui.core.events import RunStarted, Status
from ftgui.core.training.run_folder import HISTORY_FIELDS, read_history
from ftgui.gui.train.layer_table import TRAIN
from tests.gui_window import RUN_TIMEOUT_MS, tiny_run, wait_for_first


@pytest.mark.slow
def test_a_whole_run_in_the_preloaded_process_draws_both_phases_lists_skipped_files_and_writes_the_cli_run_folder(  # noqa: E501
    window, qtbot, small_book_dataset, tmp_path
):
    """One run in the window checks the preloaded process (it reports the device, runs, and
    is replaced), the dialog of skipped files, the curves, the run folder and the summary of
    its history the run ends with (once `test_run_summary`'s own run in the window)."""
    window.start_preloading()
    ready = []
    window.runs.subscribe(ready.append, Ready)
    qtbot.waitUntil(lambda: bool(ready), timeout=RUN_TIMEOUT_MS)
    assert window.status.device_label.text() == ready[0].device
    warm = window.runs.standby
    broken = small_book_dataset / "train" / "cats" / "broken.jpg"
    broken.write_bytes(b"")
    out = tmp_path / "gui-run"
    tiny_run(window, small_book_dataset, out)
    started = []
    window.runs.subscribe(started.append, RunStarted)
    assert window.start_button.isEnabled(), window.problems()
    window.start_button.click()
    assert window.runs.worker is warm[1] and window.runs.standby is None
    assert window.is_running() and not window.settings_panel.data_edit.isEnabled()
    assert (
        not window.layers_box.model.flags(window.layers_box.model.index(0, TRAIN))
        & Qt.ItemFlag.ItemIsUserCheckable
    )
    qtbot.waitUntil(lambda: not window.is_running(), timeout=RUN_TIMEOUT_MS)
    assert window.last_error is None
    box = window.dataset_report.box
    assert box.text().startswith("1 files cannot be used and were skipped")
    assert box.detailedText() == f"{broken}: empty file"
    box.accept()
    for metric in ("loss", "accuracy"):
        points = window.curves.curve_points(metric)
        assert len(points) == 2 and all(n > 0 for n in points), (metric, points)
    phases = window.curves.timeline.phases
    assert [len(p.epoch_x) for p in phases] == [2, 2]
    assert phases[1].epoch_x.view()[0] == 3.0  # one continuous timeline across phases
    assert sorted(p.name for p in out.iterdir()) == [
        "best_1_train-classifier.keras",
        "best_2_fine-tune.keras",
        "config.json",
        "dataset_report.json",
        "evaluation",
        "history.csv",
        "layer_health.csv",
        "model.keras",
        "test_metrics.json",
    ]
    assert (out / "history.csv").read_text().splitlines()[0] == ",".join(HISTORY_FIELDS)
    models = ("final", "best_1_train-classifier", "best_2_fine-tune")
    assert sorted(p.name for p in (out / "evaluation").iterdir()) == sorted(
        [
            *(f"{m}-{split}.{suffix}" for m in models for split in ("test", "validation")
              for suffix in ("csv", "json")),
            *(f"{m}-calibration.json" for m in models),
        ]
    )  # fmt: skip
    assert len(read_history(out)) == 4
    assert "Finished" in window.progress.format()
    assert window.settings_panel.data_edit.isEnabled()
    # the same explicit folder now holds a run: said at once, and Start waits for another folder
    assert "already holds a run" in window.settings_panel.out_reason.text()
    assert not window.start_button.isEnabled()
    assert len(window.curves.timeline.phases) == 2  # the curves are still there
    summary = window.summary
    assert summary.isVisible() and summary.folder.toolTip() == str(out)
    head = [row for row in read_history(out) if row["phase"] == 1]
    best = min(head, key=lambda row: (row["val_loss"], row["epoch"]))
    assert summary.cell_text(1, 1) == f"{best['epoch']} of 2"
    assert summary.cell_text(1, 3) == f"{best['val_loss']:.4f}"
    assert summary.test.text().startswith("accuracy ")
    assert not summary.isModal()  # the summary does not block the window
    window.settings_panel.out_edit.setText(str(tmp_path / "next-run"))  # a new folder: Start
    assert window.start_button.isEnabled()
    assert window.status.device_label.text() == started[0].device  # "CPU only" or the GPU
    standby = window.runs.standby
    assert standby is not None and standby[1] is not warm[1]  # ready for the next
    window.close()
    assert not window.isVisible() and window.runs.standby is None
    assert window.last_error is None


@pytest.mark.slow
def test_stop_keeps_finished_epochs_and_file_resume_continues_the_run(
    window, qtbot, book_dataset, tmp_path
):
    run_dir = tmp_path / "run"
    tiny_run(window, book_dataset, run_dir, head=6, finetune=1)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # Start
    assert window.is_running()
    wait_for_first(window, qtbot, "epoch_x")
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # Stop
    assert "Stopping at the end of this batch" in window.progress.format()
    qtbot.waitUntil(lambda: not window.is_running(), timeout=RUN_TIMEOUT_MS)
    assert 1 <= len(read_history(run_dir)) < 6
    assert "Stopped: every finished epoch is kept (File → Resume run…" in window.progress.format()
    window.curves.clear()

    window.files.resume_run(str(run_dir))  # checked off the GUI thread, then continued
    qtbot.waitUntil(window.is_running, timeout=10_000)  # a new training process takes over
    qtbot.waitUntil(lambda: not window.is_running(), timeout=RUN_TIMEOUT_MS)
    rows = read_history(run_dir)
    assert [(r["phase"], r["epoch"]) for r in rows] == [(1, e) for e in range(1, 7)] + [(2, 1)]
    assert [len(p.epoch_x) for p in window.curves.timeline.phases] == [6, 1]  # redrawn
    assert window.progress.format().startswith("Finished")
    assert window.settings_panel.out_edit.text() == ""  # Start now makes a new run

    window.last_error = None
    window.files.resume_run(str(run_dir))
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=10_000)
    assert "already finished every phase" in window.last_error.text()
    assert not window.is_running()
    window.last_error.accept()
    assert window.start_button.isEnabled()


@pytest.mark.slow
def test_closing_mid_run_stops_at_the_batch_end_and_exits_cleanly(
    window, qtbot, qtlog, small_book_dataset, tmp_path
):
    tiny_run(window, small_book_dataset, tmp_path / "run", head=30, finetune=1)
    window.confirm_stop_and_quit = lambda: True
    window.start_training()
    wait_for_first(window, qtbot, "epoch_x")
    thread = window.runs.thread
    window.close()
    assert window.isVisible()  # waits for the batch end, not the GUI thread
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RUN_TIMEOUT_MS)
    assert thread is not None and thread.isFinished()
    assert len(read_history(tmp_path / "run")) >= 1
    assert (tmp_path / "run" / "model.keras").exists()
    assert not [r for r in qtlog.records if "Destroyed while thread" in r.message]


@pytest.mark.slow
def test_an_error_in_the_worker_shows_a_dialog_and_the_window_stays_usable(
    window, qtbot, small_book_dataset, tmp_path
):
    """The failed run's reason is the dialog's and the progress line's, and no status line the
    run showed before it failed is left (once also `test_gui_first_hour`'s own failed run)."""
    junk = tmp_path / "junk.h5"
    h5py.File(junk, "w").close()  # HDF5, so the window lets it through; holds no VGG16
    statuses: list[str] = []
    window.runs.subscribe(lambda event: statuses.append(event.text), Status)
    tiny_run(window, small_book_dataset, tmp_path / "run")
    combo = window.settings_panel.weights_combo
    combo.setCurrentIndex(combo.findData("file"))
    window.settings_panel.weights_edit.setText(str(junk))
    window.start_training()
    qtbot.waitUntil(lambda: not window.is_running(), timeout=RUN_TIMEOUT_MS)
    assert window.last_error is not None
    assert "does not fit the VGG16 conv base" in window.last_error.text()
    assert statuses  # the run said what it was doing before it failed ...
    assert "does not fit the VGG16 conv base" in window.progress.format()
    shown = [window.status.message.full_text(), window.progress.format(), window.progress.text()]
    assert not [text for text in shown if text in statuses]  # ... and none of it is left
    window.last_error.accept()
    assert window.start_button.isEnabled()


@pytest.mark.slow
def test_an_unexpected_error_in_the_training_process_shows_its_traceback(window, qtbot):
    from ftgui.core.child_process import Failed
    from ftgui.core.run.training_process import Finished, TrainingProcess

    child = TrainingProcess()  # a real child, as the window starts it (not in this process)
    child._commands.send(42)  # not a (config, resume) pair: a bug, not bad input
    received: list[object] = []
    while not received or not isinstance(received[-1], Finished):
        message = child.receive(timeout=60)
        assert message is not None, "the training process said nothing for a minute"
        received.append(message)
    assert child.exit_code() == 0
    failed = next(m for m in received if isinstance(m, Failed))
    assert failed.reason.startswith("Training failed: TypeError")
    assert failed.details.startswith("Traceback (most recent call last)")
    window.runs.errored.emit(failed.reason, failed.details)  # as the worker forwards it
    assert window.last_error.text() == failed.reason
    assert window.last_error.detailedText() == failed.details
    window.last_error.accept()


@pytest.mark.slow
def test_a_training_process_that_dies_gets_a_dialog_and_the_window_recovers(
    window, qtbot, small_book_dataset, tmp_path
):
    tiny_run(window, small_book_dataset, tmp_path / "run", head=30, finetune=1)
    window.start_training()
    wait_for_first(window, qtbot, "batch_x")
    window.runs.worker.process.process.kill()
    qtbot.waitUntil(lambda: not window.is_running(), timeout=RUN_TIMEOUT_MS)
    assert "The training process ended unexpectedly (exit code -9)" in window.last_error.text()
    window.last_error.accept()
    assert window.start_button.isEnabled()
