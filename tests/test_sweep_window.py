"""Sweeps in the window: the Sweep… dialog (neighbours, trial count, estimate, the CLI's sentence),
a sweep run from it in the training process with the Train tab's Stop and progress, the
Experiments table filling in, and Resume on the sweep's line."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication

from ftgui.cli.sweep import plan_sweep
from ftgui.core.errors import UserError
from ftgui.core.events import (
    BatchEnded,
    EpochEnded,
    TrialEnded,
    TrialStarted,
)
from ftgui.core.settings.config import RunConfig
from ftgui.core.sweep.record import SweepRecord
from ftgui.gui.experiments.run_tree import ROW_ROLE
from ftgui.gui.experiments.sweep_dialog import SweepDialog
from ftgui.gui.main_window import MainWindow
from tests.gui_window import main_window
from tests.images import make_book_dataset

RUN_TIMEOUT_MS = 240_000


def settle(dialog: SweepDialog) -> None:
    """Wait for the dialog's check of the values (off the GUI thread)."""
    deadline = time.monotonic() + 10
    while dialog.is_checking() and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.005)
    assert not dialog.is_checking()


def tiny_config(data: Path, head: int = 1, finetune: int = 1) -> RunConfig:
    config = RunConfig(data_dir=str(data), weights="none", image_size=32, batch_size=8, seed=3)
    config.phases[0].epochs, config.phases[0].learning_rate = head, 1e-3
    config.phases[1].epochs = finetune
    return config


@pytest.fixture
def data(tmp_path) -> Path:
    return make_book_dataset(tmp_path / "data", ("cats", "dogs"), (8, 4, 4))


@pytest.fixture
def runs(tmp_path, monkeypatch) -> Path:
    """An empty runs folder of this test's own."""
    root = tmp_path / "runs"
    monkeypatch.setenv("FTGUI_RUNS_DIR", str(root))
    return root


@pytest.fixture
def window(qtbot, data, runs):
    yield from main_window(qtbot, tiny_config(data), (1280, 800), RUN_TIMEOUT_MS)


def open_dialog(window: MainWindow) -> SweepDialog:
    window.tabs.setCurrentWidget(window.experiments)
    window.experiments.sweep_button.click()
    dialog = window.experiments.sweep_dialog
    assert dialog is not None and dialog.isVisible()
    settle(dialog)
    return dialog


