"""The layer table's Health column, its legend and a clicked layer's plot: live, on a new run,
and for an opened run folder (events fed directly; nothing trains)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ftgui.core.events import (
    EpochEnded,
    HealthMeasured,
    LayerHealth,
    PhaseOutline,
    PhaseStarted,
    RunStarted,
    history_events,
)
from ftgui.core.settings.layer_plan import LayerPlan
from ftgui.core.views.layer_health import HealthHistory, bar_fraction, ratio_text
from ftgui.core.views.opened_run import with_health
from ftgui.gui.train.health_column import BAND_COLOURS, HEALTH_ROLE
from ftgui.gui.train.layer_table import HEALTH
from ftgui.gui.train.layers_box import LayersBox

HEAD_ONLY: set[str] = set()
BLOCK5 = {"block5_conv1", "block5_conv2", "block5_conv3", "block5_pool"}
HARDLY, HEALTHY, TOO_FAST = (BAND_COLOURS[name] for name in BAND_COLOURS)


def health(phase: int, epoch: int, ratios: dict[str, float]) -> HealthMeasured:
    rows = tuple(
        LayerHealth(phase, epoch, layer, 30.0 + i, ratio, 5.0 + i)
        for i, (layer, ratio) in enumerate(ratios.items())
    )
    return HealthMeasured(phase, epoch, rows)


def run_started(*epochs: int) -> RunStarted:
    outlines = [PhaseOutline(f"phase{i}", n, 4, 0, 0) for i, n in enumerate(epochs)]
    return RunStarted("/tmp/run", "CPU", "data", ["a", "b"], outlines)


def make_box(qtbot, trainable: set[str], phase: int | None = None) -> LayersBox:
    box = LayersBox()
    qtbot.addWidget(box)
    box.resize(560, 700)
    box.show()
    box.show_plan(LayerPlan(64, 2, set(trainable)), "Layers", phase)
    return box


def row_of(box: LayersBox, layer: str) -> int:
    model = box.model
    return next(r for r in range(model.rowCount()) if model.layer_name(r) == layer)


def cell(box: LayersBox, layer: str, role: int = Qt.ItemDataRole.DisplayRole):
    return box.model.index(row_of(box, layer), HEALTH).data(role)


def cell_colours(box: LayersBox, layer: str) -> set[str]:
    """Every colour painted in the layer's Health cell."""
    index = box.model.index(row_of(box, layer), HEALTH)
    box.view.scrollTo(index)
    rect = box.view.visualRect(index)
    image = box.view.viewport().grab(rect).toImage()
    return {
        image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())
    }


def click(qtbot, box: LayersBox, layer: str) -> None:
    index = box.model.index(row_of(box, layer), 2)
    box.view.scrollTo(index)
    qtbot.mouseClick(
        box.view.viewport(), Qt.MouseButton.LeftButton, pos=box.view.visualRect(index).center()
    )


# -- the numbers (no Qt) ---------------------------------------------------------------------


def test_history_keeps_each_phases_latest_and_falls_back_to_the_latest_phase():
    history = HealthHistory()
    history.add(health(0, 0, {"dense": 1e-3}).layers)
    history.add(health(0, 1, {"dense": 2e-3}).layers)
    history.add(health(1, 0, {"dense": 3e-5, "block5_conv1": 4e-4}).layers)
    assert history.latest("dense", 0).update_ratio == 2e-3
    assert history.latest("dense", 1).update_ratio == 3e-5
    assert history.latest("dense", 5).update_ratio == 3e-5  # no phase 6 yet: the latest
    assert history.latest("block5_conv1", 0).update_ratio == 4e-4
    assert history.latest("flatten") is None and not history.has("flatten")
    history.add(health(0, 1, {"dense": 5e-3}).layers)  # a replayed epoch replaces its row
    assert history.series("dense").ratio == [1e-3, 5e-3, 3e-5]


def test_epochs_lie_on_the_run_timeline_after_each_phases_planned_epochs():
    history = HealthHistory()
    history.plan_phase(0, "Train classifier", 3)
    history.plan_phase(1, "Fine-tune", 2)
    for epoch in range(2):  # phase 1 stopped after 2 of its 3 epochs
        history.add(health(0, epoch, {"dense": 1e-3}).layers)
    history.add(health(1, 0, {"dense": 1e-4}).layers)
    series = history.series("dense")
    assert series.x == [1, 2, 4] and series.phase == [0, 0, 1]
    assert history.phase_starts() == [(0, 0.0), (1, 3.0)] and history.extent() == 5
    unplanned = HealthHistory()  # an old run without planned epochs: what was measured
    for phase, epoch in ((0, 0), (0, 1), (1, 0)):
        unplanned.add(health(phase, epoch, {"dense": 1e-3}).layers)
    assert unplanned.series("dense").x == [1, 2, 3]


