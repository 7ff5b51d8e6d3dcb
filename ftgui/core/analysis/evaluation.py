"""Score a run's models on its test and validation images, and store the scores in the run.

Per image: the true and predicted class, the class probabilities and the loss; per split:
accuracy, mean loss, the confusion matrix and each class's precision, recall, F1 and support.
Images are read as training reads them (decoded by `pixels.decode_pixels`, batched at the run's
batch size; after a run, straight from the images it decoded in its image check) and each
image's loss is Keras's own loss function on the model's output, so accuracy and mean loss are
`model.evaluate`'s. The two files, `evaluation/<model>-<split>.csv|.json`, read back without
TensorFlow.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftgui.core.analysis.evaluation_files import (
    EVALUATION_DIR,
    SPLIT_ORDER,
    Evaluation,
    ImageResult,
    evaluation_files,
    stored_evaluations,
    write_evaluation,
)
from ftgui.core.analysis.models import (
    FINAL,
    ModelChoice,
    RunInfo,
    class_probabilities,
    load_model,
    read_run_info,
    run_models,
)
from ftgui.core.analysis.scoring import Scorer, Stop, shared_frozen_level
from ftgui.core.data.dataset import Dataset, Split
from ftgui.core.data.sample import resolve_dataset
from ftgui.core.data.scan import REPORT_FILE, check_image
from ftgui.core.errors import UserError

if TYPE_CHECKING:
    import keras
    import numpy as np

    from ftgui.core.data.pixels import PixelStore
    from ftgui.core.settings.config import RunConfig
    from ftgui.core.training.feature_cache import KnownFeatures

MISSING = "file no longer exists"

StatusLine = Callable[[str], None]
Verdict = Callable[[str], "str | None"]  # why a file cannot be used, or None


@dataclass
class _Images:
    """The readable images of one split, and the files of it that could not be read."""

    split: str
    usable: Split
    skipped: list[dict[str, str]]


def available_splits(info: RunInfo) -> list[str]:
    """The splits to evaluate: "test" first when the run's dataset has one, then "validation"."""
    counts = _report(info).get("counts")
    if isinstance(counts, dict):
        has_test = sum(counts.get("test") or []) > 0
    else:  # an older report: look at the dataset folder itself
        has_test = len(_dataset(info).test) > 0
    return ["test", "validation"] if has_test else ["validation"]


def evaluate(
    info: RunInfo,
    choice: ModelChoice,
    split: str,
    status: StatusLine | None = None,
    stop: Stop | None = None,
    model: keras.Model | None = None,
) -> Evaluation | None:
    """Score `choice` on `split` and write its two files; None (nothing written) when stopped.

    `model` is an already loaded model holding the choice's weights; without it the run's
    architecture is rebuilt and the choice's weights loaded. Images that disappeared or became
    unreadable since training are listed as skipped and the rest scored.
    """
    _check_split(info, split)
    images = _images_of(info, split, _check_file)
    if model is None:
        model = _load(info, choice)
    scorer = Scorer(model, _binary(info))
    return _evaluate_images(info, choice.name, images, scorer, status, stop)


def evaluate_run(
    info: RunInfo, status: StatusLine | None = None, stop: Stop | None = None
) -> list[Evaluation]:
    """Every model on disk on every available split (those finished before a stop)."""
    return _evaluate_all(info, None, _check_file, status, stop)


def evaluate_finished_run(
    run_dir: Path,
    model: keras.Model,
    status: StatusLine,
    stop: Stop,
    known: KnownFeatures | None = None,
    pixels: PixelStore | None = None,
) -> dict[str, float] | None:
    """The runner's evaluator: score the run's models with the model still in memory; return
    the final model's test metrics (`test_metrics.json`), None without a test split or when
    stopped before them.

    `model` holds the final weights; each best file's weights are loaded into it in turn and
    the final weights are put back at the end. Files the image check skipped are listed as
    skipped without decoding them again. `known`: the validation images' outputs of the
    frozen layers, computed while training, used when they are the layers scoring shares;
    `pixels`: the images the run decoded, read instead of the files.
    """
    info = read_run_info(run_dir)
    final_weights = model.get_weights()
    try:
        evaluations = _evaluate_all(info, model, _report_verdict(info), status, stop, known, pixels)
    finally:
        model.set_weights(final_weights)
    if stop():
        status(f"Evaluation stopped; evaluate later with: python main.py evaluate {run_dir}")
    elif evaluations:
        status(_evaluated_summary(evaluations, run_dir))
    return next(
        (
            {"loss": e.loss, "accuracy": e.accuracy}
            for e in evaluations
            if (e.model, e.split) == (FINAL, "test")
        ),
        None,
    )


