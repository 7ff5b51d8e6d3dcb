"""The Experiments tab as a person uses it: the runs folder listed off the GUI thread, sorted and
filtered, ticked runs overlaid, the per-run buttons, the export, and the main window's wiring."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from ftgui.core.settings.config import RunConfig
from ftgui.core.views.run_table import read_run_table, run_label
from ftgui.gui.experiments import view as view_module
from ftgui.gui.experiments.overlay import PALETTE
from ftgui.gui.experiments.run_tree import ROW_ROLE
from ftgui.gui.experiments.view import ALL_DATASETS, ExperimentsView
from ftgui.gui.main_window import MainWindow
from ftgui.gui.shared.app_settings import window_settings
from tests.test_run_table import short_config, write_run, write_sweep

TIMEOUT_MS = 10_000


@pytest.fixture
def runs(tmp_path) -> Path:
    """Three cats runs differing in lr-finetune / unfreeze-from, a flowers run, a 2-trial sweep."""
    root = tmp_path / "runs"
    write_run(root / "a", short_config(lr_finetune=1e-5), val_losses=[0.9, 0.6, 0.5, 0.55])
    write_run(root / "b", short_config(lr_finetune=1e-4, unfreeze_from="block5_conv3"),
              val_losses=[0.9, 0.7, 0.4, 0.45])  # fmt: skip
    write_run(root / "c", short_config(lr_finetune=1e-4), epochs=(2, 1), test=None,
              checkpoint=True, val_losses=[0.9, 0.8, 0.7])  # fmt: skip
    write_run(root / "f", short_config(data_dir="/data/flowers", lr_finetune=1e-4))
    sweep = root / "sweep-1"
    write_run(sweep / "t1", short_config(lr_finetune=1e-5, dropout=0.3))
    write_run(sweep / "t2", short_config(lr_finetune=1e-4, dropout=0.3))
    write_sweep(sweep, [("done", "t1", {"lr-finetune": "1e-05"}),
                        ("done", "t2", {"lr-finetune": "0.0001"})])  # fmt: skip
    return root


@pytest.fixture
def view(qtbot, runs) -> ExperimentsView:
    shown = ExperimentsView(root=str(runs))
    qtbot.addWidget(shown)
    shown.resize(1200, 800)
    shown.show()  # showing the tab reads the folder
    qtbot.waitUntil(lambda: not shown.is_reading(), timeout=TIMEOUT_MS)
    return shown


def headers(view: ExperimentsView) -> list[str]:
    """The shown columns' headers, each on one line."""
    model = view.model
    return [
        model.headerData(c, Qt.Orientation.Horizontal).replace("-\n", "-").replace("\n", " ")
        for c in range(model.columnCount())
        if not view.tree.isColumnHidden(c)
    ]


def shown_names(view: ExperimentsView) -> list[str]:
    """The Run column top to bottom, trials indented by two spaces."""
    proxy, names = view.proxy, []
    for top in range(proxy.rowCount()):
        index = proxy.index(top, 0)
        names.append(index.data())
        names += ["  " + proxy.index(r, 0, index).data() for r in range(proxy.rowCount(index))]
    return names


def tick(view: ExperimentsView, qtbot, names: list[str]) -> None:
    folders = [str(Path(view.root) / name) for name in names]
    view.tick(folders)
    qtbot.waitUntil(lambda: len(view.overlay.runs) == len(folders), timeout=TIMEOUT_MS)


def select(view: ExperimentsView, name: str) -> None:
    for item in view.model.run_items():
        if Path(item.data(ROW_ROLE).folder).name == name:
            view.tree.setCurrentIndex(view.proxy.mapFromSource(item.index()))
            return
    raise AssertionError(name)


def test_the_table_lists_runs_and_groups_a_sweeps_trials_under_it(view):
    names = shown_names(view)
    assert sorted(n for n in names if not n.startswith("  ") and "sweep" not in n) == [
        "a",
        "b",
        "c",
        "f",
    ]
    assert "sweep-1 (2 trials)" in names
    assert names[names.index("sweep-1 (2 trials)") + 1 :][:2] == ["  trial 2", "  trial 1"]
    assert "5 runs" not in view.summary.text() and "6 runs (1 sweep)" in view.summary.text()


def test_the_tree_and_its_filter_are_well_behaved_models(view, qtmodeltester):
    view.dataset_box.setCurrentText("cats")
    qtmodeltester.check(view.proxy)
    qtmodeltester.check(view.model)


def test_only_the_settings_that_differ_are_columns(view):
    settings = ["dropout", "lr-finetune", "unfreeze-from"]
    after = ["Best val loss", "Best val acc", "Test acc", "Time", "Status"]
    assert headers(view) == ["Run", "Date", "Dataset", *settings, *after]
    assert view.model.settings == settings


