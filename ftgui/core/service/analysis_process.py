"""A child process that evaluates runs, computes Grad-CAM, predicts, calibrates, compares
test-time augmentation, exports, writes reports, audits datasets and finds learning rates, so
the window never loads TensorFlow.

It loads TensorFlow once, keeps the models it loaded (keyed by file and modification time),
and answers one request at a time. The parent side is blocking and thread-safe: the window
calls it from a background thread; `stop()` cancels an evaluation between batches.
"""

from __future__ import annotations

import contextlib
import os
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftgui.core.child_process import CHILD_NICENESS, Failed, Ready, start_child
from ftgui.core.errors import UserError
from ftgui.core.events import Status

MODELS_KEPT = 4  # loaded models kept for the next request (a VGG16 is ~60 MB)


@dataclass(frozen=True)
class EvaluateRequest:
    run_dir: str
    model: str  # "final", "best", a best file's stem, or a .keras path
    split: str


@dataclass(frozen=True)
class GradCamRequest:
    run_dir: str
    model: str
    path: str  # the image
    class_index: int | None  # None: the predicted class


@dataclass(frozen=True)
class PredictRequest:
    run_dir: str
    model: str
    paths: tuple[str, ...]  # image files and folders
    calibrated: bool = False  # the model's temperature (fitted first when it has none)
    tta: bool = False  # the mean over `tta.tta_views` of each image


@dataclass(frozen=True)
class CalibrateRequest:
    run_dir: str
    model: str
    again: bool = False  # fit again even when a calibration is stored


@dataclass(frozen=True)
class TtaRequest:
    run_dir: str
    model: str
    split: str


@dataclass(frozen=True)
class ReportRequest:
    run_dir: str
    out: str  # the HTML file


@dataclass(frozen=True)
class AuditRequest:
    """Audit a run's dataset with its settings (`run_dir`), or the dataset `config` names."""

    out: str  # the audit folder (made when missing)
    run_dir: str = ""
    config: Any = None  # a RunConfig, used when `run_dir` is empty
    folds: int = 5


@dataclass(frozen=True)
class ExportRequest:
    run_dir: str
    model: str
    format: str  # savedmodel, tflite, onnx or script
    out: str  # the folder (or the script's .py file)


@dataclass(frozen=True)
class LrFindRequest:
    """The learning-rate finder of phase `phase` (1-based) of `config` (a RunConfig)."""

    config: Any
    phase: int


@dataclass(frozen=True)
class Progress:
    done: int
    total: int


@dataclass(frozen=True)
class Done:
    result: Any


class ModelCache:
    """The last few models loaded, by (file, modification time): a re-saved file loads again."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, float], Any] = {}

    def get(self, run_dir: str, model: str) -> tuple[Any, Any, Any]:
        """(run info, model choice, Keras model) for a run's model."""
        from ftgui.core.analysis.models import load_model, read_run_info, resolve_model

        info = read_run_info(run_dir)
        choice = resolve_model(info, model)
        key = (str(choice.path), choice.path.stat().st_mtime)
        if key not in self._models:
            if len(self._models) >= MODELS_KEPT:
                self._models.pop(next(iter(self._models)))
            self._models[key] = load_model(info, choice)
        return info, choice, self._models[key]


def handle(request: object, cache: ModelCache, send: Callable[[object], None], stop: Any) -> Any:
    """Answer one request in the child; `send` passes Status and Progress replies on."""
    if isinstance(request, GradCamRequest):
        from ftgui.core.analysis.gradcam import gradcam_image

        info, _, model = cache.get(request.run_dir, request.model)
        return gradcam_image(model, request.path, info.config.image_size, request.class_index)
    if isinstance(request, EvaluateRequest):
        from ftgui.core.analysis.evaluation import evaluate

        info, choice, model = cache.get(request.run_dir, request.model)
        status = lambda text: send(Status(text))  # noqa: E731
        return evaluate(info, choice, request.split, status, stop.is_set, model=model)
    if isinstance(request, PredictRequest):
        return predict(request, cache, send, stop)
    if isinstance(request, ExportRequest):
        return export(request, send)
    if isinstance(request, CalibrateRequest):
        from ftgui.core.analysis.model_calibration import calibration_of
        from ftgui.core.analysis.models import read_run_info, resolve_model

        info = read_run_info(request.run_dir)  # the model is loaded only to score what is missing
        choice = resolve_model(info, request.model)
        status = lambda text: send(Status(text))  # noqa: E731
        return calibration_of(info, choice, status, stop.is_set, again=request.again)
    if isinstance(request, TtaRequest):
        from ftgui.core.analysis.tta_evaluation import compare_tta

        info, choice, model = cache.get(request.run_dir, request.model)
        return compare_tta(info, choice, request.split, model, stop.is_set)
    if isinstance(request, ReportRequest):
        from ftgui.core.report import write_report

        status = lambda text: send(Status(text))  # noqa: E731
        return write_report(request.run_dir, Path(request.out), status, stop.is_set, flag=None)
    if isinstance(request, AuditRequest):
        return audit(request, send, stop)
    if isinstance(request, LrFindRequest):
        return find_rate(request, send, stop)
    raise TypeError(f"unknown request {request!r}")


