"""Export a run's model as a SavedModel, a TFLite file or an ONNX file, verified by running it.

Keras 3's own export path writes each artifact (`model.export(path)`, `format="litert"`,
`format="onnx"`: see PITFALLS.md, "Export with Keras 3"); the input stays raw RGB pixels 0–255
with VGG16's preprocessing inside. The artifact is written into a hidden sibling folder, run
in its own runtime (verify.py) and only then moved to its place, so a failed export leaves
nothing behind. A SavedModel is about twice the weights' size: Keras's export stores every
variable twice (keras-team/keras#23553, open).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ftgui.core.analysis.models import ModelChoice, RunInfo, load_model
from ftgui.core.errors import UserError
from ftgui.core.export import verify
from ftgui.core.files import cannot_write, check_writable_folder, new_folders_removed_on_failure
from ftgui.core.settings.task_output import ClassifierOutput

if TYPE_CHECKING:
    import keras

FORMATS = ("savedmodel", "tflite", "onnx", "script")
ARTIFACTS = {"savedmodel": "saved_model", "tflite": "model.tflite", "onnx": "model.onnx"}
EXPORT_DIR = "export"
LABELS_FILE = "labels.txt"
INSTALL_HINT = "pip install -e '.[export]'"
# Import name and package name of what each format needs beyond TensorFlow.
PACKAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "savedmodel": (),
    "tflite": (("ai_edge_litert", "ai-edge-litert"),),
    "onnx": (("tf2onnx", "tf2onnx"), ("onnx", "onnx"), ("onnxruntime", "onnxruntime")),
}
RUNTIMES: dict[str, tuple[str, verify.Runner]] = {  # the runtime's name for the report
    "savedmodel": ("tf.saved_model", verify.run_saved_model),
    "tflite": ("the LiteRT interpreter", verify.run_tflite),
    "onnx": ("onnxruntime", verify.run_onnx),
}
# VGG16's `preprocess_input` ("caffe" mode): RGB → BGR, minus the ImageNet mean (BGR order).
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)

Status = Callable[[str], None]


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote and how well its artifact matched Keras."""

    folder: Path
    artifact: Path
    size: int  # bytes of the artifact (a SavedModel: all its files)
    seconds: float  # writing the artifact
    check_seconds: float  # loading and running it in its runtime
    runtime: str  # what ran it for the check
    difference: float  # largest absolute difference of a class probability from Keras's
    source: str  # what it was checked on ("12 validation images", …)


def default_output(run_dir: Path, fmt: str) -> Path:
    """RUN/export/<format>/ for a model, RUN/recipe.py for the script."""
    return run_dir / "recipe.py" if fmt == "script" else run_dir / EXPORT_DIR / fmt


def check_output(path: Path, folder: bool = True) -> None:
    """An output path must not exist, or be empty: a folder for a model, a file for a script."""
    if path.exists() and path.is_dir() != folder:
        kind = "folder" if folder else "file"
        raise UserError(f"{path} exists and is not a {kind}; choose another --out.")
    if (path.is_dir() and any(path.iterdir())) or (path.is_file() and path.stat().st_size):
        raise UserError(f"{path} exists and is not empty; choose another --out or remove it.")


def require_packages(fmt: str) -> None:
    """One sentence naming the install command when a package the format needs is missing.

    Only looks the packages up (no import), so it answers before TensorFlow loads.
    """
    for module, package in PACKAGES.get(fmt, ()):
        if not _installed(module):
            raise UserError(
                f"The {fmt} export needs the optional package {package}, which is not "
                f"installed; install the export packages with {INSTALL_HINT}."
            )


def _import_packages(fmt: str) -> None:
    """Import what the format needs; one sentence when an installed package does not import."""
    for module, package in PACKAGES.get(fmt, ()):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise UserError(
                f"The {fmt} export needs {package}, which is installed but does not import "
                f"({_short(exc)}); reinstall the export packages with {INSTALL_HINT}."
            ) from None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: sys.modules holds None for it
        return False


def label_lines(class_names: list[str]) -> str:
    """labels.txt: one class a line, in output order (a sigmoid's single output is class 1)."""
    return "".join(f"{name}\n" for name in class_names)


def output_note(class_names: list[str]) -> str:
    """How to read the artifact's output."""
    if ClassifierOutput(len(class_names)).binary:
        return (
            f"The output is one number per image: P({class_names[-1]}); "
            f"P({class_names[0]}) = 1 − it (labels.txt lists both classes)."
        )
    return f"The output is {len(class_names)} probabilities per image, in labels.txt's order."


