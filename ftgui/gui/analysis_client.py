"""The window's side of the analysis process: Grad-CAM and evaluations, answered as signals.

The process (TensorFlow) starts on the first request; each request waits for its answer on a
background thread, so the GUI thread never blocks. A newer Grad-CAM request supersedes an
older one that has not been answered: the older answer is dropped. Other views send their own
requests on their own `BackgroundTask` with `call_in` and read its `succeeded` and `failed`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ftgui.core.errors import UserError
from ftgui.core.service.analysis_process import (
    AnalysisFailed,
    AnalysisProcess,
    EvaluateRequest,
    ExportRequest,
    GradCamRequest,
    PredictRequest,
)
from ftgui.gui.shared.tasks import BackgroundTask, Cancelled, TaskState


class AnalysisClient(QObject):
    """Asks the analysis process for Grad-CAM maps and evaluations of a run's models."""

    gradcam_ready = Signal(object, object)  # (key, GradCam)
    gradcam_failed = Signal(object, str)  # (key, one-sentence reason)
    evaluation_done = Signal(object)  # Evaluation, or None when it was cancelled
    evaluation_failed = Signal(str, str)  # (one-sentence reason, details)
    status = Signal(str)  # what an evaluation is doing
    predicted = Signal(object, object)  # (predictions, problems {"path", "reason"})
    prediction_failed = Signal(str, str)  # (one-sentence reason, details)
    prediction_progressed = Signal(int, int)
    exported = Signal(object)  # ExportResult, or the script's Path
    export_failed = Signal(str, str)  # (one-sentence reason, details)
    export_status = Signal(str)  # what an export is doing

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process: AnalysisProcess | None = None
        self._gradcam = BackgroundTask(self)
        self._evaluation = BackgroundTask(self)
        self._prediction = BackgroundTask(self)
        self._export = BackgroundTask(self)
        self._gradcam_key: object = None
        self._gradcam.succeeded.connect(lambda result: self.gradcam_ready.emit(*result))
        self._gradcam.failed.connect(self._gradcam_error)
        self._evaluation.succeeded.connect(self.evaluation_done)
        self._evaluation.failed.connect(self._evaluation_error)
        self._export.succeeded.connect(self.exported)
        self._export.failed.connect(
            lambda error: self.export_failed.emit(_reason(error), _details(error))
        )
        self._prediction.succeeded.connect(lambda found: self.predicted.emit(*found))
        self._prediction.failed.connect(
            lambda error: self.prediction_failed.emit(_reason(error), _details(error))
        )

    def process(self) -> AnalysisProcess:
        """The analysis process, started (or restarted after a crash) when first needed."""
        if self._process is None or not self._process.is_alive():
            self._process = AnalysisProcess()
        return self._process

    def request_gradcam(
        self, key: object, run_dir: str, model: str, path: str, class_index: int | None
    ) -> None:
        """Answer later with `gradcam_ready(key, GradCam)` or `gradcam_failed(key, reason)`."""
        request = GradCamRequest(run_dir, model, path, class_index)
        self._gradcam_key = key
        process = self.process()
        self._gradcam.start(lambda state: (key, process.call(request)))

    def evaluate(self, run_dir: str, model: str, split: str) -> None:
        """Evaluate a run's model on a split (writing its files); `evaluation_done` brings it."""
        process = self.process()

        def work(state: TaskState) -> object:
            return process.call(EvaluateRequest(run_dir, model, split), self.status.emit)

        self._evaluation.start(work)

    def predict(
        self,
        run_dir: str,
        model: str,
        paths: list[str],
        calibrated: bool = False,
        tta: bool = False,
    ) -> None:
        """Classify the images in `paths` (files and folders); `predicted` brings the answers.
        `calibrated`: with the model's temperature; `tta`: the mean over the TTA views."""
        process = self.process()
        request = PredictRequest(run_dir, model, tuple(paths), calibrated, tta)

        def work(state: TaskState) -> object:
            return process.call(request, progress=self.prediction_progressed.emit)

        self._prediction.start(work)

    def export(self, run_dir: str, model: str, fmt: str, out: str) -> None:
        """Write and verify an export of a run's model; `exported` or `export_failed` answer."""
        process = self.process()
        request = ExportRequest(run_dir, model, fmt, out)
        self._export.start(lambda state: process.call(request, self.export_status.emit))

    def call_in(
        self, task: BackgroundTask, request: object, status: Callable[[str], None] | None = None
    ) -> None:
        """Answer `request` on `task` (its `succeeded` brings the answer, `failed` the error:
        `failure_text` words it, `progressed` the child's Progress replies); `status` is called
        from the task's thread."""
        process = self.process()

        def work(state: TaskState) -> object:
            def report(done: int, total: int) -> None:
                with contextlib.suppress(Cancelled):  # the answer is still read to its end
                    state.set_progress(done, total)

            return process.call(request, status, report)

        task.start(work)

    def cancel_call(self, task: BackgroundTask) -> None:
        """Stop the work `task` waits for (it answers None) and drop its late answer."""
        if task.is_running() and self._process is not None:
            self._process.stop()
        task.cancel()

    def is_exporting(self) -> bool:
        return self._export.is_running()

    def is_predicting(self) -> bool:
        return self._prediction.is_running()

    def cancel_prediction(self) -> None:
        if self._prediction.is_running() and self._process is not None:
            self._process.stop()
        self._prediction.cancel()

    def is_evaluating(self) -> bool:
        return self._evaluation.is_running()

    def cancel_evaluation(self) -> None:
        if self._evaluation.is_running() and self._process is not None:
            self._process.stop()
        self._evaluation.cancel()

    def close(self) -> None:
        for task in (self._gradcam, self._evaluation, self._prediction, self._export):
            task.cancel()
        if self._process is not None:
            self._process.close()
            self._process = None

    def _gradcam_error(self, error: BaseException) -> None:
        self.gradcam_failed.emit(self._gradcam_key, _reason(error))

    def _evaluation_error(self, error: BaseException) -> None:
        self.evaluation_failed.emit(_reason(error), _details(error))


def failure_text(error: BaseException) -> tuple[str, str]:
    """(one sentence, details) for an error a request ended with."""
    return _reason(error), _details(error)


def _reason(error: BaseException) -> str:
    if isinstance(error, (UserError, AnalysisFailed)):
        return str(error)
    return f"Analysis failed: {type(error).__name__}: {error}"


def _details(error: BaseException) -> str:
    return error.details if isinstance(error, AnalysisFailed) else ""