def write_measured_run(folder: Path, images: int, seconds: tuple[float, float]) -> None:
    """A run folder of 32 px, `images` training images, 2 + 2 epochs of these seconds."""
    folder.mkdir(parents=True)
    config = RunConfig(data_dir="/data/cats", image_size=32)
    (folder / "config.json").write_text(json.dumps(config.to_dict()))
    report = {"counts": {"train": [images - images // 2, images // 2]}}
    (folder / "dataset_report.json").write_text(json.dumps(report))
    rows = ["phase,phase_name,epoch,loss,accuracy,val_loss,val_accuracy,seconds"]
    for phase, epoch in ((1, 1), (1, 2), (2, 1), (2, 2)):
        rows.append(f"{phase},p,{epoch},0.5,0.5,0.5,0.5,{seconds[phase - 1]}")
    (folder / "history.csv").write_text("\n".join(rows) + "\n")


# ---- the dialog -------------------------------------------------------------------------------


def test_the_dialog_opens_with_neighbours_of_the_train_tabs_settings(window):
    window.phase_editor.table.cellWidget(1, 3).setText("2e-05")
    window.phase_editor.table.cellWidget(1, 3).textEdited.emit("2e-05")
    dialog = open_dialog(window)
    assert dialog.varies() == {
        "lr-finetune": "6.67e-06, 2e-05, 6e-05",
        "unfreeze-from": "block5_conv1, block4_conv1",
    }
    assert dialog.trials_label.text() == "<b>6 trials</b> of 2 phases"
    assert dialog.start_button.isEnabled() and dialog.reason.text() == ""
    assert (
        "--image-size" in dialog.argv()
        and dialog.argv()[dialog.argv().index("--image-size") + 1] == "32"
    )


def test_adding_removing_settings_and_a_random_search_change_the_trial_count(window):
    dialog = open_dialog(window)
    dialog.add_row("lr-head")
    assert dialog.varies()["lr-head"] == "0.000333, 0.001, 0.003"
    settle(dialog)
    assert dialog.trials_label.text().startswith("<b>18 trials</b>")
    dialog.remove_row(dialog.rows[0])  # lr-finetune
    settle(dialog)
    assert list(dialog.varies()) == ["unfreeze-from", "lr-head"]
    assert dialog.trials_label.text().startswith("<b>6 trials</b>")
    dialog.search.setCurrentIndex(dialog.search.findData("random"))
    dialog.trials.setValue(4)
    settle(dialog)
    assert dialog.trials_label.text().startswith("<b>4 trials</b>")


def test_a_bad_value_shows_the_command_lines_sentence_and_start_waits(window):
    dialog = open_dialog(window)
    dialog.rows[0][1].setText("x, 1e-4")
    assert not dialog.start_button.isEnabled()  # at once, before the check answers
    settle(dialog)
    with pytest.raises(UserError) as raised:
        plan_sweep(dialog.argv())
    assert (
        dialog.reason.text()
        == str(raised.value)
        == ("argument --lr-finetune: invalid float value: 'x'.")
    )
    assert not dialog.start_button.isEnabled()
    assert dialog.start_button.toolTip() == f"Start waits: {raised.value}"
    dialog.rows[0][1].setText("1e-5, 1e-4")
    settle(dialog)
    assert dialog.start_button.isEnabled() and dialog.reason.text() == ""


def test_the_estimate_says_what_it_is_based_on_and_counts_a_shared_phase_once(window, runs):
    dialog = open_dialog(window)
    assert "Estimated time: unknown, no run in" in dialog.estimate.text()
    write_measured_run(runs / "old", images=10, seconds=(1.0, 2.0))
    dialog = open_dialog(window)  # the speed is measured when the dialog opens
    dialog.remove_row(dialog.rows[1])
    dialog.rows[0][1].setText("1e-5, 1e-4")
    window.config.phases[0].epochs = 10  # (the dialog copies the settings as it opens)
    settle(dialog)
    text = dialog.estimate.text()
    # 16 training images: phase 1 (shared) 1 epoch × 1.6 s, phase 2 2 × 1 epoch × 3.2 s = 8 s
    assert text.startswith("3 epochs to train (1 more that trials share are trained once)")
    assert "≈0:08, from the median seconds per epoch of 1 recent run in" in text
    assert "scaled to 16 training images at 32 px" in text


# ---- whole sweeps in the window ----------------------------------------------------------------


def start_two_trial_sweep(window: MainWindow, qtbot) -> Path:
    dialog = open_dialog(window)
    dialog.remove_row(dialog.rows[1])
    dialog.rows[0][1].setText("1e-4, 1e-3")
    settle(dialog)
    assert dialog.trials_label.text().startswith("<b>2 trials</b>"), dialog.reason.text()
    dialog.start_button.click()
    assert window.is_running() and not dialog.isVisible()
    assert not window.start_button.isEnabled() and window.stop_button.isEnabled()
    assert not window.experiments.sweep_button.isEnabled()
    sweeps = list(Path(window.experiments.folder()).glob("sweep-*"))
    assert len(sweeps) == 1 and (sweeps[0] / "sweep.json").is_file()
    return sweeps[0]


def trials_csv(folder: Path) -> list[dict[str, str]]:
    with open(folder / "trials.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def listed_trials(window: MainWindow, folder: Path) -> dict[str, str]:
    """The Experiments table's trials of the sweep in `folder`: name → status (read through
    model indexes: a Python wrapper of a child item beyond column 0, `item.child(r, c)`, makes
    PySide6 6.11 crash in the model's next clear())."""
    model = window.experiments.model
    status = model.columnCount() - 1
    for top in range(model.rowCount()):
        sweep = model.index(top, 0)
        if getattr(sweep.data(ROW_ROLE), "folder", None) == str(folder):
            return {
                model.index(r, 0, sweep).data(): model.index(r, status, sweep).data()
                for r in range(model.rowCount(sweep))
            }
    return {}


@pytest.mark.slow
def test_a_stopped_sweep_resumes_from_its_line_runs_to_the_end_and_fills_the_table(window, qtbot):
    """A two-trial sweep from the dialog, stopped (Esc) in trial 1's fine-tuning, resumed from
    its line in the Experiments tab: the resumed sweep runs to the end with the Train tab's
    progress and curves, and the table lists both trials finished. (One sweep for what two
    tests proved with two: a sweep run to the end, and a sweep resumed from its line.)"""
    window.config.phases[1].epochs = 2
    trial, stops = [0], []

    def stop_in_trial_1s_fine_tuning(event: object) -> None:
        if isinstance(event, TrialStarted):
            trial[0] = event.trial
        fine_tuning = isinstance(event, EpochEnded) and (trial[0], event.phase) == (1, 1)
        if fine_tuning and not event.replayed and not stops:
            stops.append(event)
            window.stop_action.trigger()  # Esc

    window.runs.subscribe(stop_in_trial_1s_fine_tuning, TrialStarted, EpochEnded)
    folder = start_two_trial_sweep(window, qtbot)
    qtbot.waitUntil(lambda: not window.is_running(), timeout=RUN_TIMEOUT_MS)
    assert window.last_error is None
    assert [r["status"] for r in trials_csv(folder)] == ["stopped", "stopped"]
    assert window.progress.format().startswith("Sweep stopped, 0 of 2 trials done: Resume")
    view = window.experiments
    view.refresh()
    qtbot.waitUntil(lambda: not view.is_reading() and bool(listed_trials(window, folder)))
    for item in view.model.run_items():
        if item.data(ROW_ROLE).folder.endswith("trial-01"):
            view.tree.setCurrentIndex(view.proxy.mapFromSource(item.parent().index()))
    assert view.buttons.row is not None and view.buttons.row.folder == str(folder)
    assert view.buttons.resume_button.isEnabled()
    lines: list[str] = []
    window.runs.subscribe(lambda _: lines.append(window.progress.format()), BatchEnded)
    ended: list[TrialEnded] = []
    window.runs.subscribe(ended.append, TrialEnded)
    view.buttons.resume_button.click()
    assert window.is_running()
    qtbot.waitUntil(lambda: not window.is_running(), timeout=RUN_TIMEOUT_MS)
    assert window.last_error is None
    rows = trials_csv(folder)
    assert [(r["trial"], r["status"], r["lr-finetune"]) for r in rows] == [
        ("1", "done", "1e-4"),
        ("2", "done", "1e-3"),
    ]
    assert all(r["best_val_loss"] and r["run"].startswith("trial-") for r in rows)
    assert [e.status for e in ended] == ["done", "done"]
    assert any(line.startswith("Trial 1 of 2 · phase 2/2") for line in lines)
    assert any(
        line.startswith("Trial 2 of 2 · phase 2/2") and "sweep ETA" in line for line in lines
    )
    assert window.progress.value() == window.progress.maximum()
    assert len(window.curves.timeline.phases) == 2  # the last trial's curves, both phases
    assert not window.summary.isVisible()  # no run summary popping up per trial
    assert [r["status"] for r in trials_csv(folder)] == ["done", "done"]
    record = SweepRecord.load(folder)
    assert all(t.state == "done" for t in record.trials)
    from ftgui.core.training.run_folder import read_history

    for number in (1, 2):  # 1 + 2 epochs each, none lost or repeated by the stop
        epochs = [(r["phase"], r["epoch"]) for r in read_history(folder / f"trial-{number:02d}")]
        assert epochs == [(1, 1), (2, 1), (2, 2)]
    assert window.progress.format().startswith("Sweep finished, 2 of 2 trials done: best trial")
    view.refresh()
    qtbot.waitUntil(lambda: not view.is_reading() and bool(listed_trials(window, folder)))
    qtbot.waitUntil(
        lambda: listed_trials(window, folder) == {"trial 1": "finished", "trial 2": "finished"},
        timeout=10_000,
    )
    ticked = {Path(row.folder).name for row in view.ticked_rows()}
    assert ticked == {"trial-01", "trial-02"}  # each trial ticked as it ran
    qtbot.waitUntil(lambda: len(view.overlay.runs) == 2, timeout=10_000)
    assert view.sweep_button.isEnabled() and window.start_button.isEnabled()
