"""The end-of-run summary (core, CLI, window) and the ETA across phases and resumes."""

from __future__ import annotations

import io

import pytest

from ftgui.cli.train import ProgressPrinter
from ftgui.core.events import (
    BatchEnded,
    EpochEnded,
    PhaseEnded,
    PhaseOutline,
    PhaseStarted,
    RunEnded,
    RunStarted,
)
from ftgui.core.training.run_summary import SummaryCollector, phase_best
from ftgui.gui.train.run_progress import RunProgress

STEPS = 10
HEAD = PhaseOutline("Head", 3, STEPS, 2_000, 14_700_000)
FINE = PhaseOutline("Fine-tune", 3, STEPS, 9_000, 7_600_000)


def _epoch(phase: int, epoch: int, val_loss: float, val_accuracy: float) -> EpochEnded:
    logs = {"loss": 1.0, "accuracy": 0.5, "val_loss": val_loss, "val_accuracy": val_accuracy}
    return EpochEnded(phase, epoch, 3, logs, 1.0)


def _events(test: dict[str, float] | None) -> list:
    return [
        RunStarted("/runs/r1", "CPU", "d", ["a", "b"], [HEAD, FINE]),
        PhaseStarted(0, "Head", 3, STEPS),
        _epoch(0, 0, 0.6, 0.70),
        _epoch(0, 1, 0.4, 0.80),
        _epoch(0, 2, 0.4, 0.90),  # as low, later: not the best model
        PhaseStarted(1, "Fine-tune", 3, STEPS),
        _epoch(1, 0, 0.3, 0.85),
        _epoch(1, 1, float("nan"), 0.95),
        _epoch(1, 2, 0.35, 0.96),
        RunEnded("/runs/r1", False, test, "/runs/r1/model.keras"),
    ]


def test_each_phase_best_is_the_first_lowest_validation_loss_as_the_saved_best_model():
    collector = SummaryCollector()
    for event in _events({"accuracy": 0.875, "loss": 0.31}):
        collector(event)
    summary = collector.summary
    assert [(p.name, p.epoch, p.val_loss, p.val_accuracy) for p in summary.phases] == [
        ("Head", 1, 0.4, 0.80),
        ("Fine-tune", 0, 0.3, 0.85),
    ]
    assert summary.lines() == [
        "Finished.",
        "Phase 1 'Head': best epoch 2/3 (val_acc 0.8000, val_loss 0.4000)",
        "Phase 2 'Fine-tune': best epoch 1/3 (val_acc 0.8500, val_loss 0.3000)",
        "Test: accuracy 0.8750, loss 0.3100",
    ]


def test_a_phase_without_a_finite_validation_loss_says_so():
    best = phase_best(0, "Head", [_epoch(0, 0, float("nan"), 0.5)])
    assert (best.epoch, best.line()) == (None, "Phase 1 'Head': no validation loss in 1 epochs")


def test_a_run_stopped_before_any_epoch_says_why_it_has_no_model():
    collector = SummaryCollector()
    collector(RunStarted("/runs/r", "CPU", "d", ["a", "b"], [HEAD]))
    collector(RunEnded("/runs/r", True, None, None))
    assert collector.summary.lines() == ["No model saved: stopped before its first epoch finished."]


def _stopped_in_fine_tune() -> list:
    """Stopped (Esc) after fine-tune epoch 3 of 20."""
    fine = PhaseOutline("Fine-tune", 20, STEPS, 9_000, 7_600_000)
    return [
        RunStarted("/runs/r2", "CPU", "d", ["a", "b"], [HEAD, fine]),
        PhaseStarted(0, "Head", 3, STEPS),
        *(_epoch(0, e, 0.5 - e / 10, 0.7) for e in range(3)),
        PhaseStarted(1, "Fine-tune", 20, STEPS),
        *(_epoch(1, e, 0.3 - e / 100, 0.8) for e in range(3)),
        RunEnded("/runs/r2", True, None, "/runs/r2/model.keras"),
    ]


def test_a_phase_cut_short_says_stopped_after_how_many_of_its_planned_epochs():
    collector = SummaryCollector()
    for event in _stopped_in_fine_tune():
        collector(event)
    assert collector.summary.lines() == [
        "Stopped; every finished epoch is kept.",
        "Phase 1 'Head': best epoch 3/3 (val_acc 0.7000, val_loss 0.3000)",
        "Phase 2 'Fine-tune': best epoch 3, stopped after 3 of 20 epochs "
        "(val_acc 0.8000, val_loss 0.2800)",
    ]


