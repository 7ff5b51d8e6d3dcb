"""A run model's calibration, made when missing: stored evaluations are reused, the missing
ones scored (TensorFlow) first, then the temperature fitted and stored (`calibration.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ftgui.core.analysis.calibration import (
    Calibration,
    calibrate,
    calibration_file,
    read_calibration,
    write_calibration,
)
from ftgui.core.analysis.evaluation_files import Evaluation, evaluation_files, read_evaluation
from ftgui.core.analysis.evaluation_images import available_splits
from ftgui.core.analysis.models import ModelChoice, RunInfo
from ftgui.core.analysis.scoring import Stop

if TYPE_CHECKING:
    import keras

    from ftgui.core.analysis.evaluation import StatusLine


def calibration_of(
    info: RunInfo,
    choice: ModelChoice,
    status: StatusLine | None = None,
    stop: Stop | None = None,
    model: keras.Model | None = None,
    again: bool = False,
) -> Calibration | None:
    """`choice`'s stored calibration (unless `again` or it is older than the model file), else
    a new one; None when stopped while scoring. `model`: the choice already loaded."""
    stored = None if again or _stale(info, choice) else read_calibration(info.folder, choice.name)
    if stored is not None:
        return stored
    scored: dict[str, Evaluation] = {}
    for split in available_splits(info):
        evaluation = _stored_evaluation(info, choice, split)
        if evaluation is None:
            from ftgui.core.analysis.evaluation import evaluate

            evaluation = evaluate(info, choice, split, status, stop, model)
            if evaluation is None:
                return None
        scored[split] = evaluation
    calibration = calibrate(scored["validation"], scored.get("test"))
    write_calibration(info.folder, calibration)
    return calibration


def _stored_evaluation(info: RunInfo, choice: ModelChoice, split: str) -> Evaluation | None:
    """The stored evaluation when it is at least as new as the model file, else None."""
    _, json_path = evaluation_files(info.folder, choice.name, split)
    if not json_path.is_file() or _older_than_model(json_path, choice):
        return None
    return read_evaluation(info.folder, choice.name, split)


def _stale(info: RunInfo, choice: ModelChoice) -> bool:
    path = calibration_file(info.folder, choice.name)
    return path.is_file() and _older_than_model(path, choice)


def _older_than_model(path: Path, choice: ModelChoice) -> bool:
    try:
        return path.stat().st_mtime < choice.path.stat().st_mtime
    except OSError:
        return False
