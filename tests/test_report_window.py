"""Issue 24 in the window: reliability diagram and TTA in Results, Calibrated and TTA in Predict,
File → Export report…; fast tests answer for the analysis process, slow ones use `cats_run`."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QStatusBar

from ftgui.core.analysis import calibration as cal
from ftgui.core.analysis.evaluation_files import read_evaluation
from ftgui.core.analysis.predict import Prediction
from ftgui.core.analysis.tta_evaluation import TtaComparison, tta_file
from ftgui.core.errors import UserError
from ftgui.core.service.analysis_process import CalibrateRequest, ReportRequest, TtaRequest
from ftgui.core.settings.config import RunConfig
from ftgui.core.views.results_data import RunContents
from ftgui.gui.analysis_client import AnalysisClient
from ftgui.gui.main_window import MainWindow
from ftgui.gui.predict.view import PredictView
from ftgui.gui.results.reliability import bin_points
from ftgui.gui.results.tta_row import tta_text
from ftgui.gui.results.view import ResultsView
from ftgui.gui.shared.report_export import NO_RUN, ReportExport
from tests.test_results_detail_fixes import BEST, FakeClient, make_run

TIMEOUT_MS = 120_000


class AnsweringClient(FakeClient):
    """The Results tab's client stand-in; `call_in` answers on the task with `answer`."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[object] = []
        self.cancelled = 0
        self.answer = lambda request, status: None

    def call_in(self, task, request, status=None) -> None:
        self.requests.append(request)
        answer = self.answer
        task.start(lambda state: answer(request, status))

    def cancel_call(self, task) -> None:
        self.cancelled += 1
        task.cancel()


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """final (validation and test) and best_1 (test) evaluated; no calibration yet."""
    return make_run(tmp_path / "run", tmp_path / "images")


def calibrate_final(run_dir: Path) -> cal.Calibration:
    splits = (read_evaluation(run_dir, "final", split) for split in ("validation", "test"))
    calibration = cal.calibrate(*splits)
    cal.write_calibration(run_dir, calibration)
    return calibration


@pytest.fixture
def results(qtbot) -> tuple[ResultsView, AnsweringClient]:
    client = AnsweringClient()
    view = ResultsView(client)
    qtbot.addWidget(view)
    return view, client


def open_results(view: ResultsView, qtbot, run_dir: Path, model=None, split=None) -> None:
    view.show_run(str(run_dir), model, split)
    qtbot.waitUntil(lambda: view.evaluation is not None, timeout=5000)
    qtbot.waitUntil(lambda: "Reading" not in view.calibration.figures.text(), timeout=5000)


# -- 1: the reliability diagram ---------------------------------------------------------------
def test_the_reliability_diagram_draws_each_filled_bin_before_and_after(results, qtbot, run_dir):
    view, _ = results
    stored = calibrate_final(run_dir)
    open_results(view, qtbot, run_dir, "final", "test")
    before, after = view.calibration.plot.points()
    assert before == bin_points(stored.bins, calibrated=False)
    assert after == bin_points(stored.bins, calibrated=True)
    assert len(before[0]) == len([b for b in stored.bins if b.count]) > 0
    text = view.calibration.figures.text()
    assert f"{stored.temperature:.3f}" in text
    assert f"Validation ECE {stored.ece_before:.4f} → <b>{stored.ece_after:.4f}</b>" in text
    assert f"Test ECE {stored.test.ece_before:.4f} → <b>{stored.test.ece_after:.4f}</b>" in text
    legend = view.calibration.plot.legend.getLabel(view.calibration.plot.after).text
    assert f"{stored.temperature:.2f}" in legend
    assert view.calibration.calibrate_button.text() == "Calibrate again"


