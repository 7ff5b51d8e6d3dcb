"""The status bar: what the run is doing, its folder, and the device TensorFlow trains on.

The message says what holds now: a run's latest step while it runs, how it ended (or why it
failed) afterwards, nothing once a new run starts or a run folder is opened. During a sweep
each message names the trial ("Trial 2 of 6: training phase 1 of 2: …").
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from ftgui.core.child_process import Ready
from ftgui.core.events import (
    DeviceMemory,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
    TrialEnded,
    TrialStarted,
)
from ftgui.core.model.device import CPU_ONLY
from ftgui.core.model.doctor import gpu_diagnosis
from ftgui.gui.shared.elided_label import ElidedLabel
from ftgui.gui.shared.event_handlers import EventView, handles
from ftgui.gui.shared.tasks import BackgroundTask
from ftgui.gui.train.setting_widgets import window_words


class RunStatusBar(EventView, QStatusBar):
    """The message on the left; the run folder and the device as permanent labels, each one
    line elided to the room it gets (the whole text in its tooltip)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = ElidedLabel()
        self.folder_label = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle)
        self.device_label = QLabel("Loading TensorFlow…")
        self.gpu_label = QLabel("")  # why an NVIDIA GPU is not used, when one is there
        self.gpu_label.setStyleSheet("color: #c0392b;")
        self.gpu_label.hide()
        self.addWidget(self.message, 1)
        self.addPermanentWidget(self.folder_label)
        self.memory_label = QLabel("")  # GPU memory in use while training on a GPU
        self.memory_label.hide()
        self.addPermanentWidget(self.gpu_label)
        self.addPermanentWidget(self.memory_label)
        self.addPermanentWidget(self.device_label)
        self.running = False
        self.phases = 0  # of the run going on
        self.trial = ""  # "Trial 2 of 6" during a sweep
        self._diagnosis = BackgroundTask(self)
        self._diagnosis.succeeded.connect(self._show_diagnosis)

    @handles(Ready)
    def _ready(self, event: Ready) -> None:
        self.device_label.setText(event.device)
        if event.device == CPU_ONLY and not self.gpu_label.text():
            self._diagnosis.start(lambda state: gpu_diagnosis(gpus_seen=0))

    @handles(Status)
    def _status(self, event: Status) -> None:
        self.message.setText(event.text)

    @handles(TrialStarted)
    def _trial_started(self, event: TrialStarted) -> None:
        self.running, self.trial = True, f"Trial {event.trial} of {event.trials}"
        values = ", ".join(f"{flag}={value}" for flag, value in event.values.items())
        self.message.setText(f"{self.trial}: {values}")

    @handles(TrialEnded)
    def _trial_ended(self, event: TrialEnded) -> None:
        why = f": {window_words(event.error)}" if event.error else ""
        self.message.setText(f"Trial {event.trial} {event.status}{why}")

    @handles(RunStarted)
    def _run_started(self, event: RunStarted) -> None:
        self.device_label.setText(event.device)
        self.folder_label.setText(f"Run folder: {event.run_dir}")
        self.phases = len(event.phases)

    @handles(PhaseStarted)
    def _phase_started(self, event: PhaseStarted) -> None:  # the last phase's steps hold no more
        text = f"phase {event.phase + 1} of {self.phases}: {event.name}"
        self.message.setText(f"{self.trial}: training {text}" if self.trial else f"Training {text}")

    @handles(DeviceMemory)
    def _device_memory(self, event: DeviceMemory) -> None:
        self.memory_label.setText(
            f"{event.device}: {event.current_bytes / 2**30:.1f} GiB in use "
            f"(peak {event.peak_bytes / 2**30:.1f})"
        )
        self.memory_label.show()

    @handles(RunEnded)
    def _run_ended(self, event: RunEnded) -> None:
        self.running = False
        if self.trial:  # a sweep's trial paused or ended: the sweep goes on
            self.message.setText(f"{self.trial}: saved in {event.run_dir}")
            return
        state = "Stopped" if event.stopped else "Finished"
        self.message.setText(f"{state}. Run folder: {event.run_dir}")

    def set_running(self, running: bool) -> None:
        """A run starts (nothing of the last one holds) or its process has gone."""
        if running or self.running:  # a run that ended without RunEnded or a failure
            self.message.setText("")
        self.running, self.trial = running, ""
        self.memory_label.hide()  # the process that held it is not the next one

    def show_failed(self, reason: str, details: object = "") -> None:
        """The run ended with an error: its sentence replaces the step that was going on."""
        if self.running:
            self.running = False
            self.message.setText(f"Failed: {window_words(reason)}")

    def _show_diagnosis(self, sentence: str | None) -> None:
        """One short line (the whole sentence as its tooltip) when a driver is there but unused."""
        if sentence:
            self.gpu_label.setText("GPU not used: see the tooltip or run python main.py doctor")
            self.gpu_label.setToolTip(sentence)
            self.gpu_label.show()

    def show_loading_failed(self) -> None:
        self.device_label.setText("TensorFlow could not be loaded")

    def show_opened_run(self, folder: str) -> None:
        self.message.setText("")
        self.folder_label.setText(f"Showing run: {folder}")
