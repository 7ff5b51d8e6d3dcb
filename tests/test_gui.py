"""The window as a person uses it: layer checkboxes, phases, a whole run, stop, close, errors."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest
from PySide6.QtCore import QCoreApplication, Qt

from ftgui.core.child_process import Ready
from ftgui.core.events import RunStarted
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.layer_plan import LayerPlan
from ftgui.core.settings.vgg16 import layer_names
from ftgui.core.training.run_folder import HISTORY_FIELDS, read_history
from ftgui.gui.main_window import MainWindow
from ftgui.gui.shared.app_settings import window_settings
from ftgui.gui.train.layer_table import TRAIN, LayerTableModel

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT_MS = 180_000


@pytest.fixture
def window(qtbot, tmp_path):
    window_settings().clear()  # no recent files or geometry from an earlier test
    win = MainWindow(RunConfig())
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.is_running():
        win.close_when_stopped = True
        win.stop_training()
        qtbot.waitUntil(lambda: not win.is_running(), timeout=RUN_TIMEOUT_MS)


def tiny_run(window: MainWindow, data: Path, out: Path, head: int = 2, finetune: int = 2) -> None:
    """Fill the window as a person would for a quick two-phase run."""
    window.settings_panel.data_edit.setText(str(data))
    window.settings_panel.check_dataset()
    wait_for_dataset_check(window)
    combo = window.settings_panel.weights_combo
    combo.setCurrentIndex(combo.findData("none"))
    window.settings_panel.image_size.setValue(32)
    window.settings_panel.batch_size.setValue(8)
    window.settings_panel.out_edit.setText(str(out))
    for row, epochs in enumerate((head, finetune)):
        window.phase_editor.table.cellWidget(row, 1).setValue(epochs)
        window.phase_editor.table.cellWidget(row, 3).setText("0.001")
        window.phase_editor.table.cellWidget(row, 3).textEdited.emit("0.001")


def wait_for_dataset_check(window: MainWindow) -> None:
    """The dataset field is checked off the GUI thread: wait for its answer."""
    deadline = time.monotonic() + 10
    while window.settings_panel.is_checking() and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.005)
    assert not window.settings_panel.is_checking()


def wait_for_first(window: MainWindow, qtbot, series: str) -> None:
    """Wait until phase 1's curves hold a first point of `series` (batch_x or epoch_x)."""
    phases = lambda: window.curves.timeline.phases  # noqa: E731
    qtbot.waitUntil(
        lambda: bool(phases()) and len(getattr(phases()[0], series)) >= 1, timeout=RUN_TIMEOUT_MS
    )


def test_layer_table_model_passes_qt_model_tester(qtmodeltester):
    model = LayerTableModel(LayerPlan(64, 2, {"block5_conv1"}))
    qtmodeltester.check(model)


