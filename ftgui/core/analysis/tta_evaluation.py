"""What test-time augmentation does on a split: accuracy with and without, the predictions it
turns right→wrong and wrong→right, and what it costs; `evaluation/<model>-<split>-tta.json`."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ftgui.core.analysis.evaluation_files import EVALUATION_DIR
from ftgui.core.analysis.evaluation_images import check_file, check_split, images_of
from ftgui.core.analysis.models import ModelChoice, RunInfo
from ftgui.core.analysis.scoring import Stop
from ftgui.core.analysis.tta import tta_predictor, tta_views
from ftgui.core.files import write_run_file
from ftgui.core.settings.task_output import ClassifierOutput

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class TtaComparison:
    """One model on one split, without and with test-time augmentation."""

    model: str
    split: str
    views: list[str]
    images: int
    accuracy: float  # the whole image only (as `evaluate` scores it)
    accuracy_tta: float  # the mean probability over the views
    right_to_wrong: int  # right without, wrong with
    wrong_to_right: int
    seconds: float  # the model on the whole images
    seconds_tta: float  # the model on every view


def tta_file(run_dir: str | Path, model: str, split: str) -> Path:
    return Path(run_dir).expanduser() / EVALUATION_DIR / f"{model}-{split}-tta.json"


def compare_tta(
    info: RunInfo,
    choice: ModelChoice,
    split: str,
    model: keras.Model,
    stop: Stop | None = None,
) -> TtaComparison | None:
    """Score `split` with and without the views and store the comparison; None when stopped."""
    import numpy as np
    import tensorflow as tf

    from ftgui.core.data.pipeline import make_dataset
    from ftgui.core.training.tf_errors import tensorflow_errors

    check_split(info, split)
    images = images_of(info, split, check_file).usable
    output = ClassifierOutput(len(info.class_names))
    views = tta_views(info.config.augmenting)
    plain = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    every_view = tta_predictor(model, views)
    data = make_dataset(images, info.config.image_size, info.config.batch_size, output.binary)
    seconds = seconds_tta = 0.0
    without, with_views = [], []
    traced = False
    with tensorflow_errors(f"test-time augmentation of {choice.name} on {split}"):
        for pixels, _ in data:
            if stop is not None and stop():
                return None
            if not traced:  # tracing is not what TTA costs per image: leave it out of the times
                plain(pixels), every_view(pixels)
                traced = True
            start = time.perf_counter()
            without.append(plain(pixels).numpy())
            middle = time.perf_counter()
            with_views.append(every_view(pixels).numpy().mean(axis=0))
            seconds += middle - start
            seconds_tta += time.perf_counter() - middle
    labels = np.asarray(images.labels, dtype=np.int64)
    right = output.probabilities(np.concatenate(without))[1] == labels
    right_tta = output.probabilities(np.concatenate(with_views))[1] == labels
    comparison = TtaComparison(
        choice.name,
        split,
        views,
        len(labels),
        float(right.mean()),
        float(right_tta.mean()),
        int(np.sum(right & ~right_tta)),
        int(np.sum(~right & right_tta)),
        seconds,
        seconds_tta,
    )
    path = tta_file(info.folder, choice.name, split)
    text = json.dumps(asdict(comparison), indent=2) + "\n"
    write_run_file(path, lambda target: target.write_text(text, encoding="utf-8"))
    return comparison


def comparison_lines(comparison: TtaComparison) -> list[str]:
    """The printed summary: both accuracies, the two flip counts and the cost."""
    ratio = comparison.seconds_tta / comparison.seconds if comparison.seconds else float("nan")
    return [
        f"Test-time augmentation ({len(comparison.views)} views: {', '.join(comparison.views)})",
        f"accuracy without TTA {comparison.accuracy:.4f}, with TTA {comparison.accuracy_tta:.4f} "
        f"({comparison.images} images)",
        f"right→wrong {comparison.right_to_wrong}, wrong→right {comparison.wrong_to_right}",
        f"time: {comparison.seconds:.2f} s without, {comparison.seconds_tta:.2f} s with "
        f"(×{ratio:.1f})",
    ]