def test_the_bar_is_logarithmic_from_1e_6_to_1_and_numbers_keep_two_digits():
    assert bar_fraction(1e-6) == 0 and bar_fraction(1.0) == 1
    assert bar_fraction(1e-3) == pytest.approx(0.5)
    assert bar_fraction(1e-9) == 0 and bar_fraction(10) == 1 and bar_fraction(0.0) == 0
    assert ratio_text(3.2e-4) == "3.2e-04"


# -- the column --------------------------------------------------------------------------------


def test_the_health_column_shows_each_band_as_a_number_and_a_bar_in_its_colour(qtbot):
    box = make_box(qtbot, BLOCK5, phase=1)
    assert cell(box, "block5_conv1") is None and box.legend.isHidden()  # nothing measured yet
    ratios = {"block5_conv1": 5e-5, "block5_conv2": 3.2e-4, "block5_conv3": 2e-2}
    box.health.handle(health(1, 0, ratios))
    for (layer, ratio), colour in zip(ratios.items(), (HARDLY, HEALTHY, TOO_FAST), strict=True):
        assert cell(box, layer) == ratio_text(ratio)
        assert cell(box, layer, Qt.ItemDataRole.ForegroundRole).color() == colour
        assert cell(box, layer, HEALTH_ROLE).update_ratio == ratio
        assert colour.name() in cell_colours(box, layer)  # the bar is drawn in its band's colour
        others = {c.name() for c in (HARDLY, HEALTHY, TOO_FAST)} - {colour.name()}
        assert not others & cell_colours(box, layer)
    tip = cell(box, "block5_conv2", Qt.ItemDataRole.ToolTipRole)
    assert "block5_conv2: phase 2, epoch 1" in tip and "3.2e-04" in tip and "healthy" in tip
    assert "weight norm 31" in tip and "gradient norm 6" in tip
    assert "destroy pretrained" in cell(box, "block5_conv3", Qt.ItemDataRole.ToolTipRole)
    assert box.legend.isVisible() and set(box.legend.labels) == {
        "hardly learning",
        "healthy",
        "too fast",
    }


def test_frozen_layers_and_layers_without_weights_show_nothing(qtbot):
    box = make_box(qtbot, HEAD_ONLY, phase=0)
    box.health.handle(health(0, 0, {"dense": 1e-3, "predictions": 2e-3}))
    box.health.handle(health(1, 0, {"block5_conv1": 1e-3, "dense": 1e-4}))
    assert cell(box, "dense") == "1.0e-03"
    assert cell(box, "block5_conv1") is None  # frozen in the phase shown
    assert cell(box, "block5_conv1", Qt.ItemDataRole.ToolTipRole) is None
    assert cell(box, "flatten") is None and cell(box, "block5_pool") is None
    assert not {HARDLY.name(), HEALTHY.name()} & cell_colours(box, "block5_conv1")


def test_each_phase_shows_its_own_health_and_a_phase_not_measured_yet_the_latest(qtbot):
    box = make_box(qtbot, BLOCK5, phase=0)
    box.health.handle(health(0, 0, {"dense": 2e-3}))
    box.health.handle(health(0, 1, {"dense": 3e-3}))
    box.health.handle(health(1, 0, {"dense": 4e-5, "block5_conv1": 5e-4}))
    assert cell(box, "dense") == "3.0e-03"
    box.show_plan(LayerPlan(64, 2, set(BLOCK5)), "phase 2", 1)
    assert cell(box, "dense") == "4.0e-05" and cell(box, "block5_conv1") == "5.0e-04"
    box.show_plan(LayerPlan(64, 2, set(BLOCK5)), "phase 3", 2)
    assert cell(box, "dense") == "4.0e-05"


def test_a_new_run_clears_the_column_the_legend_and_the_plot(qtbot):
    box = make_box(qtbot, HEAD_ONLY)
    box.health.handle(health(0, 0, {"dense": 2e-3}))
    click(qtbot, box, "dense")
    assert box.plot.isVisible() and box.legend.isVisible()
    box.health.handle(run_started(2, 2))
    assert cell(box, "dense") is None
    assert box.legend.isHidden() and box.plot.isHidden() and box.plot.layer is None


