"""A second new user's hour in the Train tab: where settings are kept, where dialogs open,
why Start waits, and every clamped value said."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from ftgui.core.settings.config import RunConfig
from ftgui.core.training.run_folder import HISTORY_FIELDS
from ftgui.gui.file_actions import without_used_run_folder
from ftgui.gui.shared.app_settings import SETTINGS_FILE, start_folder, window_settings
from tests import test_window_guidance

window = test_window_guidance.window  # the sample's window, shown


def _finished_run(folder: Path) -> Path:
    """A run folder with one finished epoch and its config.json naming it."""
    folder.mkdir(parents=True)
    row = ",".join("1" for _ in HISTORY_FIELDS)
    (folder / "history.csv").write_text(",".join(HISTORY_FIELDS) + "\n" + row + "\n")
    config = RunConfig(weights="none", sample=True)
    config.out_dir = str(folder)
    config.save(folder / "config.json")
    return folder / "config.json"


def test_window_settings_live_under_ftgui_home_not_qt_s_config_folder(
    window, qtbot, monkeypatch, tmp_path
):
    from ftgui.gui.main_window import MainWindow

    window.files.remember("/some/run")
    home_file = Path(window_settings().fileName())
    assert home_file == Path(os.environ["FTGUI_HOME"]) / SETTINGS_FILE
    monkeypatch.setenv("FTGUI_HOME", str(tmp_path / "trial-home"))
    trial = MainWindow(RunConfig(weights="none"))
    qtbot.addWidget(trial)
    assert trial.files.recent() == []  # a trial home sees none of another home's runs
    trial.files.remember("/trial/run")
    trial.files.settings.sync()
    window.files.settings.sync()
    assert "/trial/run" in (tmp_path / "trial-home" / SETTINGS_FILE).read_text()
    assert "/trial/run" not in home_file.read_text()


def test_file_dialogs_open_in_the_runs_folder_or_home_then_where_that_dialog_last_chose(
    window, monkeypatch, tmp_path
):
    window_settings().clear()
    starts: list[str] = []

    def fake_save(parent, caption, start, *rest):
        starts.append(start)
        return str(tmp_path / "plots" / "curves.png"), "PNG image (*.png)"

    def fake_open(parent, caption, start, *rest):
        starts.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_open)
    (tmp_path / "plots").mkdir()
    window.files.export_plots_dialog()
    window.settings_panel._browse_weights()
    window.files.export_plots_dialog()
    never = (str(Path.cwd()), "", ".")
    assert Path(starts[0]).parent.as_posix() not in never and starts[1] not in never
    assert Path(starts[2]).parent == tmp_path / "plots"  # plots remember their own folder
    assert starts[1] != str(tmp_path / "plots")  # …and the weights dialog does not take it
    assert start_folder("weights") == starts[1]


def test_opening_a_run_s_config_leaves_the_run_folder_empty(window, tmp_path):
    config_path = _finished_run(tmp_path / "runs" / "r1")
    assert window.files.open_config(str(config_path))
    assert window.settings_panel.out_edit.text() == ""
    assert not window.settings_panel.out_reason.problem
    config = RunConfig.load(config_path)
    assert without_used_run_folder(config).out_dir is None  # python main.py --config RUN/…
    fresh = RunConfig(weights="none", sample=True)
    fresh.out_dir = str(tmp_path / "new")
    assert without_used_run_folder(fresh).out_dir == str(tmp_path / "new")


def test_a_disabled_start_says_why_beside_it(window, tmp_path):
    used = _finished_run(tmp_path / "used").parent
    window.settings_panel.out_edit.setText(str(used))
    assert not window.start_button.isEnabled()
    line = window.page.start_reason
    assert line.isVisibleTo(window) and line.text().startswith("Start waits: ")
    assert "already holds a run" in line.text() and "Run folder" in line.text()
    start_box = window.start_button.mapTo(window, window.start_button.rect().bottomLeft())
    assert abs(line.mapTo(window, line.rect().topLeft()).y() - start_box.y()) < 60
    window.settings_panel.out_edit.setText("")
    assert not line.isVisibleTo(window)


@pytest.mark.parametrize("where", ["batch_size", "epochs"])
def test_a_value_clamped_when_start_is_pressed_is_said_and_nothing_starts(
    window, qtbot, monkeypatch, where
):
    started = []
    monkeypatch.setattr(window.runs, "start", lambda *args: started.append(args))
    if where == "epochs":
        spin, typed, clamped = window.phase_editor.table.cellWidget(0, 1), "0", 1
    else:
        spin, typed, clamped = window.settings_panel.batch_size, "99999", 4096
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), typed)
    assert spin.hasFocus()
    window.start_training()  # Ctrl+R, still typing: the spin box never lost focus
    assert started == []
    assert spin.value() == clamped
    note = window.page.start_reason.text()
    assert f"{typed} is outside" in note and f"set to {clamped}" in note
    title = "Batch size" if where == "batch_size" else "Phase 1"
    assert note.startswith(title)
    window.start_training()  # pressed again: the value said is the value used
    assert len(started) == 1


def test_every_clamp_is_said_however_the_typed_text_was_taken(window, qtbot):
    spin = window.settings_panel.batch_size
    notes = []
    spin.out_of_range.connect(notes.append)
    spin.lineEdit().setText("99999")
    spin.interpretText()  # no Enter, no focus change
    qtbot.waitUntil(lambda: bool(notes), timeout=1000)
    assert notes == ["99999 is outside 1–4,096; set to 4096."]
    assert spin.value() == 4096
    spin.lineEdit().setText("0")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(notes) == 2, timeout=1000)
    assert window.settings_panel.range_reason.text().startswith("Batch size: 0 is outside")


def test_a_weights_file_that_is_not_hdf5_is_refused_under_weights_in_the_app_s_words(
    window, tmp_path
):
    junk = tmp_path / "notes.h5"
    junk.write_text("just some text\n")
    panel = window.settings_panel
    panel.weights_combo.setCurrentIndex(panel.weights_combo.findData("file"))
    panel.weights_edit.setText(str(junk))
    reason = panel.weights_reason.text()
    assert "is not a Keras weights file" in reason and "signature" not in reason
    assert not window.start_button.isEnabled()
    assert "is not a Keras weights file" in window.page.start_reason.text()


def test_the_status_line_drops_the_last_phase_s_cache_note_when_a_phase_starts(window):
    from ftgui.core.events import PhaseOutline, PhaseStarted, RunStarted, Status

    outlines = [PhaseOutline("Head", 2, 10, 1, 1), PhaseOutline("Fine-tune", 20, 10, 1, 1)]
    window.status.set_running(True)
    for event in (
        RunStarted("/runs/r", "CPU only", "d", ["a", "b"], outlines),
        PhaseStarted(0, "Head", 2, 10),
        Status("block5_pool outputs of 200 + 80 images computed once: 2.2 MB in RAM"),
    ):
        window.status.handle(event)
    assert "computed once" in window.status.message.full_text()
    window.status.handle(PhaseStarted(1, "Fine-tune", 20, 10))
    assert window.status.message.full_text() == "Training phase 2 of 2: Fine-tune"
