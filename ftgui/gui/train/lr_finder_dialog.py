"""The learning-rate finder of one phase, opened from Find… beside its rate in the phase editor.

The analysis process runs the range test (`core/run/lr_find.py`) with the settings Start would
run: the phases before it train first, then up to 100 steps with a growing rate. The dialog says
what it is doing, counts the steps, and Cancel stops it; then it plots the curve with fastai's
three suggestions, and a Use button per suggestion puts that rate in the phase editor.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.service.analysis_process import LrFindRequest
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.lr_range import MAX_STEPS, SUGGESTIONS
from ftgui.gui.analysis_client import failure_text
from ftgui.gui.shared.tasks import BackgroundTask
from ftgui.gui.train.lr_curve_plot import SUGGESTION_COLOURS, LrCurvePlot, rate_text
from ftgui.gui.train.setting_widgets import window_words

if TYPE_CHECKING:  # the core's run modules load slowly; the window needs only the type
    from ftgui.core.run.lr_find import LrFinding

NOTE = (
    "The curve depends on the seed and on the batches it met: take the suggestions as a range "
    "to try (a sweep over two or three of them says more), not as the answer."
)
CANCELLED = "Cancelled; the phase's learning rate is unchanged."
ERROR_STYLE = "color: #c0392b;"


def rounded(rate: float) -> float:
    """A suggestion as the editor receives it: two significant digits."""
    return float(rate_text(rate))


def summary_text(finding: LrFinding) -> str:
    """The three suggestions, the time the test took and what it ran on."""
    values = " · ".join(
        f"<b style='color:{SUGGESTION_COLOURS[name]}'>{name}</b> {rate_text(rate)}"
        for name, rate in finding.suggestions.items()
    )
    steps = len(finding.curve.lrs)
    end = "" if steps >= MAX_STEPS else " (stopped when the loss passed 4× its minimum)"
    source = (
        "on the cached outputs of the frozen layers"
        if finding.on_cached_outputs
        else "through the whole model (this phase cannot use cached outputs)"
    )
    return (
        f"{values}<br>{steps} steps{end} in {finding.seconds:.1f} s, {source}; "
        f"phase {finding.phase + 1}'s rate is {rate_text(finding.learning_rate)}."
    )


class LrFinderDialog(QDialog):
    """Runs one phase's finder at a time (`find`); `used(phase, rate)` when a Use is pressed."""

    used = Signal(int, float)  # (phase index, learning rate)
    _heard = Signal(str)  # a status line of the finder, from the task's thread

    def __init__(self, client: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ftgui: find a learning rate")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(760, 600)
        self.client = client
        self.phase = 0
        self.finding: LrFinding | None = None
        self._task = BackgroundTask(self)
        self.heading = QLabel("")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setFormat("step %v of %m")
        self.cancel_button = QPushButton("Cancel")
        self.plot = LrCurvePlot()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.use_buttons = {name: QPushButton(f"Use {name}") for name in SUGGESTIONS}
        self.note = QLabel(NOTE)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #666;")
        self.close_button = QPushButton("Close")
        self._build_layout()
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.reject)
        for name, button in self.use_buttons.items():
            button.clicked.connect(lambda _=False, n=name: self.use(n))
        self._task.succeeded.connect(self._answered)
        self._task.failed.connect(self._failed)
        self._task.progressed.connect(self._stepped)
        self._heard.connect(self._heard_status)

    def _build_layout(self) -> None:
        working = QHBoxLayout()
        working.addWidget(self.status, 1)
        working.addWidget(self.progress)
        working.addWidget(self.cancel_button)
        uses = QHBoxLayout()
        for name, button in self.use_buttons.items():
            button.setToolTip(f"Put the {name} suggestion in this phase's learning rate")
            uses.addWidget(button)
        uses.addStretch(1)
        uses.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(working)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)
        layout.addLayout(uses)
        layout.addWidget(self.note)

    def is_finding(self) -> bool:
        return self._task.is_running()

    def find(self, config: RunConfig, phase: int) -> None:
        """Run the finder for phase `phase` (0-based) of `config` (kept as it is now)."""
        self.phase, self.finding = phase, None
        title = f"Phase {phase + 1} '{config.phases[phase].name}'"
        self.heading.setText(f"<b>{title}</b>: learning-rate range test")
        self.plot.clear_finding()
        self.summary.setText("")
        for name, button in self.use_buttons.items():
            button.setText(f"Use {name}")
        self._set_working(True)
        self.status.setText("Starting the analysis process (TensorFlow)…")
        self.progress.setRange(0, 0)  # busy until the steps begin
        request = LrFindRequest(copy.deepcopy(config), phase + 1)
        self.client.call_in(self._task, request, self._heard.emit)
        self.open()

    def cancel(self) -> None:
        """Stop the finder; nothing changes."""
        if self.is_finding():
            self.client.cancel_call(self._task)
            self._set_working(False)
            self.status.setText(CANCELLED)

    def use(self, name: str) -> None:
        """Put suggestion `name` (two significant digits) in the phase's learning rate."""
        if self.finding is None:
            return
        rate = rounded(self.finding.suggestions[name])
        self.used.emit(self.phase, rate)
        self.plot.set_current(rate)
        self.status.setText(
            f"Phase {self.phase + 1}'s learning rate is now {rate_text(rate)} ({name})."
        )

    def reject(self) -> None:
        """Closing the dialog (Close, Esc, the title bar) cancels a finder still running."""
        self.cancel()
        super().reject()

    def _heard_status(self, text: str) -> None:
        if self.is_finding():  # a cancelled finder's last words are dropped
            self.status.setText(text)

    def _stepped(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _answered(self, finding: LrFinding | None) -> None:
        self._set_working(False)
        if finding is None:  # stopped in the process
            self.status.setText(CANCELLED)
            return
        self.finding = finding
        self.plot.show_finding(finding)
        self.summary.setText(summary_text(finding))
        for name, button in self.use_buttons.items():
            button.setText(f"Use {name} ({rate_text(finding.suggestions[name])})")
            button.setEnabled(True)
        self.status.setText("Done: pick a suggestion to use, or close to keep the phase's rate.")

    def _failed(self, error: BaseException) -> None:
        reason, details = failure_text(error)
        self._set_working(False)
        self.status.setText(window_words(reason))
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setToolTip(details)

    def _set_working(self, working: bool) -> None:
        self.progress.setVisible(working)
        self.cancel_button.setVisible(working)
        self.status.setStyleSheet("")
        self.status.setToolTip("")
        for button in self.use_buttons.values():
            button.setEnabled(not working and self.finding is not None)


def attach_lr_finder(window: Any) -> LrFinderDialog:
    """Wire the phase editor's Find… of `window` (a MainWindow) to a finder dialog with the
    settings Start would run now."""
    dialog = LrFinderDialog(window.analysis, window)
    editor = window.phase_editor

    def find(phase: int) -> None:
        config = None if window.is_running() or dialog.is_finding() else window.config_to_run()
        if config is not None:
            dialog.find(config, phase)

    editor.find_requested.connect(find)
    dialog.used.connect(editor.set_learning_rate)
    return dialog
