"""Checking an exported model: the pixels it is tried on and the runtimes that run it.

Each artifact runs in its own runtime (SavedModel: `tf.saved_model.load`; TFLite: the LiteRT
interpreter of `ai-edge-litert`; ONNX: `onnxruntime`) and its class probabilities are compared
with Keras's `model.predict` on the same pixels, read as training reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ftgui.core.analysis.models import RunInfo
from ftgui.core.data.dataset import Split
from ftgui.core.data.sample import resolve_dataset
from ftgui.core.data.scan import check_image
from ftgui.core.errors import UserError

if TYPE_CHECKING:
    import numpy as np

VERIFY_IMAGES = 32  # at most this many validation images
TOLERANCE = 1e-4  # largest allowed absolute difference of a class probability (float32)


@dataclass(frozen=True)
class Batch:
    """The pixels an export is checked on, and where they came from (for the report)."""

    pixels: np.ndarray  # float32 (n, size, size, 3), RGB 0–255
    source: str  # "12 validation images" or "32 random-pixel images (…)"


def verification_batch(info: RunInfo) -> Batch:
    """Up to 32 validation images spread over the classes, or a seeded random batch if gone."""
    try:
        files = _validation_files(info)
    except UserError as exc:
        return _random_batch(info, f"the dataset cannot be read: {exc}")
    if not files:
        return _random_batch(info, "the dataset has no readable validation image")
    return Batch(_read(files, info.config.image_size), f"{len(files)} validation images")


def _validation_files(info: RunInfo) -> list[str]:
    """Evenly spaced validation files (class order), skipping those Pillow cannot decode."""
    files = resolve_dataset(info.config).validation.files
    step = max(1, len(files) / VERIFY_IMAGES)
    chosen = [files[int(i * step)] for i in range(min(VERIFY_IMAGES, len(files)))]
    return [path for path in chosen if check_image(path) is None]


def _read(files: list[str], image_size: int) -> np.ndarray:
    """The images decoded and resized by the training pipeline itself."""
    from ftgui.core.data.pipeline import make_dataset

    split = Split(files, [0] * len(files))
    pixels, _ = next(iter(make_dataset(split, image_size, len(files), binary=True)))
    return pixels.numpy()


def _random_batch(info: RunInfo, why: str) -> Batch:
    import numpy as np

    size = info.config.image_size
    rng = np.random.default_rng(info.config.seed)
    pixels = rng.integers(0, 256, (VERIFY_IMAGES, size, size, 3)).astype(np.float32)
    return Batch(pixels, f"{VERIFY_IMAGES} random-pixel images ({why.rstrip('.')})")


# ---- runtimes ----------------------------------------------------------------------------------

Runner = Callable[[Path, "np.ndarray"], "np.ndarray"]


def run_saved_model(path: Path, pixels: np.ndarray) -> np.ndarray:
    """The SavedModel's `serve` endpoint, loaded by TensorFlow alone (no Keras objects)."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # kept: its variables die with it
    return loaded.serve(tf.constant(pixels)).numpy()


def run_tflite(path: Path, pixels: np.ndarray) -> np.ndarray:
    """The .tflite file in the LiteRT interpreter (its signature runner resizes the batch)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner()
    (name,) = interpreter.get_signature_list()["serving_default"]["inputs"]
    (output,) = runner(**{name: pixels}).values()
    return output


def run_onnx(path: Path, pixels: np.ndarray) -> np.ndarray:
    """The .onnx file in ONNX Runtime on the CPU."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (name,) = [node.name for node in session.get_inputs()]
    return session.run(None, {name: pixels})[0]


def largest_difference(expected: np.ndarray, actual: np.ndarray) -> float:
    """The largest absolute difference of the two outputs; inf when their shapes differ."""
    import numpy as np

    actual = np.asarray(actual)
    if actual.shape != expected.shape:
        return float("inf")
    difference = np.abs(expected.astype(np.float64) - actual.astype(np.float64))
    return float(np.nan_to_num(difference, nan=np.inf).max(initial=0.0))