def test_the_window_summary_of_a_phase_cut_short_does_not_read_as_finished(qtbot):
    from ftgui.gui.train.summary_dialog import RunSummaryDialog

    dialog = RunSummaryDialog()
    qtbot.addWidget(dialog)
    for event in _stopped_in_fine_tune():
        dialog.handle(event)
    assert dialog.cell_text(1, 1) == "3 of 3"
    assert dialog.cell_text(2, 1) == "3 · stopped after 3 of 20"


def test_a_run_folder_read_back_with_fewer_epochs_than_planned_says_stopped_after(tmp_path):
    from ftgui.core.training.run_summary import folder_summary

    events = [e for e in _stopped_in_fine_tune() if not isinstance(e, (RunStarted, RunEnded))]
    summary = folder_summary(str(tmp_path), events, [3, 20])
    assert summary.stopped
    assert summary.phases[1].stop_note() == "stopped after 3 of 20"
    assert not summary.phases[0].stopped_early()


def test_the_cli_ends_with_the_summary_and_the_run_folder():
    out = io.StringIO()
    printer = ProgressPrinter(out)
    for event in _events(None):
        printer(event)
    tail = out.getvalue().splitlines()[-4:]
    assert tail == [
        "Phase 1 'Head': best epoch 2/3 (val_acc 0.8000, val_loss 0.4000)",
        "Phase 2 'Fine-tune': best epoch 1/3 (val_acc 0.8500, val_loss 0.3000)",
        "Model saved: /runs/r1/model.keras",
        "Run folder: /runs/r1",
    ]


def test_the_cli_says_why_a_run_stopped_before_its_first_epoch_has_no_model():
    out = io.StringIO()
    printer = ProgressPrinter(out)
    printer(RunStarted("/runs/r", "CPU", "d", ["a", "b"], [HEAD]))
    printer(RunEnded("/runs/r", True, None, None))
    assert out.getvalue().splitlines()[-2:] == [
        "No model saved: stopped before its first epoch finished.",
        "Run folder: /runs/r",
    ]


def test_the_window_shows_the_summary_with_open_folder_and_copy_path(qtbot, tmp_path, monkeypatch):
    from PySide6.QtGui import QDesktopServices, QGuiApplication

    from ftgui.gui.train.summary_dialog import RunSummaryDialog

    dialog = RunSummaryDialog()
    qtbot.addWidget(dialog)
    events = _events({"accuracy": 0.875, "loss": 0.31})
    events[-1] = RunEnded(str(tmp_path), False, {"accuracy": 0.875, "loss": 0.31}, "m.keras")
    for event in events:
        dialog.handle(event)
    assert dialog.isVisible() and not dialog.isModal()
    assert [dialog.cell_text(2, c) for c in range(4)] == [
        "2. Fine-tune",
        "1 of 3",
        "0.8500",
        "0.3000",
    ]
    assert dialog.test.text() == "accuracy 0.8750  ·  loss 0.3100"
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    dialog.open_button.click()
    dialog.copy_button.click()
    assert opened == [str(tmp_path)]
    assert QGuiApplication.clipboard().text() == str(tmp_path)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _scripted_run(seconds_per_batch: tuple[float, float], setup: float = 5.0):
    """(event, seconds it took) of a two-phase run: a set-up pause before each phase's first
    batch, validation at each epoch's end."""
    for phase, outline in enumerate((HEAD, FINE)):
        yield PhaseStarted(phase, outline.name, outline.epochs, STEPS), 0.0
        for epoch in range(outline.epochs):
            for batch in range(1, STEPS + 1):
                took = seconds_per_batch[phase] + (setup if (epoch, batch) == (0, 1) else 0.0)
                yield BatchEnded(phase, epoch, batch, STEPS), took
            yield EpochEnded(phase, epoch, outline.epochs, {}, 0.0), seconds_per_batch[phase]
        yield PhaseEnded(phase, outline.epochs, False), 0.0


