"""The Results tab's detail pane, matrix selection and PNG dialog, on hand-written evaluations.

Two "models" of one run disagree about the same images, so following the chosen model shows in
the numbers; no TensorFlow and no training.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from ftgui.core.analysis.evaluation_files import Evaluation, ImageResult, write_evaluation
from ftgui.core.settings.config import RunConfig
from ftgui.gui.results import view as results_view
from ftgui.gui.results.view import ResultsView
from ftgui.gui.shared import app_settings

CLASSES = ["eights", "sevens", "threes"]
BEST = "best_1_train-classifier"
# (file, true class, final's prediction and confidence, best_1's prediction and confidence)
TEST_IMAGES = [
    ("test_0.png", 0, 0, 0.91, 0, 0.62),
    ("test_1.png", 2, 0, 0.593, 2, 0.505),  # final: eights (wrong); best_1: threes (right)
    ("test_2.png", 2, 0, 0.71, 0, 0.66),
    ("test_3.png", 1, 1, 0.88, 2, 0.51),  # fixed by fine-tuning
    ("test_4.png", 1, 1, 0.77, 1, 0.70),
    ("test_5.png", 0, 2, 0.64, 0, 0.58),  # broken by fine-tuning
]
VALIDATION_IMAGES = [("val_0.png", 0, 0, 0.8), ("val_1.png", 1, 2, 0.6), ("val_2.png", 2, 2, 0.9)]


def evaluation(model: str, split: str, rows: list[tuple[str, int, int, float]]) -> Evaluation:
    """An Evaluation of `rows` (path, true, predicted, confidence), its summary computed."""
    images = []
    for path, label, predicted, confidence in rows:
        rest = (1.0 - confidence) / (len(CLASSES) - 1)
        probabilities = tuple(confidence if k == predicted else rest for k in range(3))
        loss = -math.log(probabilities[label])
        images.append(ImageResult(path, label, predicted, confidence, loss, probabilities))
    confusion = [[0] * len(CLASSES) for _ in CLASSES]
    for image in images:
        confusion[image.label][image.predicted] += 1
    per_class = {}
    for k, name in enumerate(CLASSES):
        support = sum(confusion[k])
        column = sum(row[k] for row in confusion)
        precision = confusion[k][k] / column if column else 0.0
        recall = confusion[k][k] / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    right = sum(image.label == image.predicted for image in images)
    loss = sum(image.loss for image in images) / len(images)
    return Evaluation(
        model, split, CLASSES, right / len(images), loss, confusion, per_class, [], images
    )


def make_run(folder: Path, images: Path, validation: bool = True) -> Path:
    """A run folder with `final` and `best_1` (empty files) and their evaluations."""
    folder.mkdir(parents=True)
    RunConfig().save(folder / "config.json")
    counts = {"train": [2, 2, 2], "validation": [1, 1, 1], "test": [2, 2, 2]}
    report = {"class_names": CLASSES, "counts": counts}
    (folder / "dataset_report.json").write_text(json.dumps(report), encoding="utf-8")
    for name in ("model.keras", f"{BEST}.keras"):
        (folder / name).write_bytes(b"")
    images.mkdir(exist_ok=True)
    for k, (name, *_) in enumerate(TEST_IMAGES + VALIDATION_IMAGES):
        Image.new("RGB", (48, 40), (40 * k % 255, 120, 200 - 20 * k)).save(images / name)
    final = [(str(images / n), t, p, c) for n, t, p, c, _, _ in TEST_IMAGES]
    best = [(str(images / n), t, p, c) for n, t, _, _, p, c in TEST_IMAGES]
    write_evaluation(folder, evaluation("final", "test", final))
    write_evaluation(folder, evaluation(BEST, "test", best))
    if validation:
        rows = [(str(images / n), t, p, c) for n, t, p, c in VALIDATION_IMAGES]
        write_evaluation(folder, evaluation("final", "validation", rows))
    return folder


class FakeClient(QObject):
    """The analysis client's members the Results tab uses; records Grad-CAM requests."""

    gradcam_ready = Signal(object, object)
    gradcam_failed = Signal(object, str)
    evaluation_done = Signal(object)
    evaluation_failed = Signal(str, str)
    status = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str, str, int]] = []

    def request_gradcam(self, key: object, run_dir: str, model: str, path: str, index: int) -> None:
        self.requests.append((run_dir, model, path, index))

    def is_evaluating(self) -> bool:
        return False

    def evaluate(self, run_dir: str, model: str, split: str) -> None:
        pass


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run", tmp_path / "images")


