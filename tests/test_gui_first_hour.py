"""A new user's first hour in the window: no stale status lines, opened runs summarised, a small
screen that still shows the layers, progress text that fits, Copies beside Augment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QRect

from ftgui.core.data.sample import apply_sample_defaults
from ftgui.core.events import (
    BatchEnded,
    PhaseOutline,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
)
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.fields import RUN
from ftgui.core.training.run_folder import RunFolder
from ftgui.gui.main_window import MainWindow
from ftgui.gui.shared.app_settings import window_settings
from ftgui.gui.train.phase_editor import TRAINS
from ftgui.gui.train.run_progress import RunProgress

OUTLINES = [PhaseOutline("Train classifier", 2, 4, 10, 20), PhaseOutline("Fine-tune", 3, 4, 30, 0)]
LONG_STATUS = (
    "Computing block4_pool outputs of 3 augmented copies of 1,437 + 360 images once: "
    "1,024/5,751 images, 412 MB in RAM, the rest on disk in the run folder…"
)


@pytest.fixture
def window(qtbot):
    window_settings().clear()  # the speed settings folded, no geometry from an earlier test
    config = RunConfig(weights="none")
    apply_sample_defaults(config)
    win = MainWindow(config)
    qtbot.addWidget(win)
    win.show()
    return win


def settle() -> None:
    for _ in range(3):
        QCoreApplication.processEvents()


def run_handed_over(window: MainWindow) -> None:
    """What starting a run does to the window (`_launch` and the controller), with no process."""
    window.progress.begin()
    window.runs.running_changed.emit(True)


def process_gone(window: MainWindow) -> None:
    """The run's training process has ended, as the controller says it."""
    window.runs.running_changed.emit(False)
    window.runs.idle.emit()


def shown_texts(window: MainWindow) -> list[str]:
    return [window.status.message.full_text(), window.progress.format(), window.progress.text()]


# -- stale status text ---------------------------------------------------------------------


def test_a_failed_download_leaves_its_reason_not_the_download_status(window):
    run_handed_over(window)
    window.runs.event_received.emit(Status("Downloading the ImageNet weights…"))
    assert window.status.message.full_text() == "Downloading the ImageNet weights…"
    assert window.progress.format() == "Downloading the ImageNet weights…"
    window.runs.errored.emit(
        "Cannot download the ImageNet weights (no network); pass --weights FILE.", ""
    )
    process_gone(window)
    assert not any("Downloading" in text for text in shown_texts(window))
    failed = "Failed: Cannot download the ImageNet weights (no network); choose Weights → File…"
    assert window.progress.format() == failed
    assert window.status.message.full_text() == failed
    assert window.progress.maximum() == 1  # no longer busy
    window.last_error.accept()


def test_a_run_failing_mid_phase_drops_its_position_and_eta(window):
    run_handed_over(window)
    for event in (
        RunStarted("/runs/r", "CPU only", "d", ["a", "b"], OUTLINES),
        PhaseStarted(0, "Train classifier", 2, 4),
        BatchEnded(0, 0, 1, 4),
    ):
        window.runs.event_received.emit(event)
    assert "ETA" in window.progress.format()
    window.runs.errored.emit("Training failed: ResourceExhaustedError: OOM", "trace")
    process_gone(window)
    assert window.progress.format() == "Failed: Training failed: ResourceExhaustedError: OOM"
    assert not window.progress._refresh.isActive()  # no ETA coming back a second later
    window.last_error.accept()


def test_a_new_run_clears_the_last_ending_and_a_quiet_end_leaves_ready(window):
    run_handed_over(window)
    window.runs.event_received.emit(RunStarted("/runs/r", "CPU only", "d", ["a", "b"], OUTLINES))
    window.runs.event_received.emit(RunEnded("/runs/r", False, None, "/runs/r/model.keras"))
    process_gone(window)
    assert window.status.message.full_text() == "Finished. Run folder: /runs/r"
    window.summary.close()

    run_handed_over(window)  # nothing of the last run holds any more
    assert window.status.message.full_text() == ""
    assert window.progress.format() == "Starting the run…"
    window.runs.event_received.emit(Status("Loading TensorFlow…"))
    process_gone(window)  # gone with neither an ending nor an error (shut down)
    assert window.status.message.full_text() == ""
    assert window.progress.format() == "Ready"


# -- opening a run folder ------------------------------------------------------------------


