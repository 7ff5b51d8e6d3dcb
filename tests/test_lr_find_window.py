"""The learning-rate finder in the window (issue 23): Find… beside each phase's rate, the dialog
(status, steps, Cancel, the curve on a log axis with three suggestions, Use), fed hand-made
findings; one slow test runs it for real through the analysis process."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication

from ftgui.core.errors import UserError
from ftgui.core.run.lr_find import LrFinding
from ftgui.core.service.analysis_process import LrFindRequest
from ftgui.core.settings.config import RunConfig, book_phases
from ftgui.core.training.lr_range import MAX_STEPS, LrCurve, planned_lr
from ftgui.gui.analysis_client import AnalysisClient
from ftgui.gui.train.lr_finder_dialog import CANCELLED, NOTE, LrFinderDialog, rounded
from ftgui.gui.train.phase_editor import FIND, RATE, PhaseEditor
from tests.gui_window import main_window, wait_for_dataset_check
from tests.images import make_book_dataset

STEPS = 80  # the hand-made test diverged before MAX_STEPS


def hand_made_finding(phase: int = 1, rate: float = 1e-5, cached: bool = True) -> LrFinding:
    """A U-shaped curve in log(lr) shooting up in its last 5 steps, with noise on the batches,
    and its own suggestions."""
    lrs = tuple(planned_lr(step) for step in range(STEPS))
    rng = np.random.default_rng(0)
    smooth = [0.7 + 0.04 * (math.log10(lr) + 3.5) ** 2 for lr in lrs]
    smooth[-5:] = [smooth[-6] * (1 + 0.6 * k) for k in range(1, 6)]
    losses = tuple(float(v + rng.normal(0, 0.05)) for v in smooth)
    curve = LrCurve(lrs, losses, tuple(smooth))
    return LrFinding(phase, "Fine-tune", rate, curve, curve.suggestions(), 3.25, cached)


def tiny_config(data: Path) -> RunConfig:
    config = RunConfig(data_dir=str(data), weights="none", image_size=32, batch_size=8, seed=3)
    config.phases[0].epochs, config.phases[0].learning_rate = 1, 1e-3
    config.phases[1].epochs = 1
    return config


class AnsweringClient:
    """The analysis client's `call_in` / `cancel_call`, answering with `answer(request)`."""

    def __init__(self, answer=None) -> None:
        self.requests: list[object] = []
        self.cancelled = 0
        self.answer = answer or (lambda request: None)

    def call_in(self, task, request, status=None) -> None:
        self.requests.append(request)
        answer = self.answer
        task.start(lambda state: answer(request))

    def cancel_call(self, task) -> None:
        self.cancelled += 1
        task.cancel()


def finder(qtbot, answer) -> tuple[LrFinderDialog, AnsweringClient]:
    client = AnsweringClient(answer)
    dialog = LrFinderDialog(client)
    qtbot.addWidget(dialog)
    return dialog, client


# -- the phase editor -----------------------------------------------------------------------
def test_find_beside_each_rate_asks_for_that_phase(qtbot):
    editor = PhaseEditor()
    qtbot.addWidget(editor)
    editor.load(book_phases())
    assert editor.table.cellWidget(1, FIND).text() == "Find…"
    with qtbot.waitSignal(editor.find_requested) as asked:
        editor.table.cellWidget(1, FIND).click()
    assert asked.args == [1]


def test_find_waits_while_a_run_trains_and_while_start_waits(qtbot):
    editor = PhaseEditor()
    qtbot.addWidget(editor)
    editor.load(book_phases())
    buttons = [editor.table.cellWidget(row, FIND) for row in (0, 1)]
    assert all(button.isEnabled() for button in buttons)
    editor.set_running(True)
    assert not any(button.isEnabled() for button in buttons)
    assert "a run is training" in buttons[0].toolTip()
    editor.set_running(False)
    editor.set_find_waits("Choose a dataset folder.")
    assert not any(button.isEnabled() for button in buttons)
    assert "Choose a dataset folder." in buttons[1].toolTip()
    editor.set_find_waits("")
    assert all(button.isEnabled() for button in buttons)


def test_set_learning_rate_replaces_a_bad_rate_as_if_typed(qtbot):
    editor = PhaseEditor()
    qtbot.addWidget(editor)
    editor.load(book_phases())
    rate = editor.table.cellWidget(1, RATE)
    rate.setText("fast")
    rate.textEdited.emit("fast")
    assert editor.problems()
    with qtbot.waitSignal(editor.changed):
        editor.set_learning_rate(1, 0.00012)
    assert editor.phases[1].learning_rate == 0.00012 and rate.text() == "0.00012"
    assert not editor.problems()