def test_a_model_without_calibration_names_the_command_and_calibrate_fits_it(
    results, qtbot, run_dir
):
    view, client = results
    open_results(view, qtbot, run_dir, BEST, "test")
    assert f"python main.py calibrate {run_dir} --model {BEST}" in view.calibration.figures.text()
    assert view.calibration.plot.points() == (([], []), ([], []))
    stored = calibrate_final(run_dir)  # stands in for what the process fits
    client.answer = lambda request, status: (status("Scoring validation…"), stored)[1]
    view.calibration.calibrate_button.click()
    qtbot.waitUntil(lambda: view.calibration.calibration is stored, timeout=5000)
    assert client.requests == [CalibrateRequest(str(run_dir), BEST, False)]
    assert view.calibration.plot.points()[1] == bin_points(stored.bins, calibrated=True)
    assert "Validation ECE" in view.calibration.figures.text()


def test_a_damaged_calibration_says_why_calibrates_again_and_a_cancel_drops_the_answer(
    results, qtbot, run_dir
):
    view, client = results
    stored, release = calibrate_final(run_dir), threading.Event()
    cal.calibration_file(run_dir, "final").write_text("{not json", encoding="utf-8")
    client.answer = lambda request, status: (release.wait(5), stored)[1]
    open_results(view, qtbot, run_dir, "final", "test")
    panel = view.calibration
    assert "is damaged" in panel.figures.text() and "\n" not in panel.figures.text()
    panel.calibrate_button.click()
    assert client.requests == [CalibrateRequest(str(run_dir), "final", True)]
    assert panel.calibrate_button.text() == "Cancel"
    panel.calibrate_button.click()
    release.set()
    qtbot.waitUntil(lambda: "is damaged" in panel.figures.text(), timeout=5000)
    qtbot.wait(200)  # the late answer arrives and is dropped
    assert client.cancelled == 1 and panel.calibration is None
    assert panel.calibrate_button.text() == "Calibrate"


# -- 2: test-time augmentation in Results -----------------------------------------------------
COMPARISON = TtaComparison("final", "test", ["whole image", "crop"], 6, 0.5, 0.8333, 1, 3, 0.2, 0.9)


def test_tta_compares_the_shown_model_and_split_and_a_stored_one_shows_for_its_split_only(
    results, qtbot, run_dir
):
    view, client = results
    open_results(view, qtbot, run_dir, "final", "test")
    client.answer = lambda request, status: COMPARISON
    view.tta.button.click()
    assert client.requests == [TtaRequest(str(run_dir), "final", "test")]
    qtbot.waitUntil(lambda: view.tta.comparison is not None, timeout=5000)
    line = view.tta.line.text()
    assert "accuracy 0.500 → <b>0.833</b> (+0.333)" in line
    assert "right→wrong 1, wrong→right 3" in line and "0.20 s → 0.90 s (×4.5)" in line
    text = json.dumps(dataclasses.asdict(COMPARISON))
    tta_file(run_dir, "final", "test").write_text(text, encoding="utf-8")  # as the process does
    for split, shown in (("validation", None), ("test", COMPARISON)):
        view.split_combo.setCurrentText(split)
        qtbot.waitUntil(lambda s=split: view.evaluation.split == s, timeout=5000)
        qtbot.waitUntil(lambda c=shown: view.tta.comparison == c, timeout=5000)
    assert view.tta.line.text() == tta_text(COMPARISON)


# -- 3: Calibrated and TTA in Predict ---------------------------------------------------------
class RecordingClient(AnalysisClient):
    def __init__(self) -> None:  # records what Predict asks instead of asking it
        super().__init__()
        self.requests: list[tuple[tuple, dict]] = []

    def predict(self, *args: object, **options: bool) -> None:
        self.requests.append((args, options))


def predict_view(qtbot, run_dir: Path, client: AnalysisClient | None = None) -> PredictView:
    view = PredictView(client or RecordingClient())
    qtbot.addWidget(view)
    view.set_run(str(run_dir))
    qtbot.waitUntil(lambda: view.model_combo.count() > 0, timeout=5000)
    return view