def export_model(
    info: RunInfo,
    choice: ModelChoice,
    fmt: str,
    out: Path,
    status: Status | None = None,
    flag: str | None = "--out",
    temperature: float = 1.0,
) -> ExportResult:
    """Write `choice` in `fmt` plus labels.txt into the folder `out`, verified; or UserError
    (a path that cannot be written names `flag`). A failure leaves nothing at `out`.

    A `temperature` other than 1 (`calibration.py`) is baked into the output layer: its kernel
    and bias divided by it, so the artifact outputs calibrated probabilities; the check then
    compares with the Keras model's probabilities calibrated by `calibration.calibrated`."""
    if fmt not in ARTIFACTS:
        raise UserError(f"Unknown model format '{fmt}'; use {', '.join(ARTIFACTS)}.")
    say = status or (lambda text: None)
    require_packages(fmt)
    check_output(out)
    check_writable_folder(out, flag)
    say("Loading TensorFlow and the model…")
    from ftgui.core.model.device import setup_devices

    setup_devices()
    _import_packages(fmt)
    model = load_model(info, choice)
    batch = verify.verification_batch(info)
    expected = model.predict(batch.pixels, verbose=0, batch_size=len(batch.pixels))
    if temperature != 1.0:
        expected = _calibrated_output(expected, temperature)
    partial = out.parent / f".{out.name}.partial"
    with new_folders_removed_on_failure(out.parent):
        try:
            shutil.rmtree(partial, ignore_errors=True)  # left by a killed export
            partial.mkdir(parents=True)
            say(f"Writing {ARTIFACTS[fmt]}…")
            artifact, seconds = _write_artifact(model, fmt, partial, batch, temperature)
            (partial / LABELS_FILE).write_text(label_lines(info.class_names), "utf-8")
            runtime, runner = RUNTIMES[fmt]
            say(f"Checking it with {runtime} on {batch.source}…")
            start = time.perf_counter()
            difference = _check(runner, artifact, batch, expected, runtime)
            check_seconds = time.perf_counter() - start
            _move_into_place(partial, out)
        except OSError as exc:
            raise cannot_write(out, exc, flag, folder=True) from None
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    final = out / artifact.name
    size = size_of(final)
    return ExportResult(out, final, size, seconds, check_seconds, runtime, difference, batch.source)


def _write_artifact(
    model: keras.Model, fmt: str, folder: Path, batch: verify.Batch, temperature: float = 1.0
) -> tuple[Path, float]:
    """Keras's own export of the inference graph; (artifact path, seconds taken)."""
    path = folder / ARTIFACTS[fmt]
    twin = inference_model(model, temperature)
    twin(batch.pixels[:1], training=False)  # Keras's ONNX export refuses a never-called model
    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    keras_format = {"savedmodel": "tf_saved_model", "tflite": "litert", "onnx": "onnx"}[fmt]
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():  # numpy's FutureWarning from Keras's tf2onnx patch
            warnings.simplefilter("ignore")
            twin.export(str(path), format=keras_format, verbose=False)
    except OSError:
        raise  # export_model names the chosen folder
    except Exception as exc:
        raise UserError(
            f"Keras could not export the model as {fmt} ({_short(exc)}); nothing was written."
        ) from None
    return path, time.perf_counter() - start


def inference_model(model: keras.Model, temperature: float = 1.0) -> keras.Model:
    """The model's inference graph on its own layers: raw pixels → preprocessing → base → head
    (the output layer divided by `temperature` when it is not 1).

    Augmentation (inactive at inference) is left out, and VGG16's preprocessing is the same
    arithmetic as `vgg16.preprocess_input` with the mean as a graph constant: Keras's version
    captures an eager tensor, which tf2onnx turns into a second ONNX input.
    """
    import keras
    import numpy as np

    from ftgui.core.model.build import HEAD_LAYER_NAMES, conv_base

    pixels = keras.Input(model.input_shape[1:], name="pixels")
    x = keras.ops.flip(pixels, axis=-1)  # RGB → BGR
    x = keras.ops.add(x, -np.array(IMAGENET_MEAN_BGR, dtype=np.float32))
    x = conv_base(model)(x)
    for name in HEAD_LAYER_NAMES:
        layer = model.get_layer(name)
        if name == HEAD_LAYER_NAMES[-1] and temperature != 1.0:
            layer = _tempered(layer, temperature)
        x = layer(x)
    return keras.Model(pixels, x, name=model.name)


def _tempered(layer: keras.layers.Dense, temperature: float) -> keras.layers.Dense:
    """A copy of the output layer computing activation(logits / temperature)."""
    import keras

    kernel, bias = layer.get_weights()
    tempered = keras.layers.Dense.from_config(layer.get_config())
    tempered.build((None, kernel.shape[0]))
    tempered.set_weights([kernel / temperature, bias / temperature])
    return tempered


def _calibrated_output(output: object, temperature: float) -> object:
    """The model's output as the calibrated artifact gives it (a sigmoid's: one column)."""
    import numpy as np

    from ftgui.core.analysis.calibration import calibrated

    values = np.asarray(output)
    units = values.shape[1]
    probabilities, _ = ClassifierOutput.of_units(units).probabilities(values)
    tempered = calibrated(probabilities, temperature)
    return (tempered[:, 1:] if units == 1 else tempered).astype(np.float32)


def _check(
    runner: verify.Runner,
    artifact: Path,
    batch: verify.Batch,
    expected: object,
    runtime: str,
) -> float:
    """The verified difference; UserError when the artifact does not run or does not match."""
    try:
        actual = runner(artifact, batch.pixels)
    except Exception as exc:
        raise UserError(
            f"The exported {artifact.name} does not run in {runtime} ({_short(exc)}); "
            f"nothing was written."
        ) from None
    difference = verify.largest_difference(expected, actual)  # type: ignore[arg-type]
    if not difference <= verify.TOLERANCE:
        raise UserError(
            f"The exported {artifact.name} differs from Keras by up to {difference:.3g} "
            f"(limit {verify.TOLERANCE:g}) on {batch.source}; nothing was written."
        )
    return difference


def _move_into_place(partial: Path, out: Path) -> None:
    """Rename the checked folder to `out` (an empty folder there is replaced)."""
    if out.is_dir():
        out.rmdir()  # check_output let only an empty folder through
    os.replace(partial, out)


def size_of(path: Path) -> int:
    """Bytes of a file, or of every file under a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "…"