# -- the dialog -----------------------------------------------------------------------------
def test_the_curve_is_drawn_on_a_log_axis_with_three_suggestions_and_the_phases_rate(qtbot):
    finding = hand_made_finding()
    dialog, client = finder(qtbot, lambda request: finding)
    dialog.find(RunConfig(phases=book_phases()), 1)
    assert client.requests[0].phase == 2 and isinstance(client.requests[0], LrFindRequest)
    qtbot.waitUntil(lambda: dialog.finding is finding, timeout=5000)
    plot = dialog.plot
    axis = plot.getPlotItem().getAxis("bottom")
    assert axis.logMode and not axis.autoSIPrefix  # ticks read 1e-05, not "0.01 (x0.001)"
    (low, high), (bottom, top) = plot.viewRange()
    assert low <= math.log10(min(finding.curve.lrs)) and high >= math.log10(max(finding.curve.lrs))
    assert top < max(finding.curve.smoothed)  # the last steps' rise leaves the view
    assert bottom <= min(finding.curve.smoothed) < top
    x, y = plot.smoothed.getData()
    assert np.allclose(x, np.log10(finding.curve.lrs)) and np.allclose(y, finding.curve.smoothed)
    assert np.allclose(plot.raw.getData()[1], finding.curve.losses)
    for name, rate in finding.suggestions.items():
        assert plot.lines[name].isVisible() and plot.lines[name].value() == math.log10(rate)
        point_x, point_y = plot.points[name].getData()
        assert point_x[0] == pytest.approx(math.log10(rate))
        assert min(finding.curve.smoothed) <= point_y[0] <= max(finding.curve.smoothed)
        assert f"{name}: {rate:.2g}" in plot.legend.getLabel(plot.points[name]).text
        assert f"{rate:.2g}" in dialog.summary.text()
        assert dialog.use_buttons[name].isEnabled()
    colours = {plot.lines[name].pen.color().name() for name in finding.suggestions}
    assert len(colours) == 3
    assert plot.current.isVisible() and plot.current.value() == math.log10(1e-5)
    assert f"{STEPS} steps" in dialog.summary.text() and "3.2 s" in dialog.summary.text()
    assert "cached outputs" in dialog.summary.text() and dialog.note.text() == NOTE
    assert not dialog.progress.isVisible() and not dialog.cancel_button.isVisible()


def test_a_phase_without_cached_outputs_says_so(qtbot):
    finding = hand_made_finding(cached=False)
    dialog, _ = finder(qtbot, lambda request: finding)
    dialog.find(RunConfig(phases=book_phases()), 1)
    qtbot.waitUntil(lambda: dialog.finding is finding, timeout=5000)
    assert "through the whole model" in dialog.summary.text()


def test_a_failure_shows_its_one_sentence_and_nothing_to_use(qtbot):
    sentence = "The learning-rate finder took no step (the phase has no training images)."

    def fail(request):
        raise UserError(sentence)

    dialog, _ = finder(qtbot, fail)
    dialog.find(RunConfig(phases=book_phases()), 0)
    qtbot.waitUntil(lambda: not dialog.is_finding(), timeout=5000)
    assert dialog.status.text() == sentence and "Traceback" not in dialog.status.toolTip()
    assert not any(button.isEnabled() for button in dialog.use_buttons.values())
    assert len(dialog.plot.smoothed.getData()[0] or []) == 0


def test_cancel_stops_the_finder_and_drops_its_late_answer(qtbot):
    release = threading.Event()

    def slow(request):
        release.wait(10)
        return hand_made_finding()

    dialog, client = finder(qtbot, slow)
    dialog.find(RunConfig(phases=book_phases()), 1)
    assert dialog.cancel_button.isVisible() and dialog.is_finding()
    dialog.cancel_button.click()
    assert client.cancelled == 1 and dialog.status.text() == CANCELLED
    release.set()
    qtbot.wait(100)
    QCoreApplication.processEvents()
    assert dialog.finding is None and not dialog.cancel_button.isVisible()
    assert not any(button.isEnabled() for button in dialog.use_buttons.values())