def test_calibrated_is_on_by_default_only_for_a_model_with_a_calibration(qtbot, run_dir):
    view = predict_view(qtbot, run_dir)
    box = view.options.calibrated_box
    assert not box.isChecked() and "no calibration yet" in box.toolTip()
    stored = calibrate_final(run_dir)
    view = predict_view(qtbot, run_dir)
    assert view.options.calibrated_box.isChecked()
    assert f"{stored.temperature:.3f}" in view.options.calibrated_box.toolTip()
    view.predict(["a.png"])
    assert view.client.requests[-1] == ((str(run_dir), "final", ["a.png"]), {"calibrated": True})
    view.model_combo.setCurrentText(BEST)  # no calibration of its own
    assert not view.options.calibrated_box.isChecked()


def test_ticking_tta_predicts_the_rows_again_and_the_table_follows(qtbot, run_dir):
    view = predict_view(qtbot, run_dir)
    view.predict(["folder"])
    rows = [Prediction(f"/x/{n}.png", 0, 0.9, (0.9, 0.1)) for n in range(3)]
    view.client.predicted.emit(rows, [])
    assert view.progress.format() == "3 images predicted"
    view.options.tta_box.click()
    paths = [r.path for r in rows]
    assert view.client.requests[-1] == ((view.run_dir, "final", paths), {"tta": True})
    assert not view.options.isEnabled()  # busy until the answer
    again = [Prediction(r.path, 0, 0.7, (0.7, 0.3)) for r in rows]
    view.client.predicted.emit(again, [])
    assert [r.confidence for r in view.table.rows] == [0.7, 0.7, 0.7]
    assert view.table.rowCount() == 3 and view.progress.format() == "3 images predicted (TTA)"


# -- 4: File → Export report… -----------------------------------------------------------------
@pytest.fixture
def reporter(qtbot, run_dir):
    window = MainWindow(RunConfig())
    qtbot.addWidget(window)
    client = AnsweringClient()
    contents = RunContents(str(run_dir), ["final"], ["test"])
    export = ReportExport(client, window.status, SimpleNamespace(contents=contents), window)
    errors: list[str] = []
    export.errored.connect(lambda reason, details: errors.append(reason))
    return export, client, errors


def test_export_report_proposes_run_report_html_and_writes_it_in_the_process(
    reporter, qtbot, run_dir, monkeypatch
):
    export, client, errors = reporter
    starts = []

    def save(parent, caption, start, *rest):
        starts.append(start)
        return str(run_dir / "shared"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save)
    out = run_dir / "shared.html"

    def answer(request, status):
        status("Grad-CAM of the hardest images…")
        out.write_text("<html></html>")
        return out

    client.answer = answer
    with qtbot.waitSignal(export.written, timeout=5000) as written:
        export.action.trigger()
    assert starts == [str(run_dir / "report.html")]
    assert client.requests == [ReportRequest(str(run_dir), str(out))]
    assert written.args == [out] and not errors
    assert export.bar.currentMessage() == f"Report written: {out}"
    assert str(out) in export.message.text() and export.cancel_button.isHidden()


def test_a_report_shows_its_progress_can_be_cancelled_and_fails_in_one_sentence(
    reporter, qtbot, run_dir
):
    export, client, errors = reporter
    release = threading.Event()

    def answer(request, status):
        status("Grad-CAM of the hardest images…")
        release.wait(5)
        if request.out.startswith("/nowhere"):
            raise UserError(f"Cannot write {request.out}; choose another folder.")
        return Path(request.out)

    client.answer = answer
    export.write(str(run_dir), str(run_dir / "r.html"))
    assert not export.cancel_button.isHidden()
    qtbot.waitUntil(lambda: "Grad-CAM" in export.bar.currentMessage(), timeout=5000)
    assert export.bar.currentMessage() == "Report: Grad-CAM of the hardest images…"
    export.cancel_button.click()
    release.set()
    qtbot.wait(200)
    assert client.cancelled == 1 and export.message is None
    assert export.bar.currentMessage() == "Report cancelled; nothing written."
    assert export.cancel_button.isHidden() and not errors
    export.write(str(run_dir), "/nowhere/r.html")
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert errors == ["Cannot write /nowhere/r.html; choose another folder."]
    assert export.bar.currentMessage().startswith("Report failed: Cannot write")


