"""The Results and Predict tabs as a person uses them, on a real run with planted mistakes."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ftgui.core.analysis.evaluation_files import read_evaluation
from ftgui.core.run.whole_run import run
from ftgui.core.settings.config import RunConfig
from ftgui.gui.main_window import MainWindow
from tests.images import make_book_dataset

pytestmark = pytest.mark.slow  # every test here reads a run trained for this module

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory) -> Path:
    """A trained two-class run whose test split has two cats filed as dogs."""
    root = tmp_path_factory.mktemp("results")
    data = make_book_dataset(root / "data", classes=("cats", "dogs"), per_split=(16, 8, 8))
    for name in sorted((data / "test" / "cats").iterdir())[:2]:
        shutil.move(name, data / "test" / "dogs" / f"planted_{name.name}")
    config = RunConfig(
        data_dir=str(data), weights="none", image_size=32, batch_size=8, out_dir=str(root / "run")
    )
    config.phases[0].epochs, config.phases[1].epochs = 4, 1
    config.phases[0].learning_rate = 1e-3
    run(config, lambda event: None)
    return root / "run"


@pytest.fixture
def window(qtbot):
    win = MainWindow(RunConfig())
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    yield win
    win.analysis.close()


@pytest.fixture(scope="module")
def analysis_window(qapp):
    """One window shared by the tests that send work to its analysis process, so that process
    (a TensorFlow import, about 10 s) starts once for them all, as it does in a session of the
    app; each test opens what it needs itself."""
    win = MainWindow(RunConfig())
    win.resize(1280, 800)
    win.show()
    yield win
    win.close()  # stops the analysis process
    win.deleteLater()


def open_results(window: MainWindow, qtbot, run_dir: Path) -> None:
    window.files.open_run(str(run_dir))
    window.tabs.setCurrentWidget(window.results)
    qtbot.waitUntil(lambda: window.results.evaluation is not None, timeout=10_000)


def test_opening_a_run_shows_its_confusion_matrix_without_tensorflow(window, qtbot, planted_run):
    open_results(window, qtbot, planted_run)
    stored = read_evaluation(planted_run, "final", "test")
    shown = window.results.evaluation
    assert (shown.model, shown.split) == ("final", "test")
    assert window.results.confusion.counts.tolist() == stored.confusion
    assert f"{stored.accuracy:.3f}" in window.results.summary.text()
    assert window.results.per_class.rowCount() == 2
    assert window.results.per_class.item(1, 0).text() == "dogs"


def test_clicking_a_cell_shows_exactly_its_images_hardest_first(window, qtbot, planted_run):
    open_results(window, qtbot, planted_run)
    evaluation = window.results.evaluation
    matrix = window.results.matrix
    for true, predicted in ((1, 0), (0, 0), (1, 1)):
        rect = matrix.visualRect(window.results.confusion.index(true, predicted))
        qtbot.mouseClick(matrix.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        expected = evaluation.in_cell(true, predicted)
        shown = window.results.gallery.shown()
        assert [image.path for image in shown] == [image.path for image in expected]
        assert all(i.label == true and i.predicted == predicted for i in shown)
        losses = [image.loss for image in shown]
        assert losses == sorted(losses, reverse=True)


def test_the_planted_mistakes_top_the_dogs_gallery(window, qtbot, planted_run):
    open_results(window, qtbot, planted_run)
    window.results.show_class(1)  # every true dog, hardest first
    top = [Path(image.path).name for image in window.results.gallery.shown()[:2]]
    assert all(name.startswith("planted_") for name in top), top


def test_switching_model_and_split_reads_that_evaluation(window, qtbot, planted_run):
    open_results(window, qtbot, planted_run)
    results = window.results
    results.model_combo.setCurrentText("best_1_train-classifier")
    results.split_combo.setCurrentText("validation")
    qtbot.waitUntil(lambda: results.evaluation.split == "validation", timeout=10_000)
    assert results.evaluation.model == "best_1_train-classifier"
    stored = read_evaluation(planted_run, "best_1_train-classifier", "validation")
    assert results.confusion.counts.tolist() == stored.confusion


def test_an_image_gets_its_gradcam_from_the_analysis_process(analysis_window, qtbot, planted_run):
    window = analysis_window
    open_results(window, qtbot, planted_run)
    results = window.results
    image = results.evaluation.in_cell(1, 0)[0]
    results.gallery.image_activated.emit(image)
    plain = results.detail.displayed_image().copy()
    with qtbot.waitSignal(window.analysis.gradcam_ready, timeout=TIMEOUT_MS) as answer:
        pass
    _key, gradcam = answer.args
    assert gradcam.heatmap.shape == (32, 32)
    assert gradcam.predicted == image.predicted
    qtbot.waitUntil(lambda: results.detail.displayed_image() != plain, timeout=5000)


def test_predict_tab_classifies_a_folder_and_exports_csv(
    analysis_window, qtbot, planted_run, tmp_path
):
    window = analysis_window
    predict = window.predict
    predict.set_run(str(planted_run))
    qtbot.waitUntil(lambda: predict.model_combo.count() > 0, timeout=10_000)
    folder = Path(read_evaluation(planted_run, "final", "test").images[0].path).parent
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    predict.predict([str(folder), str(tmp_path / "broken.jpg")])
    qtbot.waitUntil(lambda: predict.table.rowCount() > 0, timeout=TIMEOUT_MS)
    images = sorted(p for p in folder.iterdir() if p.suffix in (".png", ".jpg"))
    assert predict.table.rowCount() == len(images)
    assert "1 file could not be used: broken.jpg" in predict.problems_label.text()
    predict.below_box.setChecked(True)
    predict.below_spin.setValue(0.0)
    assert predict.proxy.rowCount() == 0  # nothing is less than 0% sure
    predict.below_box.setChecked(False)
    assert predict.export_csv(str(tmp_path / "p.csv"))
    with open(tmp_path / "p.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["path", "predicted", "confidence", "p:cats", "p:dogs"]
    assert len(rows) == len(images) + 1


def test_evaluate_computes_a_missing_evaluation_in_the_analysis_process(
    analysis_window, qtbot, planted_run, tmp_path
):
    window = analysis_window
    copy = tmp_path / "run"
    shutil.copytree(planted_run, copy)
    for path in (copy / "evaluation").glob("best_2_fine-tune-validation.*"):
        path.unlink()
    window.results.show_run(str(copy), "best_2_fine-tune", "validation")
    qtbot.waitUntil(lambda: "press Evaluate" in window.results.summary.text(), timeout=10_000)
    assert window.results.evaluation is None
    window.results.evaluate_button.click()
    qtbot.waitUntil(
        lambda: (
            window.results.evaluation is not None
            and window.results.evaluation.model == "best_2_fine-tune"
        ),
        timeout=TIMEOUT_MS,
    )
    assert (copy / "evaluation" / "best_2_fine-tune-validation.json").exists()
    assert window.results.evaluation.split == "validation"
    assert (
        window.results.evaluation.confusion
        == read_evaluation(planted_run, "best_2_fine-tune", "validation").confusion
    )


def test_file_export_model_writes_and_verifies_an_onnx_model(
    analysis_window, qtbot, planted_run, tmp_path
):
    window = analysis_window
    pytest.importorskip("onnxruntime")
    open_results(window, qtbot, planted_run)
    exporter = window.exporter
    window.export_model_dialog()
    assert exporter.isVisible() and exporter.model_combo.count() == 3
    exporter.format_combo.setCurrentIndex(exporter.format_combo.findData("onnx"))
    exporter.out_edit.setText(str(tmp_path / "onnx"))
    with qtbot.waitSignal(window.analysis.exported, timeout=TIMEOUT_MS) as done:
        exporter.export_button.click()
    result = done.args[0]
    assert result.difference <= 1e-4
    assert (tmp_path / "onnx" / "model.onnx").exists()
    assert (tmp_path / "onnx" / "labels.txt").read_text().split() == ["cats", "dogs"]
    assert exporter.message.text().startswith("✓ Wrote")
    exporter.export_button.click()  # the folder is not empty now: one sentence, nothing lost
    qtbot.waitUntil(lambda: exporter.message.text().startswith("✗"), timeout=TIMEOUT_MS)
    assert "not empty" in exporter.message.text()


def test_export_model_without_a_run_says_what_to_do(window):
    window.export_model_dialog()
    assert not window.exporter.isVisible()
    assert "Open a run that has a model first" in window.last_error.text()


def test_exported_plot_png_carries_the_run_phases_and_best_numbers(
    window, qtbot, planted_run, tmp_path
):

    from PySide6.QtGui import QImage

    from ftgui.core.training.run_folder import read_history

    open_results(window, qtbot, planted_run)
    qtbot.waitUntil(lambda: len(window.curves.timeline.phases) == 2, timeout=10_000)
    title = window.curves.title_line()
    rows = read_history(planted_run)
    best = min((r for r in rows if r["phase"] == 1), key=lambda r: r["val_loss"])
    assert title.startswith("run · 1. Train classifier: 4/4 epochs")
    assert f"best val_loss {best['val_loss']:.4f}" in title and "2. Fine-tune: 1/1" in title
    assert window.files.export_plots(str(tmp_path / "curves.png"))
    image = QImage(str(tmp_path / "curves.png"))
    assert image.height() > window.curves.height()  # the title line sits above the plots


def test_plots_export_as_svg_vectors(window, qtbot, planted_run, tmp_path):
    open_results(window, qtbot, planted_run)
    qtbot.waitUntil(lambda: len(window.curves.timeline.phases) == 2, timeout=10_000)
    assert window.files.export_plots(str(tmp_path / "curves.svg"))
    text = (tmp_path / "curves.svg").read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert text.count("<polyline") + text.count("<path") > 10  # curves as vectors, not a bitmap
