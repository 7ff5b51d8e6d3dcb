"""The window as a person uses it: layer checkboxes, phases, settings, opening runs and files
(runs in the window: `test_gui_runs.py`)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.layer_plan import LayerPlan
from ftgui.core.settings.vgg16 import layer_names
from ftgui.gui.main_window import MainWindow
from ftgui.gui.train.layer_table import TRAIN, LayerTableModel
from tests.gui_window import ROOT, wait_for_dataset_check


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
