"""Write a run's report: read its facts, score and calibrate what is missing, explain the
hardest images (TensorFlow), render the page and write it atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ftgui.core.analysis.evaluation_files import Evaluation, evaluation_files, read_evaluation
from ftgui.core.analysis.evaluation_images import available_splits
from ftgui.core.analysis.models import FINAL, RunInfo, read_run_info, resolve_model
from ftgui.core.files import check_writable_file, write_run_file

if TYPE_CHECKING:
    import keras

REPORT_FILE = "report.html"
HARDEST = 12

Status = Callable[[str], None]
Stop = Callable[[], bool]


def write_report(
    run: str | Path,
    out: str | Path | None = None,
    status: Status | None = None,
    stop: Stop | None = None,
    flag: str | None = "--out",
) -> Path | None:
    """Write the report of `run` to `out` (default RUN/report.html); None when stopped.

    The final model's stored evaluation on the test split (else validation) is used, scored
    first when missing; so is its calibration."""
    from ftgui.core.model.device import setup_devices
    from ftgui.core.model.doctor import package_versions
    from ftgui.core.report.facts import read_facts
    from ftgui.core.report.hardest import hardest_images
    from ftgui.core.report.page import render

    say = status or (lambda text: None)
    info = read_run_info(run)
    path = Path(out).expanduser() if out else info.folder / REPORT_FILE
    check_writable_file(path, flag)
    facts = read_facts(info)
    choice = resolve_model(info, FINAL)
    say("Loading TensorFlow and the model…")
    facts.device = setup_devices()
    facts.versions = package_versions()
    from ftgui.core.analysis.evaluation import load_run_model
    from ftgui.core.analysis.model_calibration import calibration_of

    model = load_run_model(info, choice)
    facts.evaluation = _evaluation(info, model, say, stop)
    if facts.evaluation is None:
        return None
    facts.calibration = calibration_of(info, choice, say, stop, model)
    if facts.calibration is None:
        return None
    say(f"Explaining the {HARDEST} hardest {facts.evaluation.split} images…")
    hardest = hardest_images(model, facts.evaluation, info.config.image_size, HARDEST)
    if stop is not None and stop():
        return None
    text = render(facts, hardest)
    write_run_file(path, lambda target: target.write_text(text, encoding="utf-8"))
    return path


def _evaluation(
    info: RunInfo, model: keras.Model, say: Status, stop: Stop | None
) -> Evaluation | None:
    """The final model's stored evaluation on the first available split, scored if missing."""
    split = available_splits(info)[0]
    if evaluation_files(info.folder, FINAL, split)[1].is_file():
        return read_evaluation(info.folder, FINAL, split)
    from ftgui.core.analysis.evaluation import evaluate

    return evaluate(info, resolve_model(info, FINAL), split, say, stop, model)
