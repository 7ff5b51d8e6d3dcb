"""The run's layer health as the window hears it: live, replayed on resume, or read from an
opened run folder; `changed` tells the layer table and the plot to draw it again."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal

from ftgui.core.events import HealthMeasured, PhaseStarted, RunStarted
from ftgui.core.views.layer_health import HealthHistory
from ftgui.gui.shared.event_handlers import EventView, handles


class HealthEvents(EventView, QObject):
    """An event view holding one run's `HealthHistory`: a new run starts it afresh."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history = HealthHistory()

    @handles(RunStarted)
    def _run_started(self, event: RunStarted) -> None:
        self.history.clear()
        for index, outline in enumerate(event.phases):
            self.history.plan_phase(index, outline.name, outline.epochs)
        self.changed.emit()

    @handles(PhaseStarted)
    def _phase_started(self, event: PhaseStarted) -> None:
        self.history.plan_phase(event.phase, event.name, event.epochs)

    @handles(HealthMeasured)
    def _health_measured(self, event: HealthMeasured) -> None:
        self.history.add(event.layers)
        self.changed.emit()

    def show_events(self, events: Iterable[object]) -> None:
        """Replace what is shown with an opened run's events (`opened_run.read_run`)."""
        self.history.clear()
        blocked = self.blockSignals(True)  # one redraw for the whole run
        try:
            for event in events:
                self.handle(event)
        finally:
            self.blockSignals(blocked)
        self.changed.emit()

    def clear(self) -> None:
        self.history.clear()
        self.changed.emit()
