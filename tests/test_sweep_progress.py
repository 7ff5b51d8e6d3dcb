"""A sweep's progress in the window without training: the epochs it trains and its ETA, the
progress line and status bar fed a sweep's events, Resume on a sweep's line, and the sweep job
the training process runs (no Qt)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ftgui.cli.sweep import plan_sweep
from ftgui.core.events import (
    BatchEnded,
    EpochEnded,
    PhaseOutline,
    PhaseStarted,
    RunEnded,
    RunStarted,
    TrialEnded,
    TrialStarted,
)
from ftgui.core.views.sweep_estimate import SweepEta, epochs_to_train
from ftgui.gui.experiments.run_buttons import RunButtons
from ftgui.gui.train.run_progress import RunProgress
from ftgui.gui.train.status_bar import RunStatusBar
from tests.images import make_book_dataset


@pytest.fixture
def data(tmp_path) -> Path:
    return make_book_dataset(tmp_path / "data", ("cats", "dogs"), (8, 4, 4))


def test_epochs_to_train_count_a_shared_phase_once_and_subtract_a_resumes_epochs(data, tmp_path):
    record = plan_sweep(
        ["--data", str(data), "--epochs-head", "2", "--epochs-finetune", "3",
         "--vary", "lr-finetune=1e-5,1e-4", "--vary", "seed=1,2"]
    )  # fmt: skip
    left = epochs_to_train(record)  # seeds differ: each pair shares nothing but lr pairs do
    assert left == {1: [2, 3], 2: [2, 3], 3: [0, 3], 4: [0, 3]}
    eta = SweepEta(left)
    assert eta.total == 16 and eta.seconds_left() == (None, True)
    eta.epoch_ended(1, 0, 2.0)
    assert eta.seconds_left() == (30.0, True)  # 15 epochs at the only speed measured
    eta.trial_ended(4)
    assert (eta.done, eta.total, eta.seconds_left()[0]) == (1, 13, 24.0)


def test_the_progress_line_names_the_trial_and_gives_the_sweeps_eta(qtbot, data, tmp_path):
    record = plan_sweep(
        ["--data", str(data), "--epochs-head", "1", "--epochs-finetune", "2",
         "--vary", "lr-finetune=1e-5,1e-4"]
    )  # fmt: skip
    folder = tmp_path / "sweep"
    folder.mkdir()
    record.save(folder)
    now = [0.0]
    progress, status = RunProgress(clock=lambda: now[0]), RunStatusBar()
    qtbot.addWidget(progress)
    qtbot.addWidget(status)
    progress.resize(900, 30)
    outline = [PhaseOutline("Train classifier", 1, 2, 1, 1), PhaseOutline("Fine-tune", 2, 2, 1, 1)]
    progress.begin()
    status.set_running(True)
    events = [
        TrialStarted(1, 2, {"lr-finetune": "1e-05"}, str(folder / "trial-1"), 1),
        RunStarted(str(folder / "trial-1"), "CPU", "d", ["a", "b"], outline),
        PhaseStarted(0, "Train classifier", 1, 2),
        BatchEnded(0, 0, 1, 2),
    ]
    for event in events:
        progress.handle(event)
        status.handle(event)
    assert status.message.full_text() == "Trial 1 of 2: training phase 1 of 2: Train classifier"
    assert progress.format() == "Trial 1 of 2 · phase 1/2 · epoch 1/1 · batch 1/2 · sweep ETA …"
    assert (progress.maximum(), progress.value()) == (5000, 500)  # 5 epochs: phase 1 once
    now[0] = 10.0
    for event in (EpochEnded(0, 0, 1, seconds=10.0), RunEnded(str(folder), True, None, None)):
        progress.handle(event)
        status.handle(event)
    assert "Stopped" not in progress.format()  # a pause between shared phases is no stop
    assert status.message.full_text() == f"Trial 1 of 2: saved in {folder}"
    progress.handle(TrialStarted(1, 2, {}, str(folder / "trial-1"), 3))
    progress.handle(BatchEnded(1, 0, 1, 2))
    # 4 fine-tuning epochs left at phase 1's 10 s (guessed), half an epoch done
    assert progress.format().endswith("sweep ETA ≈0:35") and progress.value() == 1500
    progress.handle(TrialEnded(2, "failed", 1.0, "bad"))
    assert (progress.maximum(), progress.value()) == (3000, 1500)  # its 2 epochs are off


def test_resume_on_a_sweeps_line_continues_it_while_every_trial_has_not_ended(
    qtbot, data, tmp_path
):
    from ftgui.core.views.run_table import read_sweep

    record = plan_sweep(["--data", str(data), "--vary", "lr-finetune=1e-5,1e-4"])
    folder = tmp_path / "sweep"
    folder.mkdir()
    record.save(folder)
    buttons = RunButtons()
    qtbot.addWidget(buttons)
    buttons.set_row(read_sweep(folder))
    assert buttons.resume_button.isEnabled()
    assert "2 of its 2 trials to run" in buttons.resume_button.toolTip()
    with qtbot.waitSignal(buttons.sweep_resume_requested) as asked:
        buttons.resume_button.click()
    assert asked.args == [str(folder)]
    for trial in record.trials:
        trial.state = "done"
    record.save(folder)
    buttons.set_row(read_sweep(folder))
    assert not buttons.resume_button.isEnabled()
    buttons.set_running(True)
    assert not buttons.resume_button.isEnabled()


def test_the_sweep_job_the_training_process_runs_imports_no_qt():
    code = (
        "import sys; import ftgui.core.sweep.serve, ftgui.core.run.training_process;"
        "assert 'PySide6' not in sys.modules and 'tensorflow' not in sys.modules"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True)
    assert result.returncode == 0, result.stderr