def test_sorting_by_best_validation_loss_puts_the_lowest_run_first(view):
    column = headers(view).index("Best val loss")
    view.tree.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    first = view.proxy.index(0, column)
    assert first.data() == "0.4000"  # run b, above the sweep's 0.5 and a's 0.5
    assert view.proxy.index(0, 0).data() == "b"


def test_the_dataset_filter_shows_one_datasets_runs_and_only_its_differing_settings(view, qtbot):
    assert [view.dataset_box.itemText(i) for i in range(view.dataset_box.count())] == [
        ALL_DATASETS,
        "cats",
        "flowers",
    ]
    view.dataset_box.setCurrentText("flowers")
    assert shown_names(view) == ["f"]
    assert "lr-finetune" not in headers(view)  # one run: nothing differs
    view.dataset_box.setCurrentText("cats")
    assert "f" not in shown_names(view) and "  trial 1" in shown_names(view)
    view.dataset_box.setCurrentText(ALL_DATASETS)
    assert "f" in shown_names(view)


def test_reading_the_runs_folder_never_blocks_the_gui_thread(qtbot, runs, monkeypatch):
    release = threading.Event()

    def slow_read(root, progress=None):
        release.wait(10)
        return read_run_table(root, progress)

    monkeypatch.setattr(view_module, "read_run_table", slow_read)
    shown = ExperimentsView(root=str(runs))
    qtbot.addWidget(shown)
    started = time.perf_counter()
    shown.show()
    assert time.perf_counter() - started < 2  # the read waits on another thread
    assert shown.is_reading() and "Reading" in shown.summary.text()
    release.set()
    qtbot.waitUntil(lambda: not shown.is_reading(), timeout=TIMEOUT_MS)
    assert "a" in shown_names(shown)


def test_refresh_finds_a_new_run_and_keeps_the_ticks(view, qtbot, runs):
    tick(view, qtbot, ["a"])
    write_run(runs / "d", short_config(lr_finetune=3e-4))
    view.refresh_button.click()
    qtbot.waitUntil(lambda: not view.is_reading() and "d" in shown_names(view), timeout=TIMEOUT_MS)
    assert [Path(row.folder).name for row in view.ticked_rows()] == ["a"]


def test_ticked_runs_are_overlaid_in_their_own_colours_named_by_what_differs(view, qtbot, runs):
    tick(view, qtbot, ["a", "b", "c"])
    drawn = view.overlay.runs
    rows = {Path(r.folder).name: r for r in read_run_table(runs).runs}
    flags = ["lr-finetune", "unfreeze-from"]
    assert [run.label for run in drawn] == [run_label(rows[n], flags) for n in ("a", "b", "c")]
    assert drawn[1].label == "lr-finetune=0.0001, unfreeze-from=block5_conv3"
    assert len({run.colour for run in drawn}) == 3 and {run.colour for run in drawn} <= set(PALETTE)
    assert [run.curves.best_epoch for run in drawn] == [3, 3, 3]
    assert view.overlay.legend.labels == [run.label for run in drawn]
    loss = view.overlay.plots["loss"].getPlotItem()
    boundaries = [i for i in loss.items if type(i).__name__ == "InfiniteLine"]
    assert sorted(line.value() for line in boundaries) == [2, 2, 2]  # fine-tuning starts
    stars = [i for i in loss.items if type(i).__name__ == "ScatterPlotItem"]
    assert sorted((s.data["x"][0], s.data["y"][0]) for s in stars) == [(3, 0.4), (3, 0.5), (3, 0.7)]


def test_ticking_a_sweep_overlays_every_trial_and_colours_stay_with_their_runs(view, qtbot):
    tick(view, qtbot, ["a"])
    colour_a = view.overlay.runs[0].colour
    sweep = next(i for i in view.model.findItems("sweep-1 (2 trials)"))
    sweep.setCheckState(Qt.CheckState.Checked)
    qtbot.waitUntil(lambda: len(view.overlay.runs) == 3, timeout=TIMEOUT_MS)
    assert view.overlay.runs[0].colour == colour_a
    assert view.overlay.runs[1].label == "dropout=0.3, lr-finetune=1e-05"
    colours = {
        Path(item.data(ROW_ROLE).folder).name: item.data(Qt.ItemDataRole.DecorationRole)
        for item in view.model.run_items()
    }
    assert colours["a"].name() == colour_a  # the table shows each ticked run's colour
    assert colours["b"] is None