def _progress(qtbot) -> tuple[RunProgress, FakeClock]:
    clock = FakeClock()
    progress = RunProgress(clock=clock)
    qtbot.addWidget(progress)
    progress.handle(RunStarted("/r", "CPU", "d", ["a", "b"], [HEAD, FINE]))
    return progress, clock


def _true_left(timeline: list[tuple[object, float]], index: int) -> float:
    return sum(took for _, took in timeline[index + 1 :])


def test_the_eta_is_within_a_quarter_of_the_time_left_when_the_second_phase_is_3x_faster(qtbot):
    progress, clock = _progress(qtbot)
    timeline = list(_scripted_run((3.0, 1.0)))
    checked = 0
    for index, (event, took) in enumerate(timeline):
        clock.now += took
        progress.handle(event)
        in_second_phase = isinstance(event, BatchEnded) and event.phase == 1
        if in_second_phase and (event.epoch, event.batch) >= (0, 2):
            true_left = _true_left(timeline, index)
            assert progress.eta_seconds() == pytest.approx(true_left, rel=0.25, abs=2.0)
            checked += 1
        if (
            isinstance(event, BatchEnded)
            and event.phase == 0
            and (event.epoch, event.batch) >= (0, 2)
        ):
            assert progress.eta().startswith("≈")  # phase 2's speed is a guess until measured
    assert checked == 29


def test_the_eta_after_a_resume_uses_each_phases_replayed_epoch_times(qtbot):
    progress, clock = _progress(qtbot)
    progress.handle(PhaseStarted(0, "Head", 3, STEPS))
    for epoch in range(3):
        progress.handle(EpochEnded(0, epoch, 3, {}, 3.0 * STEPS, replayed=True))
    progress.handle(PhaseEnded(0, 3, False))
    progress.handle(PhaseStarted(1, "Fine-tune", 3, STEPS))
    progress.handle(EpochEnded(1, 0, 3, {}, 1.0 * STEPS, replayed=True))
    assert progress.eta_seconds() == pytest.approx(20.0, rel=0.25)  # before any live batch
    assert not progress.eta().startswith("≈")
    for batch in range(1, STEPS + 1):
        clock.now += 1.0 + (5.0 if batch == 1 else 0.0)
        progress.handle(BatchEnded(1, 1, batch, STEPS))
        true_left = (STEPS - batch) * 1.0 + STEPS * 1.0
        assert progress.eta_seconds() == pytest.approx(true_left, rel=0.25)


def test_the_eta_counts_down_between_batches_and_keeps_going_at_a_phase_end(qtbot):
    progress, clock = _progress(qtbot)
    timeline = list(_scripted_run((2.0, 2.0)))
    for index, (event, took) in enumerate(timeline):
        clock.now += took
        progress.handle(event)
        if isinstance(event, BatchEnded) and (event.phase, event.epoch, event.batch) == (0, 1, 5):
            before = progress.eta_seconds()
            clock.now += 1.0  # half way through the next batch
            assert progress.eta_seconds() == pytest.approx(before - 1.0)
            clock.now -= 1.0
        if isinstance(event, PhaseStarted) and event.phase == 1:
            true_left = _true_left(timeline, index)
            break
    assert progress.eta_seconds() == pytest.approx(true_left, rel=0.25)
    assert progress._refresh.isActive() and "ETA ≈1:0" in progress.format()


def test_zero_epochs_for_a_phase_is_refused_in_the_window_the_cli_and_config_json(qtbot, tmp_path):
    import json

    from ftgui.core.errors import UserError
    from ftgui.core.settings.config import RunConfig
    from ftgui.gui.train.phase_editor import EPOCHS, PhaseEditor
    from tests.commands import ftgui

    editor = PhaseEditor()
    qtbot.addWidget(editor)
    editor.load(RunConfig().phases)
    assert editor.table.cellWidget(0, EPOCHS).minimum() == 1
    result = ftgui("train", "--data", str(tmp_path), "--epochs-head", "0")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "epochs of phase 1 ('Train classifier') must be a whole number from 1" in result.stderr
    data = RunConfig(data_dir=str(tmp_path)).to_dict()
    data["phases"][1]["epochs"] = 0
    (tmp_path / "config.json").write_text(json.dumps(data))
    with pytest.raises(
        UserError, match=r"^The epochs of phase 2 \('Fine-tune'\) must be .* from 1"
    ):
        RunConfig.load(tmp_path / "config.json").validate()