def write_run(folder: Path, planned: tuple[int, int], done: tuple[int, int], finished: bool):
    """A run folder as training leaves it (no TensorFlow): config, history, maybe the rest."""
    config = RunConfig(weights="none", out_dir=str(folder))
    apply_sample_defaults(config)
    for phase, epochs in zip(config.phases, planned, strict=True):
        phase.epochs = epochs
    run = RunFolder(folder)
    run.create()
    run.write_config(config)
    for phase, epochs in enumerate(done):
        for epoch in range(epochs):
            logs = {"loss": 1.0, "accuracy": 0.5, "val_loss": 0.9 - 0.1 * epoch + phase}
            logs["val_accuracy"] = 0.6 + 0.1 * epoch
            run.append_history(phase, config.phases[phase].name, epoch, logs, 1.0)
    if finished:
        run.write_test_metrics({"loss": 0.31, "accuracy": 0.875})
        run.model_path.write_bytes(b"")
    return folder


def show_leftovers(window: MainWindow) -> None:
    """The progress line and status of a run that was going: position and ETA."""
    window.progress.handle(RunStarted("/runs/old", "CPU only", "d", ["a", "b"], OUTLINES))
    window.progress.handle(BatchEnded(0, 0, 1, 4))
    window.status.handle(Status("Checking images: 1,797/1,797…"))
    assert "ETA" in window.progress.format()


def test_opening_a_stopped_run_shows_its_summary_and_resets_the_progress_line(
    window, qtbot, tmp_path
):
    show_leftovers(window)
    run = write_run(tmp_path / "stopped", planned=(2, 3), done=(2, 1), finished=False)
    window.files.open_run(str(run))  # read off the GUI thread
    qtbot.waitUntil(window.summary.isVisible, timeout=10_000)
    assert not window.summary.isModal()
    assert window.summary.outcome.text() == "Stopped; every finished epoch is kept."
    assert [window.summary.cell_text(1, c) for c in range(4)] == [
        "1. Train classifier",
        "2 of 2",
        "0.7000",
        "0.8000",
    ]
    assert window.summary.cell_text(2, 1) == "1 · stopped after 1 of 3"
    assert window.summary.folder.toolTip() == str(run)
    assert window.progress.format() == "Opened run: Stopped; every finished epoch is kept."
    assert "ETA" not in window.progress.format() and not window.progress._refresh.isActive()
    assert window.status.message.full_text() == ""
    assert window.status.folder_label.full_text() == f"Showing run: {run}"


def test_a_run_opened_from_recent_shows_its_summary_with_the_test_split(window, qtbot, tmp_path):
    run = write_run(tmp_path / "finished", planned=(2, 1), done=(2, 1), finished=True)
    window.files.remember(str(run))
    show_leftovers(window)
    window.files.recent_menu.actions()[0].trigger()
    qtbot.waitUntil(window.summary.isVisible, timeout=10_000)
    assert window.summary.outcome.text() == "Finished."
    assert window.summary.test.text() == "accuracy 0.8750  ·  loss 0.3100"
    assert window.progress.format() == "Opened run: Finished."
    assert window.progress.value() == window.progress.maximum()


# -- a small screen ------------------------------------------------------------------------


def rows_in_view(window: MainWindow) -> int:
    """Layer rows whole inside the table's viewport, which is itself in the visible window."""
    view = window.layers_box.view
    viewport = view.viewport()
    shown = QRect(viewport.mapTo(window, viewport.rect().topLeft()), viewport.size())
    central = window.centralWidget().geometry()
    column = window.page.editors.viewport()
    in_column = QRect(viewport.mapTo(column, viewport.rect().topLeft()), viewport.size())
    if not (central.contains(shown) and column.rect().contains(in_column)):
        return 0
    model = view.model()
    return sum(
        1
        for row in range(model.rowCount())
        if viewport.rect().contains(view.visualRect(model.index(row, 0)))
    )


def test_at_1024_by_640_six_layer_rows_show_and_nothing_scrolls_sideways(window, qtbot):
    window.resize(1024, 640)
    settle()
    assert window.size().toTuple() == (1024, 640)
    assert window.minimumSizeHint().width() <= 1024
    assert window.page.editors.verticalScrollBar().maximum() == 0  # the column does not scroll
    assert rows_in_view(window) >= 6
    table = window.phase_editor.table
    assert table.horizontalHeader().length() <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0
    assert table.columnWidth(TRAINS) >= table.sizeHintForColumn(TRAINS)
    panel = window.settings_panel
    assert panel.width() >= panel.minimumSizeHint().width()  # no field cut at the right

    panel.speed.set_open(True)  # more settings: they scroll in their own area, layers stay
    settle()
    assert panel.speed.content.isVisible() and rows_in_view(window) >= 6
    assert window.page.settings_area.verticalScrollBar().maximum() > 0


