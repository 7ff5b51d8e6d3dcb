"""Classify new images with a run's model: expand paths, predict in batches, write a CSV.

Images are read by `pipeline.make_dataset` itself (one file per element, decoded in parallel,
so that a file that cannot be decoded drops out alone), then re-batched: the pixels are exactly
training's (`pixels.decode_pixels`). Files that cannot be decoded are named afterwards with
`scan.check_image`'s reason, so the check costs nothing for the files that can be read.
"""

from __future__ import annotations

import csv
import os
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ftgui.core.analysis.calibration import calibrated
from ftgui.core.analysis.tta import tta_predictor
from ftgui.core.data.dataset import IMAGE_SUFFIXES, Split
from ftgui.core.data.scan import check_image
from ftgui.core.errors import UserError
from ftgui.core.files import write_atomically
from ftgui.core.settings.task_output import ClassifierOutput

if TYPE_CHECKING:
    import keras
    import numpy as np
    import tensorflow as tf

CSV_FIELDS = ("path", "predicted", "confidence")
PROBABILITY_PREFIX = "p:"
MISSING = "no such file or folder"
NO_IMAGES = "no image files in this folder"
UNDECODABLE = "it cannot be decoded"

Problem = dict[str, str]  # {"path", "reason"}

_PREDICTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> traced call


@dataclass(frozen=True)
class Prediction:
    """One image's prediction; `predicted` indexes the run's class names."""

    path: str
    predicted: int
    confidence: float  # the predicted class's probability
    probabilities: tuple[float, ...]  # one per class, in class order (2-class sigmoid: (1-p, p))

    def top(self, k: int) -> list[tuple[int, float]]:
        """The `k` most probable classes as (index, probability), most probable first."""
        ranked = sorted(enumerate(self.probabilities), key=lambda pair: -pair[1])
        return ranked[:k]


# ---- which files ----------------------------------------------------------------------------


