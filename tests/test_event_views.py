"""Event views declare one handler per event type; `handle` and the run controller's
subscription both follow from that one declaration."""

from __future__ import annotations

import pytest

from ftgui.core.child_process import Ready
from ftgui.core.events import (
    BatchEnded,
    DeviceMemory,
    EpochEnded,
    HealthMeasured,
    PhaseEnded,
    PhaseOutline,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
    TrialEnded,
    TrialStarted,
)
from ftgui.core.settings.config import RunConfig
from ftgui.gui.main_window import MainWindow
from ftgui.gui.shared.app_settings import window_settings
from ftgui.gui.shared.event_handlers import EventView, events_of, handlers_of, handles
from ftgui.gui.train.curves import CurvesWidget
from ftgui.gui.train.dataset_report import DatasetReportNotice
from ftgui.gui.train.health_store import HealthEvents
from ftgui.gui.train.run_controller import RunController
from ftgui.gui.train.run_progress import RunProgress
from ftgui.gui.train.status_bar import RunStatusBar
from ftgui.gui.train.summary_dialog import RunSummaryDialog

ALL_EVENTS = (
    Ready,
    Status,
    RunStarted,
    PhaseStarted,
    BatchEnded,
    EpochEnded,
    HealthMeasured,
    PhaseEnded,
    DeviceMemory,
    RunEnded,
)
STARTED = RunStarted("/runs/r", "CPU only", "d", ["a", "b"], [PhaseOutline("Head", 2, 4, 1, 2)])


class Recorder(EventView):
    """Declares RunStarted on one method, both phase events on another."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    @handles(RunStarted)
    def _run_started(self, event: RunStarted) -> None:
        self.seen.append(("run", event))

    @handles(PhaseStarted, PhaseEnded)
    def _phase(self, event: PhaseStarted | PhaseEnded) -> None:
        self.seen.append(("phase", event))


def test_a_view_handles_exactly_the_types_it_declares():
    assert events_of(Recorder) == (RunStarted, PhaseStarted, PhaseEnded)
    view = Recorder()
    assert events_of(view) == events_of(Recorder)
    handlers = handlers_of(view)
    assert handlers[PhaseStarted] == handlers[PhaseEnded] == view._phase
    assert handlers[RunStarted] == view._run_started


def test_handle_calls_the_declared_method_and_ignores_every_other_type():
    view = Recorder()
    phase, ended = PhaseStarted(0, "Head", 2, 4), PhaseEnded(0, 2, False)
    for event in (Status("x"), STARTED, BatchEnded(0, 0, 1, 4), phase, ended, Ready("CPU")):
        view.handle(event)
    assert view.seen == [("run", STARTED), ("phase", phase), ("phase", ended)]


def test_an_instance_of_a_subclass_of_a_declared_type_is_not_handled():
    class Special(Status):
        pass

    class StatusView(Recorder):
        @handles(Status)
        def _status(self, event: Status) -> None:
            self.seen.append(("status", event))

    view = StatusView()
    view.handle(Special("x"))
    assert view.seen == []


def test_two_handlers_of_one_type_in_one_class_is_an_error():
    with pytest.raises(TypeError, match="handles PhaseStarted twice"):

        class Twice(EventView):
            @handles(PhaseStarted)
            def _one(self, event: PhaseStarted) -> None: ...

            @handles(PhaseStarted)
            def _other(self, event: PhaseStarted) -> None: ...


def test_a_subclass_declaration_replaces_the_inherited_handler():
    class Louder(Recorder):
        @handles(PhaseEnded)
        def _phase_ended(self, event: PhaseEnded) -> None:
            self.seen.append(("ended", event))

    view = Louder()
    ended = PhaseEnded(0, 2, True)
    view.handle(ended)
    assert view.seen == [("ended", ended)]
    assert set(events_of(Louder)) == {RunStarted, PhaseStarted, PhaseEnded}
    assert events_of(Recorder) == (RunStarted, PhaseStarted, PhaseEnded)  # base unchanged


def test_handles_needs_event_classes():
    with pytest.raises(TypeError):
        handles()
    with pytest.raises(TypeError):
        handles("RunStarted")  # type: ignore[arg-type]


def test_a_subscribed_view_receives_its_types_in_order_and_nothing_else(qtbot):
    runs = RunController()
    view = Recorder()
    runs.subscribe_view(view)
    phase = PhaseStarted(0, "Head", 2, 4)
    for event in (Ready("CPU"), Status("x"), STARTED, phase, DeviceMemory("GPU:0", 1, 2)):
        runs.event_received.emit(event)
    assert view.seen == [("run", STARTED), ("phase", phase)]
    assert runs.listeners(Status) == []
    assert runs.listeners(PhaseEnded) == [view._phase]


def test_a_listener_that_raises_is_reported_and_the_others_still_get_the_event(qtbot):
    runs = RunController()
    got: list[object] = []

    def broken(event: object) -> None:
        raise RuntimeError("a view's bug")

    runs.subscribe(broken, Status)
    runs.subscribe(got.append, Status)
    with qtbot.captureExceptions() as raised:
        runs.event_received.emit(Status("next"))
    assert got == [Status("next")]
    assert [type(exc) for _, exc, _ in raised] == [RuntimeError]


def test_the_train_views_declare_the_events_they_draw():
    declared = {
        CurvesWidget: {RunStarted, PhaseStarted, BatchEnded, EpochEnded},
        HealthEvents: {RunStarted, PhaseStarted, HealthMeasured},
        RunProgress: {
            Status,
            RunStarted,
            PhaseStarted,
            BatchEnded,
            EpochEnded,
            PhaseEnded,
            RunEnded,
            TrialStarted,
            TrialEnded,
        },
        RunStatusBar: {
            Ready,
            Status,
            RunStarted,
            PhaseStarted,
            RunEnded,
            DeviceMemory,
            TrialStarted,
            TrialEnded,
        },
        RunSummaryDialog: {RunStarted, PhaseStarted, EpochEnded, RunEnded},
        DatasetReportNotice: {RunStarted},
        MainWindow: {RunStarted, PhaseStarted, RunEnded, TrialStarted},
    }
    for view, types in declared.items():
        assert set(events_of(view)) == types, view.__name__


@pytest.fixture
def window(qtbot):
    window_settings().clear()
    win = MainWindow(RunConfig(weights="none"))
    qtbot.addWidget(win)
    return win


def test_the_window_subscribes_each_view_once_to_each_event_it_declares(window):
    expected: dict[type, list[object]] = {}
    for view in window.event_views():
        for event_type, handler in handlers_of(view).items():
            expected.setdefault(event_type, []).append(handler)
    assert len(window.event_views()) == 8
    for event_type in ALL_EVENTS:
        assert window.runs.listeners(event_type) == expected.get(event_type, []), event_type
    window.runs.event_received.emit(Ready("GPU:0 (test)"))
    window.runs.event_received.emit(STARTED)
    assert window.status.device_label.text() == "CPU only"
    assert window.status.folder_label.full_text() == "Run folder: /runs/r"
    assert window.curves.run_name == "r"
    assert window.progress.maximum() == 8  # 2 epochs of 4 batches