@pytest.fixture
def view(qtbot) -> tuple[ResultsView, FakeClient]:
    client = FakeClient()
    widget = ResultsView(client)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget, client


def open_run(view: ResultsView, qtbot, run_dir: Path) -> None:
    view.show_run(str(run_dir))
    qtbot.waitUntil(lambda: view.evaluation is not None, timeout=5000)


def choose(view: ResultsView, qtbot, model: str | None = None, split: str | None = None) -> None:
    """Pick a model or split (setting the box is enough, as a click or a test does it), and wait
    for that evaluation."""
    for combo, text in ((view.model_combo, model), (view.split_combo, split)):
        if text is not None:
            combo.setCurrentText(text)
    qtbot.waitUntil(lambda: view.evaluation is not None, timeout=5000)
    qtbot.waitUntil(lambda: (view.evaluation.model, view.evaluation.split) == view.selected())


def click_cell(view: ResultsView, qtbot, true: int, predicted: int) -> None:
    rect = view.matrix.visualRect(view.confusion.index(true, predicted))
    qtbot.mouseClick(view.matrix.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def click_image(view: ResultsView, qtbot, name: str) -> None:
    rows = [Path(image.path).name for image in view.gallery.shown()]
    rect = view.gallery.view.visualRect(view.gallery.model.index(rows.index(name)))
    qtbot.mouseClick(view.gallery.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_switching_model_shows_that_models_row_of_the_same_image(view, qtbot, run_dir):
    widget, client = view
    open_run(widget, qtbot, run_dir)
    click_cell(widget, qtbot, 2, 0)  # threes predicted as eights
    click_image(widget, qtbot, "test_1.png")
    assert "0.593" in widget.detail.caption.text()
    choose(widget, qtbot, model=BEST)
    shown = widget.detail.result
    assert shown is not None and Path(shown.path).name == "test_1.png"
    assert (shown.predicted, shown.confidence) == (2, 0.505)
    caption = widget.detail.caption.text()
    assert "0.505" in caption and "0.593" not in caption and "(correct)" in caption
    assert widget.detail.bars.rows[0] == ("threes", 0.505, True)
    assert client.requests[-1][1:] == (BEST, shown.path, 2)  # Grad-CAM of that model
    click_cell(widget, qtbot, 1, 1)  # another cell: still that model's numbers
    assert widget.detail.model == BEST and "0.505" in widget.detail.caption.text()


def test_switching_to_a_split_without_the_image_clears_the_detail(view, qtbot, run_dir):
    widget, _ = view
    open_run(widget, qtbot, run_dir)
    click_cell(widget, qtbot, 2, 0)
    click_image(widget, qtbot, "test_1.png")
    choose(widget, qtbot, split="validation")
    assert widget.detail.result is None
    assert widget.detail.caption.text() == ""
    assert "Click an image" in widget.detail.view.text
    assert not widget.detail.folder_button.isEnabled()


def test_a_model_not_evaluated_on_the_split_clears_the_detail(view, qtbot, run_dir):
    widget, _ = view
    open_run(widget, qtbot, run_dir)
    click_cell(widget, qtbot, 2, 0)
    click_image(widget, qtbot, "test_1.png")
    widget.split_combo.setCurrentText("validation")
    widget.model_combo.setCurrentText(BEST)
    assert "press Evaluate" in widget.summary.text()
    assert widget.detail.result is None and "0.593" not in widget.detail.caption.text()


def test_showing_another_run_clears_the_detail(view, qtbot, run_dir, tmp_path):
    widget, _ = view
    open_run(widget, qtbot, run_dir)
    click_cell(widget, qtbot, 2, 0)
    click_image(widget, qtbot, "test_1.png")
    other = make_run(tmp_path / "run2", tmp_path / "images")  # the same image paths
    widget.show_run(str(other))
    assert widget.detail.result is None  # at once, not once the new run is read
    qtbot.waitUntil(lambda: widget.contents.run_dir == str(other), timeout=5000)
    qtbot.waitUntil(lambda: widget.evaluation is not None, timeout=5000)
    assert widget.detail.result is None and "Click an image" in widget.detail.view.text


def test_a_late_read_of_the_previous_run_is_not_shown(view, qtbot, run_dir, tmp_path, monkeypatch):
    widget, _ = view
    open_run(widget, qtbot, run_dir)
    go = threading.Event()
    read = results_view.read_shown
    monkeypatch.setattr(results_view, "read_shown", lambda *args: go.wait(5) and read(*args))
    widget.model_combo.setCurrentText(BEST)  # read, held back
    empty = make_run(tmp_path / "run2", tmp_path / "images2", validation=False)
    for path in (empty / "evaluation").iterdir():
        path.unlink()
    widget.show_run(str(empty))
    qtbot.waitUntil(lambda: "press Evaluate" in widget.summary.text(), timeout=5000)
    go.set()
    qtbot.wait(200)
    assert widget.evaluation is None and widget.gallery.shown() == []


def test_fine_tuning_lists_clear_the_cell_selection_and_say_what_they_show(view, qtbot, run_dir):
    widget, _ = view
    open_run(widget, qtbot, run_dir)
    click_cell(widget, qtbot, 2, 0)
    selection = widget.matrix.selectionModel()
    assert [(i.row(), i.column()) for i in selection.selectedIndexes()] == [(2, 0)]
    widget.fixed_button.click()
    assert not selection.hasSelection()
    assert [Path(image.path).name for image in widget.gallery.shown()] == ["test_3.png"]
    assert widget.gallery.title_label.text() == f"1 image · fixed by fine-tuning: wrong with {BEST}"
    click_cell(widget, qtbot, 1, 1)
    table = widget.per_class
    rect = table.visualItemRect(table.item(0, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    # every eight: the matrix's row, not the cell clicked before
    assert {(i.row(), i.column()) for i in selection.selectedIndexes()} == {(0, 0), (0, 1), (0, 2)}
    assert "all eights" in widget.gallery.title_label.text()
    widget.broken_button.click()
    assert not selection.hasSelection() and not table.selectionModel().hasSelection()
    assert widget.gallery.title_label.text().endswith(f"broken by fine-tuning: right with {BEST}")


def test_save_matrix_dialog_starts_in_the_plots_folder_it_last_chose(
    view, qtbot, run_dir, tmp_path, monkeypatch
):
    widget, _ = view
    open_run(widget, qtbot, run_dir)
    monkeypatch.setenv("FTGUI_HOME", str(tmp_path / "home"))  # nothing remembered yet
    plots = tmp_path / "plots"
    plots.mkdir()
    asked: list[str] = []

    def save_as(parent, title, start, filters):
        asked.append(start)
        return str(plots / "matrix.png"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    widget.save_matrix_dialog()
    assert Path(asked[0]).parent == Path(app_settings.default_folder())  # not the working folder
    assert asked[0].endswith(".png")
    saved = QImage(str(plots / "matrix.png"))
    shown = widget.confusion.index(2, 0)  # the cell the gallery shows: selected, not drawn so
    assert widget.matrix.selectionModel().isSelected(shown)
    corner = widget.matrix.viewport().mapTo(
        widget.matrix, widget.matrix.visualRect(shown).topLeft()
    )
    colour = widget.confusion.data(shown, Qt.ItemDataRole.BackgroundRole)
    assert saved.pixelColor(corner + QPoint(4, 4)) == colour
    widget.save_matrix_dialog()
    assert Path(asked[1]).parent == plots