def is_image_name(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def image_files(paths: Sequence[str | Path]) -> tuple[list[str], list[Problem]]:
    """Expand files and folders into image files, each once, in the order given.

    A folder gives its images (by suffix) recursively and sorted, skipping hidden files and
    folders. Missing paths, files named explicitly that are not images and folders without
    images are returned as problems.
    """
    files: list[str] = []
    problems: list[Problem] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            found = _folder_images(path)
            files += found
            if not found:
                problems.append({"path": str(path), "reason": NO_IMAGES})
        elif not path.exists():
            problems.append({"path": str(path), "reason": MISSING})
        elif not is_image_name(path):
            problems.append({"path": str(path), "reason": _not_an_image(path)})
        else:
            files.append(str(path))
    return list(dict.fromkeys(files)), problems


def _folder_images(folder: Path) -> list[str]:
    found = []
    for parent, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [
            os.path.join(parent, name)
            for name in names
            if not name.startswith(".") and is_image_name(name)
        ]
    return sorted(found)


def _not_an_image(path: Path) -> str:
    suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
    return f"not an image file by its name (ftgui reads {suffixes})"


# ---- predicting -----------------------------------------------------------------------------


def predict_files(
    model: keras.Model,
    files: Sequence[str],
    image_size: int,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    views: Sequence[str] = (),
    temperature: float = 1.0,
) -> tuple[list[Prediction], list[Problem]]:
    """Predict every readable file; the others are returned as problems with their reason.

    Probabilities follow the model's output (`ClassifierOutput.of_units`); with `views`
    (`tta.tta_views`) they are the mean over those views of each image, and a `temperature`
    other than 1 calibrates them (`calibration.calibrated`, applied to the mean).
    `progress(done, total)` follows each batch and `stop()` is asked before each; once it is
    true the predictions and problems found so far are returned.
    """
    from ftgui.core.training.tf_errors import tensorflow_errors

    total = len(files)
    if not total:
        return [], []
    predict = _predictor(model) if not views else _mean_over(tta_predictor(model, views))
    predictions: list[Prediction] = []
    problems: list[Problem] = []
    done = 0
    with tensorflow_errors("predicting"):
        for pixels, indices in _batches(files, image_size, batch_size):
            if stop is not None and stop():
                return predictions, problems
            read = [int(i) for i in indices.numpy()]
            problems += _unreadable(files[i] for i in _gaps(done, read))
            predictions += _predictions(files, read, predict(pixels).numpy(), temperature)
            done = read[-1] + 1
            if progress is not None:
                progress(done, total)
    problems += _unreadable(files[done:])
    if progress is not None and done < total:
        progress(total, total)
    return predictions, problems


def _batches(files: Sequence[str], image_size: int, batch_size: int) -> tf.data.Dataset:
    """(pixels, file indices) batches of the files TensorFlow can decode, in file order."""
    from ftgui.core.data.pipeline import make_dataset

    indexed = Split(list(files), list(range(len(files))))  # the label carries the file index
    singles = make_dataset(indexed, image_size, 1, binary=False).ignore_errors()
    return singles.unbatch().batch(batch_size).prefetch(1)


def _gaps(start: int, read: list[int]) -> list[int]:
    """The file indices from `start` up to the last one read that were not read."""
    seen = set(read)
    return [i for i in range(start, read[-1]) if i not in seen]


def _predictor(model: keras.Model) -> Callable[[tf.Tensor], tf.Tensor]:
    """The model's inference call, traced once for any batch size and kept with the model."""
    import tensorflow as tf

    predict = _PREDICTORS.get(model)
    if predict is None:
        ref = weakref.ref(model)  # a strong one would keep the model, its key, alive for good
        predict = tf.function(lambda x: ref()(x, training=False), reduce_retracing=True)
        _PREDICTORS[model] = predict
    return predict


def _mean_over(views: Callable[[tf.Tensor], tf.Tensor]) -> Callable[[tf.Tensor], tf.Tensor]:
    import tensorflow as tf

    return lambda pixels: tf.reduce_mean(views(pixels), axis=0)


def _predictions(
    files: Sequence[str], indices: list[int], output: np.ndarray, temperature: float = 1.0
) -> list[Prediction]:
    probabilities, predicted = ClassifierOutput.of_units(output.shape[1]).probabilities(output)
    probabilities = calibrated(probabilities, temperature)
    return [
        Prediction(files[i], int(k), float(row[k]), tuple(float(v) for v in row))
        for i, k, row in zip(indices, predicted, probabilities, strict=True)
    ]


def _unreadable(files: Iterable[str]) -> list[Problem]:
    """Why each of these files (which could not be decoded) cannot be read."""
    return [{"path": path, "reason": unreadable_reason(path)} for path in files]


def unreadable_reason(path: str) -> str:
    """Pillow's reason for a file that could not be decoded (the image check's words)."""
    if not os.path.exists(path):
        return MISSING
    try:
        return check_image(path) or UNDECODABLE
    except Exception as exc:  # Pillow's own limits, e.g. DecompressionBombError
        return f"{UNDECODABLE} ({type(exc).__name__})"


# ---- the CSV --------------------------------------------------------------------------------


def csv_header(class_names: Sequence[str]) -> list[str]:
    return [*CSV_FIELDS, *(PROBABILITY_PREFIX + name for name in class_names)]


def write_predictions_csv(
    path: str | Path, predictions: Sequence[Prediction], class_names: list[str]
) -> None:
    """`path,predicted,confidence,p:<class>…`, one row per image, written atomically."""
    path = Path(path).expanduser()

    def write(target: Path) -> None:
        with target.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(csv_header(class_names))
            for p in predictions:
                writer.writerow(
                    [
                        p.path,
                        class_names[p.predicted],
                        repr(p.confidence),
                        *(repr(v) for v in p.probabilities),
                    ]
                )

    try:
        write_atomically(path, write)
    except OSError as exc:
        raise UserError(
            f"Cannot write {path} ({exc.strerror or exc}); choose a file in a folder you can "
            f"write to."
        ) from None
