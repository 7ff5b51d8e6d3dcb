"""What the Results tab reads from a run folder, and how two evaluations differ (no Qt).

Plain functions run off the GUI thread by `ResultsView`; they read only the run's own files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ftgui.core.analysis.evaluation_files import (
    Evaluation,
    ImageResult,
    read_evaluation,
    stored_evaluations,
)
from ftgui.core.analysis.evaluation_images import available_splits
from ftgui.core.analysis.models import FINAL, read_run_info, run_models
from ftgui.core.errors import UserError


@dataclass
class RunContents:
    """What a run folder offers the Results tab, read without TensorFlow."""

    run_dir: str
    models: list[str]
    splits: list[str]
    stored: list[tuple[str, str]] = field(default_factory=list)
    first_best: str | None = None  # the classifier phase's best model, to compare with final


def read_contents(run_dir: str) -> RunContents:
    info = read_run_info(run_dir)
    models = run_models(info)
    stored = stored_evaluations(run_dir)
    try:
        splits = available_splits(info)
    except UserError:  # the dataset moved: what was evaluated before can still be shown
        splits = sorted({split for _, split in stored}) or ["validation"]
    best = [m.name for m in models if m.phase is not None]
    first_best = best[0] if len(best) > 1 or (best and FINAL in {m.name for m in models}) else None
    return RunContents(run_dir, [m.name for m in models], splits, stored, first_best)


def read_shown(run_dir: str, model: str, split: str, compare: str | None) -> tuple:
    """The chosen evaluation and, when stored, the classifier phase's on the same split."""
    evaluation = read_evaluation(run_dir, model, split)
    earlier = None
    if compare and compare != model:
        try:
            earlier = read_evaluation(run_dir, compare, split)
        except UserError:
            earlier = None
    return evaluation, earlier


def changed_by_fine_tuning(
    earlier: Evaluation, final: Evaluation
) -> tuple[list[ImageResult], list[ImageResult]]:
    """(fixed, broken): images the earlier model got wrong and final right, and the reverse."""
    before = {image.path: image.predicted == image.label for image in earlier.images}
    fixed, broken = [], []
    for image in final.images:
        right_before = before.get(image.path)
        if right_before is None:
            continue
        right_now = image.predicted == image.label
        if right_now and not right_before:
            fixed.append(image)
        elif right_before and not right_now:
            broken.append(image)
    return fixed, broken


def find_image(evaluation: Evaluation | None, path: str) -> ImageResult | None:
    """`evaluation`'s row of the image at `path`, or None when it did not score that image."""
    if evaluation is None:
        return None
    return next((image for image in evaluation.images if image.path == path), None)