def test_ticking_a_checkbox_makes_the_layer_trainable_in_the_selected_phase(window):
    window.phase_editor.select(0)
    model = window.layers_box.model
    row = layer_names().index("block4_conv2")
    assert model.setData(
        model.index(row, TRAIN), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert window.config.phases[0].trainable_layers == ["block4_conv2"]
    assert window.config.phases[1].trainable_layers[0] == "block5_conv1"  # other phase untouched
    model.setData(
        model.index(row, TRAIN), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert window.config.phases[0].trainable_layers == []


def test_each_phase_plan_shows_as_checkboxes(window):
    window.phase_editor.select(1)
    model = window.layers_box.model
    checked = [
        model.layer_name(r)
        for r in range(len(layer_names()))
        if model.data(model.index(r, TRAIN), Qt.ItemDataRole.CheckStateRole)
        == Qt.CheckState.Checked
    ]
    assert checked == ["block5_conv1", "block5_conv2", "block5_conv3", "block5_pool"]
    head_row = len(layer_names())
    assert (
        model.data(model.index(head_row, TRAIN), Qt.ItemDataRole.CheckStateRole)
        == Qt.CheckState.Checked
    )
    assert not model.flags(model.index(head_row, TRAIN)) & Qt.ItemFlag.ItemIsUserCheckable


def test_unfreeze_from_here_emits_one_range_wide_change_and_updates_totals(window, qtbot):
    window.phase_editor.select(0)
    model = window.layers_box.model
    changes = []
    model.dataChanged.connect(lambda first, last, roles: changes.append((first.row(), last.row())))
    model.unfreeze_from_row(layer_names().index("block4_conv1"))
    assert changes == [(0, model.rowCount() - 1)]
    assert window.config.phases[0].trainable_layers == list(
        layer_names()[layer_names().index("block4_conv1") :]
    )
    plan = LayerPlan(150, 2, set(window.config.phases[0].trainable_layers))
    assert f"{plan.trainable_params:,}" in window.layers_box.totals.text()
    assert f"{plan.non_trainable_params:,}" in window.layers_box.totals.text()
    window.layers_box.freeze_button.click()
    assert window.config.phases[0].trainable_layers == []
    assert "2,097,665" in window.layers_box.totals.text()  # the book's figure for the frozen base


def test_phases_can_be_added_reordered_and_removed(window):
    editor = window.phase_editor
    editor.add_button.click()
    assert [p.name for p in window.config.phases] == ["Train classifier", "Fine-tune", "Phase 3"]
    editor.select(2)
    editor.up_button.click()
    assert [p.name for p in window.config.phases][1] == "Phase 3"
    editor.remove_button.click()
    assert len(window.config.phases) == 2


def test_bad_values_show_their_reason_and_disable_start(window, tmp_path):
    window.settings_panel.data_edit.setText(str(tmp_path / "missing"))
    window.settings_panel.check_dataset()
    assert window.settings_panel.data_reason.text().startswith("Checking")
    assert not window.start_button.isEnabled()  # not before the answer
    wait_for_dataset_check(window)
    assert "does not exist" in window.settings_panel.data_reason.text()
    assert not window.start_button.isEnabled()
    window.settings_panel.use_sample()
    assert window.start_button.isEnabled()
    rate = window.phase_editor.table.cellWidget(1, 3)
    rate.setText("fast")
    rate.textEdited.emit("fast")
    assert "'fast' is not" in window.phase_editor.reason.text()
    assert not window.start_button.isEnabled()
    rate.setText("3e-5")
    rate.textEdited.emit("3e-5")
    assert window.start_button.isEnabled() and window.config.phases[1].learning_rate == 3e-5


@pytest.mark.slow
def test_a_whole_run_in_the_preloaded_process_draws_both_phases_lists_skipped_files_and_writes_the_cli_run_folder(  # noqa: E501
    window, qtbot, small_book_dataset, tmp_path
):
    """One run in the window checks the preloaded process (it reports the device, runs, and
    is replaced), the dialog of skipped files, the curves and the run folder."""
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
        "model.keras",
        "test_metrics.json",
    ]
    assert (out / "history.csv").read_text().splitlines()[0] == ",".join(HISTORY_FIELDS)
    assert sorted(p.name for p in (out / "evaluation").iterdir()) == sorted(
        f"{model}-{split}.{suffix}"
        for model in ("final", "best_1_train-classifier", "best_2_fine-tune")
        for split in ("test", "validation")
        for suffix in ("csv", "json")
    )
    assert len(read_history(out)) == 4
    assert "Finished" in window.progress.format()
    assert window.settings_panel.data_edit.isEnabled()
    # the same explicit folder now holds a run: said at once, and Start waits for another folder
    assert "already holds a run" in window.settings_panel.out_reason.text()
    assert not window.start_button.isEnabled()
    assert len(window.curves.timeline.phases) == 2  # the curves are still there
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
    junk = tmp_path / "junk.h5"
    h5py.File(junk, "w").close()  # HDF5, so the window lets it through; holds no VGG16
    tiny_run(window, small_book_dataset, tmp_path / "run")
    combo = window.settings_panel.weights_combo
    combo.setCurrentIndex(combo.findData("file"))
    window.settings_panel.weights_edit.setText(str(junk))
    window.start_training()
    qtbot.waitUntil(lambda: not window.is_running(), timeout=RUN_TIMEOUT_MS)
    assert window.last_error is not None
    assert "does not fit the VGG16 conv base" in window.last_error.text()
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
def test_run_folder_opens_into_the_plots_and_plots_export_as_png(window, qtbot, cats_run, tmp_path):
    """The shared finished run (conftest `cats_run`: 1 + 1 epochs, its data beside it)."""
    window.files.open_run(str(cats_run))  # read off the GUI thread
    qtbot.waitUntil(lambda: len(window.curves.timeline.phases) == 2, timeout=10_000)
    assert [len(p.epoch_x) for p in window.curves.timeline.phases] == [1, 1]
    config = RunConfig.load(cats_run / "config.json")
    assert [p.epochs for p in window.curves.timeline.phases] == [p.epochs for p in config.phases]
    assert window.settings_panel.data_edit.text() == str(cats_run.parent / "data")
    assert window.files.export_plots(str(tmp_path / "curves.png"))
    assert (tmp_path / "curves.png").stat().st_size > 5000
    assert str(cats_run) in window.files.recent()


def test_configuration_saves_and_opens_with_every_setting(window, tmp_path):
    window.settings_panel.use_sample()
    window.phase_editor.add_button.click()
    window.files.save_config(str(tmp_path / "c.json"))
    saved = RunConfig.load(tmp_path / "c.json")
    assert saved.sample and len(saved.phases) == 3 and saved.image_size == 32
    other = MainWindow(RunConfig())
    assert other.files.open_config(str(tmp_path / "c.json"))
    assert other.current_config() == saved
    other.deleteLater()


def test_a_bad_config_file_shows_its_reason(window, tmp_path):
    (tmp_path / "c.json").write_text('{"image_size": "huge"}')
    assert not window.files.open_config(str(tmp_path / "c.json"))
    assert "must be a whole number" in window.last_error.text()


@pytest.mark.slow
def test_the_window_opens_without_tensorflow_and_with_the_flags_given(tmp_path, book_dataset):
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from ftgui.app import gui_parser\n"
        "from ftgui.cli.args import config_from_args\n"
        "from ftgui.gui.main_window import MainWindow\n"
        "app = QApplication([])\n"
        f"args = gui_parser().parse_args(['--data', {str(book_dataset)!r}, '--image-size', '64',"
        " '--epochs-finetune', '7'])\n"
        "w = MainWindow(config_from_args(args)); w.show(); app.processEvents()\n"
        "while w.settings_panel.is_checking(): app.processEvents()\n"
        "assert 'tensorflow' not in sys.modules\n"
        "assert w.windowTitle().startswith('ftgui')\n"
        "print(w.settings_panel.image_size.value(), w.phase_editor.table.cellWidget(1, 1).value(),"
        " w.settings_panel.data_reason.text())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("64 7 ✓ 2 classes (cats, dogs)")


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


@pytest.mark.slow
def test_file_import_fills_in_the_imported_dataset(window, qtbot, tmp_path):
    import zipfile

    from PIL import Image

    archive = tmp_path / "train.zip"
    image = tmp_path / "x.jpg"
    Image.new("RGB", (16, 16), "white").save(image)
    with zipfile.ZipFile(archive, "w") as zf:
        for n in range(2000):
            for animal in ("cat", "dog"):
                zf.write(image, f"train/{animal}.{n}.jpg")
    window.files.import_kaggle(str(archive), str(tmp_path / "dogs-vs-cats"))
    qtbot.waitUntil(
        lambda: window.settings_panel.data_edit.text() == str(tmp_path / "dogs-vs-cats"),
        timeout=60_000,
    )
    wait_for_dataset_check(window)
    assert "2000 train, 1000 validation, 1000 test" in window.settings_panel.data_reason.text()


def test_nothing_in_the_phase_editor_changes_while_a_run_uses_it(window):
    editor = window.phase_editor
    editor.set_running(True)
    editor.select(1)  # the run moves on to phase 2: the selection follows, nothing unlocks
    buttons = (editor.add_button, editor.remove_button, editor.up_button, editor.down_button)
    assert not any(button.isEnabled() for button in buttons)
    assert not any(editor.table.cellWidget(1, column).isEnabled() for column in (1, 2, 3))
    editor.load(editor.phases, select=1)  # e.g. a resumed run's settings shown
    assert not editor.table.cellWidget(0, 1).isEnabled() and not editor.add_button.isEnabled()
    editor.set_running(False)
    assert editor.add_button.isEnabled() and editor.table.cellWidget(1, 1).isEnabled()
    assert editor.remove_button.isEnabled() and editor.up_button.isEnabled()


def test_both_plots_star_the_epoch_saved_as_the_best_model():
    from ftgui.core.views.timeline import Timeline

    series = Timeline().start_phase("Fine-tune", 3)
    for epoch, (loss, accuracy) in enumerate(((0.5, 0.6), (0.3, 0.7), (0.3, 0.9))):
        series.add_epoch(epoch, {"val_loss": loss, "val_accuracy": accuracy})
    assert series.best_epoch() == 1  # the first lowest loss, not the highest accuracy
