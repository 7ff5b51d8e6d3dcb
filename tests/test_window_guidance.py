"""The window guides in its own words: control names, ranges, tooltips, dialogs, small screens."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ftgui.core.data.sample import apply_sample_defaults
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.run_folder import HISTORY_FIELDS
from ftgui.gui.file_actions import recent_label, with_suffix
from ftgui.gui.main_window import MainWindow
from ftgui.gui.shared.app_settings import window_settings
from ftgui.gui.train.phase_editor import NAME
from ftgui.gui.train.setting_widgets import window_words


@pytest.fixture
def window(qtbot):
    window_settings().clear()
    config = RunConfig(weights="none")
    apply_sample_defaults(config)
    win = MainWindow(config)
    qtbot.addWidget(win)
    win.show()
    return win


def test_run_folder_holding_a_run_is_refused_in_window_words(window, tmp_path):
    row = ",".join("1" for _ in HISTORY_FIELDS)
    (tmp_path / "history.csv").write_text(",".join(HISTORY_FIELDS) + "\n" + row + "\n")
    window.settings_panel.out_edit.setText(str(tmp_path))
    reason = window.settings_panel.out_reason.text()
    assert "already holds a run" in reason
    assert "Run folder" in reason
    assert "--" not in reason


def test_window_words_translate_flags_and_keep_other_text():
    assert window_words("or pass --weights FILE.") == "or choose Weights → File…"
    assert "--" not in window_words("Dataset folder x does not exist; use --sample.")
    assert window_words("plain sentence") == "plain sentence"


def test_run_folder_placeholder_names_the_runs_folder(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("FTGUI_RUNS_DIR", str(tmp_path / "my-runs"))
    win = MainWindow(RunConfig(weights="none"))
    qtbot.addWidget(win)
    assert str(tmp_path / "my-runs") in win.settings_panel.out_edit.placeholderText()


def test_every_setting_column_and_button_has_a_tooltip(window):
    panel, editor, layers, page = (
        window.settings_panel,
        window.phase_editor,
        window.layers_box,
        window.page,
    )
    controls = [
        panel.image_size,
        panel.batch_size,
        panel.seed,
        panel.validation_split,
        panel.sample_button,
        editor.add_button,
        editor.remove_button,
        editor.up_button,
        editor.down_button,
        layers.freeze_button,
        layers.unfreeze_button,
        layers.book_button,
        page.smooth_box,
        editor.table.cellWidget(0, 1),
        editor.table.cellWidget(0, 2),
        editor.table.cellWidget(0, 3),
    ]
    controls += [b for b in panel.findChildren(type(panel.sample_button)) if b.text() == "…"]
    assert all(control.toolTip() for control in controls)
    assert "32–1,024 px" in panel.image_size.lineEdit().toolTip()
    headers = [editor.table.horizontalHeaderItem(c).toolTip() for c in range(5)]
    assert all(headers) and "range" in headers[1]


def test_a_typed_value_out_of_range_is_clamped_with_a_reason(window, qtbot):
    spin = window.settings_panel.image_size
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "5000")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == spin.maximum()
    reason = window.settings_panel.range_reason.text()
    assert "5000" in reason and "32–1,024 px" in reason
    assert not window.settings_panel.problems()  # Start need not wait for a clamped value


def test_renaming_the_selected_phase_renames_the_layers_title(window):
    window.phase_editor.table.item(0, NAME).setText("Head only")
    assert window.layers_box.title().endswith("Head only")


def test_train_page_fits_1024_by_640_and_empty_plots_count_epochs(window):
    hint = window.page.minimumSizeHint()
    assert hint.width() <= 1024 - 20 and hint.height() <= 640 - 90
    for widget in window.curves.plots.values():
        item = widget.getPlotItem()
        low, high = item.viewRange()[0]
        assert low <= 0 < high and abs(low) < 0.5
        assert high >= sum(p.epochs for p in window.config.phases)
        assert not item.getAxis("bottom").autoSIPrefix


def test_saved_names_get_their_suffix():
    assert with_suffix("/tmp/config", ".json") == "/tmp/config.json"
    assert with_suffix("/tmp/plots.png", ".png") == "/tmp/plots.png"
    assert with_suffix("/tmp/plots", ".png") == "/tmp/plots.png"


def test_recent_marks_runs_and_configurations_differently(tmp_path):
    (tmp_path / "run1").mkdir()
    config = tmp_path / "mine.json"
    config.write_text("{}")
    assert recent_label(str(tmp_path / "run1")).startswith("Run: run1")
    assert recent_label(str(config)).startswith("Config: mine.json")


def test_trained_runs_go_into_recent(window, tmp_path):
    window.files.remember(str(tmp_path))
    assert window.files.recent()[0] == str(Path(tmp_path))
