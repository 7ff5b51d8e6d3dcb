"""The Predict tab's CSV, filter count and problem line, and the export dialog's result line and
file dialogs, driven with the analysis process's answers fed in directly (no TensorFlow)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from ftgui.core.analysis.predict import Prediction, csv_header
from ftgui.core.data.scan import REPORT_FILE
from ftgui.core.export.artifacts import ExportResult
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.run_folder import CONFIG_FILE, MODEL_FILE
from ftgui.gui.analysis_client import AnalysisClient
from ftgui.gui.export_dialog import ExportDialog
from ftgui.gui.predict.view import PredictView

CLASSES = ["cats", "dogs"]
CONFIDENCES = (0.55, 0.6, 0.62, 0.65, 0.68, 0.75, 0.8, 0.85, 0.9, 0.92, 0.95, 0.99)


class RecordingClient(AnalysisClient):
    """Records requests instead of starting the analysis process; tests emit its answers."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, tuple]] = []

    def predict(self, *args: object) -> None:
        self.requests.append(("predict", args))

    def export(self, *args: object) -> None:
        self.requests.append(("export", args))


@pytest.fixture(autouse=True)
def fresh_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No remembered folders, an existing runs folder, and a working folder of its own."""
    monkeypatch.setenv("FTGUI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FTGUI_RUNS_DIR", str(tmp_path / "runs"))
    (tmp_path / "runs").mkdir()
    (tmp_path / "source").mkdir()
    monkeypatch.chdir(tmp_path / "source")
    return tmp_path / "runs"


@pytest.fixture
def run_dir(fresh_places: Path) -> Path:
    """A run folder with its settings, class names and a (stand-in) final model."""
    folder = fresh_places / "run1"
    folder.mkdir()
    RunConfig(out_dir=str(folder)).save(folder / CONFIG_FILE)
    (folder / REPORT_FILE).write_text(json.dumps({"class_names": CLASSES}))
    (folder / MODEL_FILE).write_bytes(b"")
    return folder


@pytest.fixture
def view(qtbot, run_dir: Path) -> PredictView:
    view = PredictView(RecordingClient())
    qtbot.addWidget(view)
    view.set_run(str(run_dir))
    qtbot.waitUntil(lambda: view.model_combo.count() > 0, timeout=5000)
    return view


@pytest.fixture
def dialog(qtbot, run_dir: Path) -> ExportDialog:
    dialog = ExportDialog(RecordingClient())
    qtbot.addWidget(dialog)
    dialog.set_run(str(run_dir), ["final", "best_1_train-top"])
    return dialog


def twelve_predictions(folder: Path) -> list[Prediction]:
    found = []
    for n, confidence in enumerate(CONFIDENCES):
        k = n % 2
        probabilities = (confidence, 1 - confidence) if k == 0 else (1 - confidence, confidence)
        found.append(Prediction(str(folder / f"img_{n:02}.png"), k, confidence, probabilities))
    return found


def filter_below(view: PredictView, below: float) -> None:
    view.below_spin.setValue(below)
    view.below_box.setChecked(True)


def capture(monkeypatch: pytest.MonkeyPatch, name: str, answers: list) -> list[str]:
    """Replace `QFileDialog.<name>` by one that records its start folder and gives `answers`."""
    starts: list[str] = []

    def fake(parent: object, caption: str, start: str = "", *rest: object) -> object:
        starts.append(start)
        return answers.pop(0)

    monkeypatch.setattr(QFileDialog, name, fake)
    return starts


# -- 6: the CSV, the filter's count and the problem line --------------------------------------
def test_export_csv_writes_every_row_though_the_filter_shows_five(
    view, tmp_path, monkeypatch
) -> None:
    predictions = twelve_predictions(tmp_path)
    view.client.predicted.emit(predictions, [])
    filter_below(view, 0.7)
    assert view.proxy.rowCount() == 5
    out = tmp_path / "out" / "p.csv"
    out.parent.mkdir()
    capture(monkeypatch, "getSaveFileName", [(str(out), "CSV (*.csv)")])
    view.export_button.click()
    with out.open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == csv_header(CLASSES) == ["path", "predicted", "confidence", "p:cats", "p:dogs"]
    assert [row[0] for row in rows[1:]] == [p.path for p in predictions]
    assert [float(row[2]) for row in rows[1:]] == list(CONFIDENCES)


def test_the_filter_says_how_many_of_the_rows_it_shows(view, tmp_path) -> None:
    view.client.predicted.emit(twelve_predictions(tmp_path), [])
    assert view.shown_label.isHidden()
    filter_below(view, 0.7)
    assert not view.shown_label.isHidden()
    assert view.shown_label.text() == "5 of 12 shown"
    view.below_spin.setValue(0.9)
    assert view.shown_label.text() == "8 of 12 shown"
    view.client.predicted.emit([], [])  # more rows arriving keep the count true
    view.below_box.setChecked(False)
    assert view.shown_label.isHidden()


def test_one_unusable_file_is_named_with_its_reason_in_the_singular(view, tmp_path) -> None:
    broken = str(tmp_path / "broken.jpg")
    view.client.predicted.emit(
        twelve_predictions(tmp_path), [{"path": broken, "reason": "not an image"}]
    )
    text = view.problems_label.text()
    assert text.startswith("1 file could not be used: broken.jpg (not an image).")
    assert "1 files" not in text
    assert "12 images were predicted" in text
    assert broken in view.problems_label.toolTip()


def test_many_unusable_files_name_three_and_the_tooltip_lists_them_all(view, tmp_path) -> None:
    problems = [{"path": str(tmp_path / f"bad{n}.png"), "reason": f"reason {n}"} for n in range(7)]
    view.client.predicted.emit([], problems)
    text = view.problems_label.text()
    assert text.startswith("7 files could not be used: bad0.png (reason 0); bad1.png (reason 1)")
    assert "bad2.png (reason 2) and 4 more" in text and "bad3.png" not in text
    tooltip = view.problems_label.toolTip().splitlines()
    assert tooltip == [f"{p['path']}: {p['reason']}" for p in problems]
    view.client.predicted.emit(twelve_predictions(tmp_path), [])
    view.predict([str(tmp_path)])
    assert view.problems_label.isHidden() and view.problems_label.toolTip() == ""


# -- 13: the export dialog's result line belongs to its format and model ----------------------
def fake_result(folder: Path) -> ExportResult:
    return ExportResult(folder, folder / "saved_model.pb", 5_000_000, 2.0, 1.0, "TF", 1e-7, "x")


def choose(dialog: ExportDialog, fmt: str) -> None:
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData(fmt))


def test_a_result_line_leaves_with_its_format_and_model_and_comes_back_with_them(
    dialog, tmp_path
) -> None:
    hint = dialog.message.text()
    choose(dialog, "savedmodel")
    dialog.export_button.click()
    assert dialog.client.requests[-1][1][1:3] == ("final", "savedmodel")
    dialog.client.exported.emit(fake_result(tmp_path / "savedmodel"))
    wrote = dialog.message.text()
    assert wrote.startswith("✓ Wrote") and "savedmodel" in wrote
    choose(dialog, "tflite")
    assert dialog.message.text() == hint
    choose(dialog, "savedmodel")
    assert dialog.message.text() == wrote
    dialog.model_combo.setCurrentIndex(1)
    assert dialog.message.text() == hint


def test_an_export_that_ends_after_the_format_changed_keeps_its_line_to_its_format(
    dialog, tmp_path
) -> None:
    choose(dialog, "savedmodel")
    dialog.export_button.click()
    choose(dialog, "onnx")
    dialog.client.export_status.emit("Checking with ONNX Runtime…")
    dialog.client.export_failed.emit("The folder is not empty.", "")
    assert "not empty" not in dialog.message.text()
    assert dialog.export_button.isEnabled()
    choose(dialog, "savedmodel")
    assert dialog.message.text() == "✗ The folder is not empty."


# -- 7: file dialogs open in the runs folder, then where that kind of dialog last chose -------
def test_export_csv_opens_in_the_runs_folder_then_where_the_last_csv_went(
    view, tmp_path, monkeypatch, fresh_places
) -> None:
    view.client.predicted.emit(twelve_predictions(tmp_path), [])
    chosen = tmp_path / "tables" / "p.csv"
    chosen.parent.mkdir()
    starts = capture(monkeypatch, "getSaveFileName", [(str(chosen), ""), ("", "")])
    view.export_button.click()
    view.export_button.click()
    assert Path(starts[0]).parent == fresh_places != Path.cwd()
    assert Path(starts[1]).parent == chosen.parent


def test_add_images_and_add_folder_open_where_the_last_images_were_chosen(
    view, tmp_path, monkeypatch, fresh_places
) -> None:
    photos = tmp_path / "photos" / "batch1"
    photos.mkdir(parents=True)
    image = str(photos / "a.png")
    files = capture(monkeypatch, "getOpenFileNames", [([], ""), ([image], "")])
    folders = capture(monkeypatch, "getExistingDirectory", [str(photos.parent), ""])
    view.add_files_button.click()
    assert files[0] == str(fresh_places) != str(Path.cwd())
    view.add_files_button.click()
    assert view.client.requests[-1] == ("predict", (str(view.run_dir), "final", [image]))
    view.client.predicted.emit([], [])  # the answer, so the buttons are enabled again
    view.add_folder_button.click()
    assert folders[0] == str(photos)
    view.client.predicted.emit([], [])
    view.add_folder_button.click()
    assert folders[1] == str(photos.parent)


def test_export_pickers_open_in_the_runs_folder_then_beside_the_last_export(
    dialog, tmp_path, monkeypatch, fresh_places
) -> None:
    exports = tmp_path / "exports"
    (exports / "savedmodel").mkdir(parents=True)
    folders = capture(monkeypatch, "getExistingDirectory", [str(exports / "savedmodel"), ""])
    files = capture(monkeypatch, "getSaveFileName", [("", "")])
    choose(dialog, "savedmodel")
    dialog.browse_button.click()
    assert folders[0] == str(fresh_places) != str(Path.cwd())
    assert dialog.out_edit.text() == str(exports / "savedmodel")
    dialog.browse_button.click()
    assert folders[1] == str(exports)
    choose(dialog, "script")
    dialog.browse_button.click()
    assert files == [str(exports / "recipe.py")]