def test_resume_is_offered_only_for_a_stopped_run_and_the_buttons_say_which_folder(view, qtbot):
    buttons = view.buttons
    select(view, "a")
    assert not buttons.resume_button.isEnabled() and buttons.open_button.isEnabled()
    select(view, "c")
    assert buttons.resume_button.isEnabled()
    for button, signal, suffix in (
        (buttons.resume_button, view.resume_requested, "c"),
        (buttons.open_button, view.open_requested, "c"),
        (buttons.settings_button, view.settings_requested, "c/config.json"),
    ):
        with qtbot.waitSignal(signal, timeout=1000) as sent:
            button.click()
        assert sent.args[0] == str(Path(view.root) / suffix)
    view.set_running(True)
    assert not buttons.resume_button.isEnabled() and not buttons.settings_button.isEnabled()


def test_show_folder_opens_the_run_folder(view, monkeypatch):
    opened = []
    monkeypatch.setattr("ftgui.gui.experiments.run_buttons.QDesktopServices.openUrl", opened.append)
    select(view, "b")
    view.buttons.folder_button.click()
    assert [url.toLocalFile() for url in opened] == [str(Path(view.root) / "b")]


def test_the_overlay_exports_as_png_and_as_svg_vectors(view, qtbot, tmp_path):
    tick(view, qtbot, ["a", "b"])
    assert view.export(str(tmp_path / "runs.png"))
    png = QImage(str(tmp_path / "runs.png"))
    assert (png.width(), png.height()) == (view.overlay.width(), view.overlay.height())
    assert view.export(str(tmp_path / "runs.svg"))
    assert QSvgRenderer(str(tmp_path / "runs.svg")).isValid()
    text = (tmp_path / "runs.svg").read_text(encoding="utf-8")
    drawn = QImage(png.size(), QImage.Format.Format_ARGB32)
    drawn.fill(Qt.GlobalColor.white)
    painter = QPainter(drawn)
    QSvgRenderer(str(tmp_path / "runs.svg")).render(painter)
    painter.end()
    legend = view.overlay.legend.geometry()  # the legend travels with the plots (text may be
    inked = sum(  # written as glyph outlines, so look at what the SVG draws there)
        drawn.pixelColor(x, y).value() < 128
        for x in range(legend.left(), legend.right(), 2)
        for y in range(legend.top(), legend.bottom(), 2)
    )
    assert inked > 50, inked
    shapes = [
        e.tag
        for e in ET.parse(tmp_path / "runs.svg").iter()
        if e.tag.endswith(("path", "polyline"))
    ]
    assert len(shapes) > 20 and "<image" not in text  # curves and stars as vectors, no bitmap


@pytest.fixture
def window(qtbot, runs, monkeypatch):
    monkeypatch.setenv("FTGUI_RUNS_DIR", str(runs))
    window_settings().clear()
    win = MainWindow(RunConfig())
    qtbot.addWidget(win)
    win.show()
    win.tabs.setCurrentWidget(win.experiments)
    qtbot.waitUntil(lambda: not win.experiments.is_reading(), timeout=TIMEOUT_MS)
    return win


def test_the_window_has_an_experiments_tab_listing_the_runs_folder(window):
    tab = window.tabs.indexOf(window.experiments)
    assert window.tabs.tabText(tab) == "E&xperiments"
    assert "b" in shown_names(window.experiments)


def test_open_shows_the_run_in_results_and_its_curves_in_train(window, qtbot, runs):
    select(window.experiments, "b")
    window.experiments.buttons.open_button.click()
    assert window.tabs.currentWidget() is window.results
    qtbot.waitUntil(lambda: len(window.curves.timeline.phases) == 2, timeout=TIMEOUT_MS)
    assert [len(p.epoch_x) for p in window.curves.timeline.phases] == [2, 2]


def test_use_these_settings_loads_the_runs_config_into_the_train_tab(window, qtbot):
    select(window.experiments, "b")
    window.experiments.buttons.settings_button.click()
    assert window.tabs.currentWidget() is window.page
    config = window.current_config()
    assert config.phases[1].learning_rate == pytest.approx(1e-4)
    assert config.phases[1].trainable_layers[0] == "block5_conv3"
    assert config.out_dir is None  # a new run goes to a new folder


def test_resume_goes_through_the_file_menus_check(window, qtbot):
    select(window.experiments, "c")
    window.experiments.buttons.resume_button.click()
    assert window.tabs.currentWidget() is window.page
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=TIMEOUT_MS)
    assert "cannot be resumed" in window.last_error.text()  # c's checkpoint is not a real one
    assert not window.is_running()


@pytest.mark.slow
def test_a_real_finished_run_is_listed_and_overlaid(qtbot, cats_run):
    shown = ExperimentsView(root=str(cats_run.parent))
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitUntil(lambda: not shown.is_reading(), timeout=TIMEOUT_MS)
    assert "run" in shown_names(shown)
    select(shown, "run")
    assert shown.buttons.open_button.isEnabled() and not shown.buttons.resume_button.isEnabled()
    tick(shown, qtbot, ["run"])
    (drawn,) = shown.overlay.runs
    assert drawn.label == "run" and len(drawn.curves.x) == 2