def test_file_menu_export_report_without_a_run_says_what_to_do(qtbot):
    window = MainWindow(RunConfig())
    qtbot.addWidget(window)
    entry = next(a for a in window.menuBar().actions()[0].menu().actions() if "&report" in a.text())
    with qtbot.waitSignal(window.reporter.errored) as said:
        entry.trigger()
    assert said.args == [NO_RUN, ""] and NO_RUN in window.last_error.text()


# -- slow: the real analysis process on a trained run -----------------------------------------
@pytest.fixture(scope="module")
def client(qapp):
    """One analysis process for the slow tests (a TensorFlow import each start)."""
    client = AnalysisClient()
    yield client
    client.close()


@pytest.fixture
def trained(cats_run: Path, tmp_path: Path) -> Path:
    """A copy of the shared run (these tests write into it), its dataset beside it as before."""
    shutil.copytree(cats_run.parent / "data", tmp_path / "data")
    return Path(shutil.copytree(cats_run, tmp_path / "run"))


@pytest.mark.slow
def test_a_trained_run_shows_its_calibration_compares_tta_and_writes_its_report(
    client, qtbot, trained
):
    view = ResultsView(client)
    qtbot.addWidget(view)
    open_results(view, qtbot, trained, "final", "validation")
    stored = cal.read_calibration(trained, "final")
    assert stored is not None and view.calibration.calibration == stored
    assert len(view.calibration.plot.points()[0][0]) > 0
    view.tta.button.click()
    qtbot.waitUntil(lambda: view.tta.comparison is not None, timeout=TIMEOUT_MS)
    scored = read_evaluation(trained, "final", "validation")
    assert view.tta.comparison.images == len(scored.images) == 8
    assert "right→wrong" in view.tta.line.text()
    assert tta_file(trained, "final", "validation").is_file()
    export = ReportExport(client, QStatusBar(), SimpleNamespace(contents=None), view)
    out = trained / "shared report.html"
    with qtbot.waitSignal(export.written, timeout=TIMEOUT_MS):
        export.write(str(trained), str(out))  # File → Export report…'s work
    text = out.read_text(encoding="utf-8")
    assert "<svg" in text and 'src="data:image/' in text
    assert re.findall(r'(?:src|href)="(?!data:|#)', text) == []  # nothing loaded from elsewhere


@pytest.mark.slow
def test_calibrated_predictions_keep_the_classes_and_scale_the_confidences(client, qtbot, trained):
    view = predict_view(qtbot, trained, client)
    assert view.options.calibrated_box.isChecked()
    folder = str(trained.parent / "data" / "validation")
    with qtbot.waitSignal(client.predicted, timeout=TIMEOUT_MS):
        view.predict([folder])
    calibrated_rows = {r.path: r for r in view.table.rows}
    with qtbot.waitSignal(client.predicted, timeout=TIMEOUT_MS):
        view.options.calibrated_box.click()  # off: the same rows predicted again
    plain = {r.path: r for r in view.table.rows}
    assert plain.keys() == calibrated_rows.keys() and len(plain) == 8
    temperature = cal.read_calibration(trained, "final").temperature
    for path, row in plain.items():
        expected = cal.calibrated(np.array([row.probabilities]), temperature)[0]
        assert calibrated_rows[path].predicted == row.predicted
        assert np.allclose(calibrated_rows[path].probabilities, expected, atol=1e-5)