def predict(request: PredictRequest, cache: ModelCache, send: Callable[[object], None], stop: Any):
    """(predictions, problems) for the images in the request's files and folders; calibrated
    with the model's temperature (fitted first when it has none) and over the TTA views when
    asked."""
    from ftgui.core.analysis.model_calibration import calibration_of
    from ftgui.core.analysis.predict import image_files, predict_files
    from ftgui.core.analysis.tta import tta_views

    info, choice, model = cache.get(request.run_dir, request.model)
    files, problems = image_files(request.paths)
    if not files:
        return [], problems
    temperature = 1.0
    if request.calibrated:
        status = lambda text: send(Status(text))  # noqa: E731
        calibration = calibration_of(info, choice, status, stop.is_set, model)
        if calibration is None:  # stopped while scoring the validation split
            return [], problems
        temperature = calibration.temperature
    predictions, unreadable = predict_files(
        model,
        files,
        info.config.image_size,
        progress=lambda done, total: send(Progress(done, total)),
        stop=stop.is_set,
        views=tta_views(info.config.augmenting) if request.tta else (),
        temperature=temperature,
    )
    return predictions, problems + unreadable


def export(request: ExportRequest, send: Callable[[object], None]) -> Any:
    """Write and verify an export (an ExportResult), or write the recipe script (its path)."""
    from ftgui.core.analysis.models import read_run_info, resolve_model
    from ftgui.core.export.artifacts import export_model, require_packages
    from ftgui.core.export.script import write_script

    info = read_run_info(request.run_dir)
    if request.format == "script":
        return write_script(info, Path(request.out), flag=None)  # the window: no flags
    require_packages(request.format)
    choice = resolve_model(info, request.model)
    status = lambda text: send(Status(text))  # noqa: E731
    return export_model(info, choice, request.format, Path(request.out), status, flag=None)


def audit(request: AuditRequest, send: Callable[[object], None], stop: Any) -> Any:
    """Write the audit into `request.out` (a StoredAudit), or None when stopped."""
    from ftgui.core.audit.audit import audit_dataset
    from ftgui.core.files import check_writable_folder
    from ftgui.core.training.resume import load_run_config

    config = load_run_config(request.run_dir) if request.run_dir else request.config
    config.validate()
    out = check_writable_folder(request.out, None)
    say = lambda text: send(Status(text))  # noqa: E731
    return audit_dataset(config, out, request.folds, say, stop.is_set)


def find_rate(request: LrFindRequest, send: Callable[[object], None], stop: Any) -> Any:
    """The range test of the request's phase (an LrFinding), or None when stopped; its status
    lines and the test's steps (Progress) go to `send`."""
    from ftgui.core.run.lr_find import find_learning_rate

    def listener(event: object) -> None:
        if isinstance(event, Status):
            send(event)

    progress = lambda done, total: send(Progress(done, total))  # noqa: E731
    return find_learning_rate(request.config, request.phase, listener, stop, progress)


def serve_analysis(requests: Any, replies: Any, stop: Any) -> None:
    """Child process: load TensorFlow, report the device, answer requests until told to quit."""
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)
    from ftgui.core.model.device import setup_devices

    replies.send(Ready(setup_devices()))
    cache = ModelCache()
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        stop.clear()
        try:
            replies.send(Done(handle(request, cache, replies.send, stop)))
        except UserError as exc:
            replies.send(Failed(str(exc)))
        except Exception as exc:  # the parent shows it; the child goes on serving
            reason = f"Analysis failed: {type(exc).__name__}: {exc}".splitlines()[0]
            replies.send(Failed(reason, traceback.format_exc()))


class AnalysisFailed(Exception):
    """An unexpected error in the child: `reason` is one sentence, `details` the traceback."""

    def __init__(self, reason: str, details: str) -> None:
        super().__init__(reason)
        self.details = details


class AnalysisProcess:
    """Parent side: start the child once, then `call` it (blocking; one call at a time)."""

    def __init__(self) -> None:
        self.process, self._requests, self._replies, self._stop = start_child(
            serve_analysis, "ftgui-analysis"
        )
        self._lock = threading.Lock()
        self.device: str | None = None

    def call(
        self,
        request: object,
        status: Callable[[str], None] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Any:
        """Send a request and wait for its answer; UserError or AnalysisFailed when it fails."""
        with self._lock:
            try:
                self._requests.send(request)
                while True:
                    reply = self._replies.recv()
                    if isinstance(reply, Ready):
                        self.device = reply.device
                    elif isinstance(reply, Status):
                        if status is not None:
                            status(reply.text)
                    elif isinstance(reply, Progress):
                        if progress is not None:
                            progress(reply.done, reply.total)
                    elif isinstance(reply, Failed):
                        if reply.details:
                            raise AnalysisFailed(reply.reason, reply.details)
                        raise UserError(reply.reason)
                    elif isinstance(reply, Done):
                        return reply.result
            except (EOFError, OSError, BrokenPipeError):
                self.process.join(timeout=5)
                raise UserError(
                    f"The analysis process ended unexpectedly (exit code "
                    f"{self.process.exitcode}); if it ran out of memory, close other programs "
                    f"and try again."
                ) from None

    def stop(self) -> None:
        """Cancel the evaluation going on (it answers None); Grad-CAM is too short to stop."""
        self._stop.set()

    def is_alive(self) -> bool:
        return self.process.is_alive()

    def close(self) -> None:
        """End the child; it finishes the request it is answering first, if any."""
        self._stop.set()
        with contextlib.suppress(OSError, BrokenPipeError):
            self._requests.send(None)
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=2)