def test_at_1280_by_800_every_setting_shows_without_scrolling(window):
    window.resize(1280, 800)
    settle()
    assert window.page.settings_area.verticalScrollBar().maximum() == 0
    assert window.page.editors.verticalScrollBar().maximum() == 0
    assert rows_in_view(window) >= 6


def test_the_speed_settings_are_folded_at_first_and_stay_as_left(window, qtbot):
    panel = window.settings_panel
    assert not panel.speed.is_open() and not panel.speed.content.isVisibleTo(panel)
    assert "XLA: auto" in panel.speed.summary.full_text()
    assert panel.speed.button.toolTip()
    panel.xla.setCurrentIndex(panel.xla.findData(False))
    assert "XLA: off" in panel.speed.summary.full_text()
    panel.speed.set_open(True)
    again = MainWindow(RunConfig(weights="none"))
    qtbot.addWidget(again)
    assert again.settings_panel.speed.is_open()


# -- long texts ----------------------------------------------------------------------------


def fits(progress: RunProgress) -> bool:
    return progress.fontMetrics().horizontalAdvance(progress.text()) <= progress.text_width()


def test_the_progress_line_elides_to_its_width_with_the_whole_text_in_its_tooltip(window):
    window.resize(1024, 640)
    settle()
    window.runs.event_received.emit(Status(LONG_STATUS))
    progress = window.progress
    assert progress.text() != LONG_STATUS and progress.text().endswith("…")
    assert fits(progress)
    assert progress.format() == progress.toolTip() == LONG_STATUS
    assert progress.height() < 2 * progress.fontMetrics().height() + 12  # one line, no wrap


@pytest.mark.parametrize("width", [90, 240, 600, 1600])
def test_the_progress_text_fits_at_every_width(qtbot, width):
    progress = RunProgress()
    qtbot.addWidget(progress)
    progress.resize(width, 24)
    progress.handle(Status(LONG_STATUS))
    assert fits(progress)
    assert progress.toolTip() == LONG_STATUS
    if width == 1600:
        assert progress.text() == LONG_STATUS


def test_a_long_run_folder_never_widens_the_window(window, tmp_path):
    deep = tmp_path.joinpath(*[f"a-rather-long-folder-name-{i}" for i in range(8)])
    window.status.show_opened_run(str(deep))
    window.runs.event_received.emit(Status(LONG_STATUS))
    window.resize(1024, 640)
    settle()
    assert window.minimumSizeHint().width() <= 1024 and window.width() == 1024
    label = window.status.folder_label
    assert label.full_text().endswith(deep.name) and label.toolTip() == label.full_text()
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()


# -- Copies beside Augment -----------------------------------------------------------------


def test_copies_sits_beside_augment_and_counts_only_while_augment_is_ticked(window):
    panel = window.settings_panel
    copies, augment = panel.augment_copies, panel.augment
    config = RunConfig(weights="none", augment=True, augment_copies=4)
    apply_sample_defaults(config)
    window.load_config(config)
    assert copies.value() == 4 and copies.isEnabled()
    assert copies.toolTip() == RUN["augment_copies"].help
    assert abs(copies.geometry().center().y() - augment.geometry().center().y()) <= 4
    assert copies.geometry().left() > augment.geometry().right()  # on the right of Augment

    augment.setChecked(False)
    assert not copies.isEnabled() and copies.value() == 4  # greyed, not forgotten
    shown = RunConfig()
    panel.apply_to(shown)
    assert (shown.augment, shown.augment_copies, shown.augmenting) == (False, 0, False)

    augment.setChecked(True)
    assert copies.isEnabled()
    panel.apply_to(shown)
    assert (shown.augment, shown.augment_copies) == (True, 4)

    panel.set_running(True)
    assert not copies.isEnabled()
    panel.set_running(False)
    assert copies.isEnabled()
    augment.setChecked(False)
    panel.set_running(True)
    panel.set_running(False)
    assert not copies.isEnabled()


def test_a_config_with_copies_alone_shows_augment_ticked(window, tmp_path):
    path = tmp_path / "config.json"
    config = RunConfig(weights="none", augment_copies=3)
    apply_sample_defaults(config)
    config.save(path)
    assert json.loads(path.read_text())["augment"] is False
    assert window.files.open_config(str(path))
    panel = window.settings_panel
    assert panel.augment.isChecked() and panel.augment_copies.value() == 3
    assert window.current_config().augmenting