def test_closing_the_dialog_cancels_a_running_finder(qtbot):
    release = threading.Event()
    dialog, client = finder(qtbot, lambda request: release.wait(10))
    dialog.find(RunConfig(phases=book_phases()), 1)
    dialog.close_button.click()
    release.set()
    assert client.cancelled == 1 and not dialog.isVisible()


class SteppingProcess:
    """The analysis process's `call`: a status line and steps 40 and 41 of 100, then waits."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def is_alive(self) -> bool:
        return True

    def stop(self) -> None:
        self.release.set()

    def call(self, request, status=None, progress=None):
        status("Range test of phase 2 'Fine-tune': up to 100 steps…")
        progress(40, MAX_STEPS)
        progress(41, MAX_STEPS)
        self.release.wait(10)


def test_the_steps_of_the_range_test_fill_the_progress_bar(qtbot):
    client = AnalysisClient()
    client._process = process = SteppingProcess()
    dialog = LrFinderDialog(client)
    qtbot.addWidget(dialog)
    dialog.find(RunConfig(phases=book_phases()), 1)
    qtbot.waitUntil(lambda: dialog.progress.value() == 41, timeout=5000)
    assert dialog.progress.maximum() == MAX_STEPS
    assert dialog.status.text().startswith("Range test of phase 2")
    dialog.cancel()
    assert process.release.is_set() and dialog.status.text() == CANCELLED


# -- the window -----------------------------------------------------------------------------
@pytest.fixture
def data(tmp_path) -> Path:
    return make_book_dataset(tmp_path / "data", ("cats", "dogs"), (8, 4, 4))


@pytest.fixture
def tiny_window(qtbot, data):
    yield from main_window(qtbot, tiny_config(data), (1280, 800))


def test_find_waits_in_the_window_until_start_could_run(window):
    buttons = [window.phase_editor.table.cellWidget(row, FIND) for row in (0, 1)]
    assert window.problems() and not any(button.isEnabled() for button in buttons)
    assert window.problems()[0] in buttons[0].toolTip()


def test_find_runs_the_windows_settings_and_use_sets_the_phases_rate(tiny_window, qtbot):
    window = tiny_window
    wait_for_dataset_check(window)
    qtbot.waitUntil(window.start_button.isEnabled, timeout=5000)  # so Find… is enabled too
    window.settings_panel.image_size.setValue(48)  # an edit not yet in window.config
    finding = hand_made_finding()
    client = window.lr_finder.client = AnsweringClient(lambda request: finding)
    window.phase_editor.table.cellWidget(1, FIND).click()
    request = client.requests[0]
    assert request.phase == 2 and request.config.image_size == 48
    assert request.config is not window.config
    dialog = window.lr_finder
    qtbot.waitUntil(lambda: dialog.finding is finding, timeout=5000)
    dialog.use_buttons["valley"].click()
    valley = rounded(finding.suggestions["valley"])
    assert window.config.phases[1].learning_rate == valley
    assert window.phase_editor.table.cellWidget(1, RATE).text() == f"{valley:g}"
    assert dialog.plot.current.value() == pytest.approx(math.log10(valley))
    assert not window.phase_editor.problems()
    qtbot.waitUntil(window.start_button.isEnabled, timeout=5000)


@pytest.mark.slow
def test_find_in_the_window_plots_a_real_range_test_and_use_sets_the_rate(tiny_window, qtbot):
    """Phase 1 (the head on cached block5 outputs): phase 2's 100 steps through block5 take
    about 40 s on two loaded cores; its request is checked above with a hand-made answer."""
    window = tiny_window
    wait_for_dataset_check(window)
    qtbot.waitUntil(window.start_button.isEnabled, timeout=5000)  # so Find… is enabled too
    window.phase_editor.table.cellWidget(0, FIND).click()
    dialog = window.lr_finder
    assert dialog.isVisible() and dialog.is_finding()
    qtbot.waitUntil(lambda: not dialog.is_finding(), timeout=120_000)
    finding = dialog.finding
    assert finding is not None, dialog.status.text()
    assert finding.phase == 0 and finding.on_cached_outputs and finding.learning_rate == 1e-3
    assert len(dialog.plot.smoothed.getData()[0]) == len(finding.curve.lrs) > 5
    assert all(1e-7 <= rate <= 10 for rate in finding.suggestions.values())
    assert dialog.plot.current.value() == pytest.approx(-3)
    dialog.use_buttons["steepest"].click()
    assert window.config.phases[0].learning_rate == rounded(finding.suggestions["steepest"])
    qtbot.waitUntil(window.start_button.isEnabled, timeout=5000)