# -- the plot ----------------------------------------------------------------------------------


def test_clicking_a_layer_plots_its_ratio_across_both_phases_on_the_run_timeline(qtbot):
    box = make_box(qtbot, BLOCK5, phase=1)
    assert box.plot.isHidden()
    events = [run_started(3, 2), PhaseStarted(0, "Train classifier", 3, 4)]
    events += [health(0, e, {"dense": r}) for e, r in enumerate((8e-3, 4e-3, 2e-3))]
    events += [PhaseStarted(1, "Fine-tune", 2, 4), health(1, 0, {"dense": 6e-5})]
    for event in events:
        box.health.handle(event)
    click(qtbot, box, "flatten")  # no weights: nothing to plot
    assert box.plot.isHidden()
    click(qtbot, box, "dense")
    plot = box.plot
    assert plot.isVisible() and plot.layer == "dense" and "dense" in plot.title.text()
    assert list(plot.points.xData) == [1, 2, 3, 4]
    assert list(plot.points.yData) == pytest.approx([8e-3, 4e-3, 2e-3, 6e-5])
    assert [line.value() for line in plot.phase_lines] == [0, 3]
    assert "Fine-tune" in plot.phase_lines[1].label.format
    low, high = plot.widget.getPlotItem().viewRange()[1]  # log10: both band edges in view
    assert low < -4 and high > -2
    box.health.handle(health(1, 1, {"dense": 7e-5}))  # live: the next epoch joins the plot
    assert list(plot.points.xData) == [1, 2, 3, 4, 5]
    plot.close_button.click()
    assert plot.isHidden()
    click(qtbot, box, "dense")
    assert plot.isVisible()


# -- the window --------------------------------------------------------------------------------


def wire(window) -> None:
    """What main_window does (see the report): the box's health hears the run's events."""
    if window.layers_box.health not in window.event_views():
        window.runs.subscribe_view(window.layers_box.health)


def test_a_live_run_fills_the_column_through_the_run_controller(window, qtbot):
    wire(window)
    box = window.layers_box
    for event in (
        run_started(1, 1),
        PhaseStarted(0, "Train classifier", 1, 4),
        health(0, 0, {"dense": 2e-3, "predictions": 5e-5}),
        EpochEnded(0, 0, 1, {"loss": 0.5}),
    ):
        window.runs.event_received.emit(event)
    assert cell(box, "dense") == "2.0e-03" and cell(box, "predictions") == "5.0e-05"
    assert cell(box, "block5_conv1") is None and box.legend.isVisible()
    window.runs.event_received.emit(run_started(1, 1))
    assert cell(box, "dense") is None


def test_an_opened_run_shows_its_health_and_plots_a_clicked_layer(window, qtbot):
    wire(window)
    rows = [
        {"phase": p, "phase_name": n, "epoch": e, "loss": 1, "accuracy": 0.5}
        | {"val_loss": 1, "val_accuracy": 0.5, "seconds": 1}
        for p, n in ((1, "Train classifier"), (2, "Fine-tune"))
        for e in (1, 2)
    ]
    measured = [
        LayerHealth(p, e, layer, 10.0, ratio, 1.0)
        for p in (0, 1)
        for e in (0, 1)
        for layer, ratio in (("dense", 10 ** -(2 + p + e)), ("block5_conv1", 3e-4))
        if p == 1 or layer == "dense"
    ]
    events = with_health(history_events(rows, [2, 2]), measured)
    assert sum(isinstance(e, HealthMeasured) for e in events) == 4
    box = window.layers_box
    box.health.show_events(events)  # what main_window's _show_run does with them
    box.show_plan(LayerPlan(64, 2, set(BLOCK5)), "phase 2", 1)
    assert cell(box, "dense") == "1.0e-04" and cell(box, "block5_conv1") == "3.0e-04"
    assert cell(box, "dense", Qt.ItemDataRole.ForegroundRole).color() == QColor(HEALTHY)
    click(qtbot, box, "dense")
    assert list(box.plot.points.xData) == [1, 2, 3, 4]
    assert list(box.plot.points.yData) == pytest.approx([1e-2, 1e-3, 1e-3, 1e-4])