# ---- choosing the images ----------------------------------------------------------------------


def _report(info: RunInfo) -> dict[str, Any]:
    try:
        report = json.loads((info.folder / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return report if isinstance(report, dict) else {}


def _check_split(info: RunInfo, split: str) -> None:
    if split not in SPLIT_ORDER:
        raise UserError(f"Unknown split '{split}'; use test or validation.")
    if split not in available_splits(info):
        raise UserError(
            f"The dataset of run {info.folder} has no {split} split; evaluate the validation "
            f"split instead."
        )


def _dataset(info: RunInfo) -> Dataset:
    """The run's dataset as it is now; one sentence when it moved or its classes changed."""
    config = info.config
    if not config.sample:
        root = Path(str(config.data_dir)).expanduser()
        if not root.is_dir():
            raise UserError(
                f"The dataset folder {root} of run {info.folder} no longer exists (moved or "
                f"deleted since training); put it back there to evaluate the run."
            )
    dataset = resolve_dataset(config)
    if dataset.class_names != info.class_names:
        raise UserError(
            f"The dataset folder {dataset.root} now has the classes "
            f"{', '.join(dataset.class_names)} but the run was trained on "
            f"{', '.join(info.class_names)}; restore the class folders it lost or gained since "
            f"training."
        )
    return dataset


def _images_of(info: RunInfo, split: str, verdict: Verdict) -> _Images:
    """The split's readable files; the unreadable ones and those gone since the last evaluation
    are skipped with their reason."""
    listed: Split = getattr(_dataset(info), split)
    images = _Images(split, Split(), [])
    for path, label in zip(listed.files, listed.labels, strict=True):
        reason = verdict(path)
        if reason:
            images.skipped.append({"path": path, "reason": reason})
        else:
            images.usable.files.append(path)
            images.usable.labels.append(label)
    present = set(listed.files)
    gone = sorted(path for path in _recorded_files(info.folder, split) if path not in present)
    images.skipped += [{"path": path, "reason": MISSING} for path in gone]
    if not images.usable.files:
        raise UserError(
            f"No image of the {split} split of run {info.folder} can be read any more "
            f"({len(images.skipped)} skipped); put the dataset's images back to evaluate it."
        )
    return images


def _recorded_files(run_dir: Path, split: str) -> set[str]:
    """Every image path the run's stored evaluations of `split` scored."""
    paths: set[str] = set()
    for model, stored_split in stored_evaluations(run_dir):
        if stored_split == split:
            csv_path = evaluation_files(run_dir, model, split)[0]
            try:
                with csv_path.open(newline="", encoding="utf-8") as file:
                    paths.update(row["path"] for row in csv.DictReader(file))
            except (OSError, ValueError, KeyError, csv.Error):
                continue
    return paths


def _check_file(path: str) -> str | None:
    """Why the file cannot be used now (decoding it with Pillow), or None."""
    return MISSING if not os.path.exists(path) else check_image(path)


def _report_verdict(info: RunInfo) -> Verdict:
    """The image check's verdicts from dataset_report.json (a run that just checked them)."""
    skipped = {
        str(entry.get("path")): str(entry.get("reason"))
        for entry in _report(info).get("skipped") or []
        if isinstance(entry, dict)
    }
    return lambda path: MISSING if not os.path.exists(path) else skipped.get(path)


# ---- scoring ------------------------------------------------------------------------------


def _binary(info: RunInfo) -> bool:
    return len(info.class_names) <= 2


def _load(info: RunInfo, choice: ModelChoice) -> keras.Model:
    from ftgui.core.model.device import setup_devices

    setup_devices()
    return load_model(info, choice)


def _evaluate_all(
    info: RunInfo,
    model: keras.Model | None,
    verdict: Verdict,
    status: StatusLine | None,
    stop: Stop | None,
    known: KnownFeatures | None = None,
    pixels: PixelStore | None = None,
) -> list[Evaluation]:
    """Every model on disk on every split; a given `model` holds the first model's weights."""
    from ftgui.core.model.build import load_saved_weights

    models = run_models(info)
    splits = available_splits(info)
    images = {split: _images_of(info, split, verdict) for split in splits} if models else {}
    evaluations: list[Evaluation] = []
    scorer = None
    for index, choice in enumerate(models):
        if model is None:
            model = _load(info, choice)
        elif index > 0:
            load_saved_weights(model, choice.path)
        if scorer is None:
            level = shared_frozen_level(info.config, len(models))
            scorer = Scorer(model, _binary(info), info.config.image_size, level)
            if known is not None and "validation" in images:
                scorer.adopt(
                    "validation", images["validation"].usable, known, info.config.batch_size
                )
        for split in splits:
            evaluation = _evaluate_images(
                info, choice.name, images[split], scorer, status, stop, pixels
            )
            if evaluation is None:
                return evaluations
            evaluations.append(evaluation)
    return evaluations


def _evaluate_images(
    info: RunInfo,
    name: str,
    images: _Images,
    scorer: Scorer,
    status: StatusLine | None,
    stop: Stop | None,
    pixels: PixelStore | None = None,
) -> Evaluation | None:
    """Score one model on one split's images (from `pixels` when it holds them) and write the
    two files."""
    data = _batches(images.usable, info.config, scorer.binary, pixels)
    what = f"{name} on {images.split}"
    if status is not None:
        status(f"Evaluating {what}…")
    scores = scorer.score(data, stop, what, images.split)
    if scores is None:
        return None
    evaluation = _evaluation(name, images, info.class_names, *scores)
    write_evaluation(info.folder, evaluation)
    return evaluation


def _batches(split: Split, config: RunConfig, binary: bool, pixels: PixelStore | None) -> Any:
    """Batches of the split's images: from `pixels` when it holds them all, else decoded."""
    from ftgui.core.data.pipeline import cached_dataset, make_dataset

    decoded = pixels.of(split.files) if pixels and pixels.size == config.image_size else None
    if decoded is not None:
        return cached_dataset(decoded, split.labels, config.batch_size, binary)
    return make_dataset(split, config.image_size, config.batch_size, binary)


def _evaluation(
    name: str, images: _Images, classes: list[str], output: np.ndarray, losses: np.ndarray
) -> Evaluation:
    """Per-image results and the split's summary from the model's output and losses."""
    import numpy as np

    labels = np.asarray(images.usable.labels, dtype=np.int64)
    probabilities, predicted = class_probabilities(output)
    results = [
        ImageResult(
            path,
            int(label),
            int(guess),
            float(row[guess]),
            float(loss),
            tuple(float(v) for v in row),
        )
        for path, label, guess, row, loss in zip(
            images.usable.files, labels, predicted, probabilities, losses, strict=True
        )
    ]
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    return Evaluation(
        name,
        images.split,
        list(classes),
        float(np.mean(predicted == labels)),
        float(np.mean(losses.astype(np.float64))),
        confusion.tolist(),
        _per_class(confusion, classes),
        list(images.skipped),
        results,
    )


def _per_class(confusion: np.ndarray, classes: list[str]) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 (0 where undefined) and support (the true count) per class."""
    table = {}
    for k, name in enumerate(classes):
        hits, predicted, support = confusion[k, k], confusion[:, k].sum(), confusion[k, :].sum()
        precision = float(hits / predicted) if predicted else 0.0
        recall = float(hits / support) if support else 0.0
        both = precision + recall
        f1 = 2 * precision * recall / both if both else 0.0
        table[name] = {"precision": precision, "recall": recall, "f1": f1, "support": int(support)}
    return table


def _evaluated_summary(evaluations: list[Evaluation], run_dir: Path) -> str:
    first = evaluations[0]
    models = len({e.model for e in evaluations})
    splits = len({e.split for e in evaluations})
    return (
        f"Evaluated {models} model{'s' * (models != 1)} on {splits} split{'s' * (splits != 1)} "
        f"into {run_dir / EVALUATION_DIR} ({first.model} on {first.split}: accuracy "
        f"{first.accuracy:.4f})"
    )
