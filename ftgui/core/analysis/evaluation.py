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

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftgui.core.analysis.calibration import calibrate_evaluations
from ftgui.core.analysis.calibration import summary as calibration_summary
from ftgui.core.analysis.evaluation_files import (
    EVALUATION_DIR,
    Evaluation,
    ImageResult,
    write_evaluation,
)
from ftgui.core.analysis.evaluation_images import (
    SplitImages,
    Verdict,
    available_splits,
    check_file,
    check_split,
    images_of,
    report_verdict,
)
from ftgui.core.analysis.metrics import class_scores
from ftgui.core.analysis.models import (
    FINAL,
    ModelChoice,
    RunInfo,
    load_model,
    read_run_info,
    run_models,
)
from ftgui.core.analysis.scoring import Scorer, Stop, shared_frozen_level
from ftgui.core.data.dataset import Split
from ftgui.core.settings.task_output import ClassifierOutput

if TYPE_CHECKING:
    import keras
    import numpy as np

    from ftgui.core.data.pixels import PixelStore
    from ftgui.core.settings.config import RunConfig
    from ftgui.core.training.feature_cache import KnownFeatures

StatusLine = Callable[[str], None]


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
    check_split(info, split)
    images = images_of(info, split, check_file)
    if model is None:
        model = _load(info, choice)
    scorer = Scorer(model, _output(info))
    return _evaluate_images(info, choice.name, images, scorer, status, stop)


def evaluate_run(
    info: RunInfo, status: StatusLine | None = None, stop: Stop | None = None
) -> list[Evaluation]:
    """Every model on disk on every available split (those finished before a stop)."""
    return _evaluate_all(info, None, check_file, status, stop)


def evaluate_finished_run(
    run_dir: Path,
    model: keras.Model,
    status: StatusLine,
    stop: Stop,
    known: KnownFeatures | None = None,
    pixels: PixelStore | None = None,
) -> dict[str, float] | None:
    """After a run (`core/run`): score its models with the model still in memory; return
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
        evaluations = _evaluate_all(info, model, report_verdict(info), status, stop, known, pixels)
    finally:
        model.set_weights(final_weights)
    if stop():
        status(f"Evaluation stopped; evaluate later with: python main.py evaluate {run_dir}")
    elif evaluations:
        status(_evaluated_summary(evaluations, run_dir))
        calibrations = calibrate_evaluations(run_dir, evaluations)
        if calibrations:
            count = len(calibrations)
            status(
                f"Calibrated {count} model{'s' * (count != 1)} "
                f"({calibration_summary(calibrations[0])})"
            )
    return next(
        (
            {"loss": e.loss, "accuracy": e.accuracy}
            for e in evaluations
            if (e.model, e.split) == (FINAL, "test")
        ),
        None,
    )


# ---- choosing the images ----------------------------------------------------------------------


# ---- scoring ------------------------------------------------------------------------------


def _output(info: RunInfo) -> ClassifierOutput:
    return ClassifierOutput(len(info.class_names))


def load_run_model(info: RunInfo, choice: ModelChoice) -> keras.Model:
    """`choice` in the run's architecture, on the devices ftgui sets up."""
    return _load(info, choice)


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
    images = {split: images_of(info, split, verdict) for split in splits} if models else {}
    evaluations: list[Evaluation] = []
    scorer = None
    for index, choice in enumerate(models):
        if model is None:
            model = _load(info, choice)
        elif index > 0:
            load_saved_weights(model, choice.path)
        if scorer is None:
            level = shared_frozen_level(info.config, len(models))
            scorer = Scorer(model, _output(info), info.config.image_size, level)
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
    images: SplitImages,
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
    name: str, images: SplitImages, classes: list[str], output: np.ndarray, losses: np.ndarray
) -> Evaluation:
    """Per-image results and the split's summary from the model's output and losses."""
    import numpy as np

    labels = np.asarray(images.usable.labels, dtype=np.int64)
    probabilities, predicted = ClassifierOutput.of_units(output.shape[1]).probabilities(output)
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
    confusion, per_class = class_scores(labels, predicted, classes)
    return Evaluation(
        name,
        images.split,
        list(classes),
        float(np.mean(predicted == labels)),
        float(np.mean(losses.astype(np.float64))),
        confusion,
        per_class,
        list(images.skipped),
        results,
    )


def _evaluated_summary(evaluations: list[Evaluation], run_dir: Path) -> str:
    first = evaluations[0]
    models = len({e.model for e in evaluations})
    splits = len({e.split for e in evaluations})
    return (
        f"Evaluated {models} model{'s' * (models != 1)} on {splits} split{'s' * (splits != 1)} "
        f"into {run_dir / EVALUATION_DIR} ({first.model} on {first.split}: accuracy "
        f"{first.accuracy:.4f})"
    )
