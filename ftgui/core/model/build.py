"""Build the book's model (VGG16 conv base + classifier head), apply layer plans, compile phases.

TensorFlow and Keras are imported inside the functions, never at module import.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftgui.core.errors import UserError
from ftgui.core.model.acceleration import TESTED_KERAS
from ftgui.core.settings.config import PhaseConfig
from ftgui.core.settings.fields import PHASE
from ftgui.core.settings.layer_plan import HEAD_UNITS, frozen_layers
from ftgui.core.settings.optimizers import BY_NAME
from ftgui.core.settings.task_output import ClassifierOutput
from ftgui.core.settings.weights import NOTOP_FILE, imagenet_cache_path, weights_file_problem
from ftgui.core.settings.weights import building_message as building_message
from ftgui.core.settings.weights import check_weights_choice as check_weights_choice

if TYPE_CHECKING:
    import keras

BASE_NAME = "vgg16"
PREPROCESS_NAME = "vgg16_preprocess"
AUGMENTATION_NAME = "augmentation"
HEAD_LAYER_NAMES = ("flatten", "dense", "dropout", "predictions")  # the head, bottom to top
PIXEL_SCALE = 64.0  # ~ the std of VGG16-preprocessed pixels


def build_conv_base(weights: str, image_size: int, seed: int = 1337) -> keras.Model:
    """VGG16 without its top, with `imagenet`, `none` or a weights FILE; UserError if missing."""
    from keras.applications import VGG16

    shape = (image_size, image_size, 3)
    if weights == "none":
        return he_initialised(VGG16(include_top=False, weights=None, input_shape=shape), seed)
    if weights == "imagenet":
        try:
            return VGG16(include_top=False, weights="imagenet", input_shape=shape)
        except Exception as exc:  # Keras wraps URL and HTTP failures in a plain Exception
            failed = (
                f"Could not download the ImageNet weights ({_short(exc)}); when offline, put "
                f"{NOTOP_FILE} in {imagenet_cache_path().parent} or"
            )
            raise UserError(
                f"{failed} pass --weights FILE.", "weights", f"{failed} choose Weights → File…"
            ) from None
    path = Path(weights).expanduser()
    if not path.is_file():
        raise UserError(
            f"Weights file {path} does not exist; pass --weights imagenet, none or an existing "
            f"file.",
            "weights",
            f"Weights file {path} does not exist; choose Weights → ImageNet, Random init or File…",
        )
    problem = weights_file_problem(path)
    if problem:
        raise UserError(problem, "weights")
    base = VGG16(include_top=False, weights=None, input_shape=shape)
    load_base_weights(base, path)
    return base


def he_initialised(base: keras.Model, seed: int) -> keras.Model:
    """Re-draw the kernels He-normal, the first divided by 64 for 0–255 pixels.

    Keras's Glorot default shrinks activations ~1000× over VGG16's 13 ReLU layers (feature std
    0.07 at 32 px), so a classifier on a random base barely learns; this keeps features near 1.
    """
    import keras

    first = True
    for index, layer in enumerate(base.layers):
        if hasattr(layer, "kernel"):
            kernel = keras.initializers.HeNormal(seed=seed + index)(layer.kernel.shape)
            layer.kernel.assign(kernel / PIXEL_SCALE if first else kernel)
            first = False
    return base


def load_base_weights(base: keras.Model, path: Path) -> None:
    """Load a VGG16 conv-base weights file, checking that every variable was actually replaced."""
    before = [v.numpy().copy() for v in base.weights]
    _load_weights(  # Keras only warns about unmatched layers; they are checked below
        base,
        path,
        lambda why: (
            f"Weights file {path} does not fit the VGG16 conv base ({why}); use "
            f"{NOTOP_FILE} or a .weights.h5 saved from a VGG16 conv base."
        ),
        "weights",
    )
    unchanged = [  # kernels only: a saved zero bias legitimately equals the fresh zero bias
        v.path
        for v, old in zip(base.weights, before, strict=False)
        if old.ndim > 1 and (v.numpy() == old).all()
    ]
    if unchanged:
        raise UserError(
            f"Weights file {path} left {len(unchanged)} VGG16 variables unset (first: "
            f"{unchanged[0]}); use {NOTOP_FILE} or a .weights.h5 saved from a VGG16 conv base.",
            "weights",
        )


def load_saved_weights(model: keras.Model, path: Path) -> None:
    """Load the weights of a model ftgui saved (a resumed run's model.keras) into `model`.

    Only arrays are read: the architecture is rebuilt from config.json, never deserialised
    from the file, so nothing in it can run code.
    """
    _load_weights(
        model,
        path,
        lambda why: (
            f"{path} does not fit this run's configuration or is damaged ({why}); "
            f"start a new run with --config {path.parent / 'config.json'}."
        ),
        "config",
    )


def _load_weights(
    model: keras.Model, path: Path, failure: Callable[[str], str], setting: str
) -> None:
    """`model.load_weights` without Keras's warnings; `failure(why)` is the one sentence.

    A `.keras` file's weights are copied out of the archive and loaded as the `.weights.h5`
    file they are: HDF5 reads through the zip member are slow (0.6 s against 0.2 s for VGG16).
    """
    try:
        with warnings.catch_warnings(), tempfile.TemporaryDirectory() as scratch:
            warnings.simplefilter("ignore")
            if path.suffix == ".keras":
                path = _extracted_weights(path, Path(scratch))
            model.load_weights(str(path))
    except Exception as exc:
        raise UserError(failure(_short(exc)), setting) from None


def _extracted_weights(archive: Path, folder: Path) -> Path:
    """The `model.weights.h5` of a `.keras` archive, copied into `folder`."""
    target = folder / "model.weights.h5"
    with (
        zipfile.ZipFile(archive) as source,
        source.open("model.weights.h5") as weights,
        open(target, "wb") as out,
    ):
        shutil.copyfileobj(weights, out, 16 * 2**20)
    return target


def augmentation_layers(seed: int) -> keras.Sequential:
    """The book's ImageDataGenerator settings as Keras layers (active in training only)."""
    import keras

    return keras.Sequential(
        [
            keras.layers.RandomRotation(40 / 360, fill_mode="nearest", seed=seed),
            keras.layers.RandomTranslation(0.2, 0.2, fill_mode="nearest", seed=seed + 1),
            keras.layers.RandomShear(0.2, 0.2, fill_mode="nearest", seed=seed + 2),
            keras.layers.RandomZoom(0.2, fill_mode="nearest", seed=seed + 3),
            keras.layers.RandomFlip("horizontal", seed=seed + 4),
        ],
        name=AUGMENTATION_NAME,
    )


def preprocessing_model(image_size: int) -> keras.Model:
    """VGG16's own `preprocess_input` (RGB→BGR, ImageNet mean) as a small serialisable model."""
    import keras
    from keras.applications import vgg16

    pixels = keras.Input((image_size, image_size, 3))
    return keras.Model(pixels, vgg16.preprocess_input(pixels), name=PREPROCESS_NAME)


def build_model(
    num_classes: int,
    image_size: int,
    weights: str,
    dropout: float = 0.5,
    augment: bool = False,
    seed: int = 1337,
) -> keras.Model:
    """Raw RGB pixels → [augmentation] → preprocessing → VGG16 base → the book's head."""
    import keras

    base = build_conv_base(weights, image_size, seed)
    base.name = BASE_NAME
    pixels = keras.Input((image_size, image_size, 3), name="pixels")
    x = augmentation_layers(seed)(pixels) if augment else pixels
    x = preprocessing_model(image_size)(x)
    x = base(x)
    flatten, dense, drop, predictions = HEAD_LAYER_NAMES
    x = keras.layers.Flatten(name=flatten)(x)
    x = keras.layers.Dense(HEAD_UNITS, activation="relu", name=dense)(x)
    x = keras.layers.Dropout(dropout, seed=seed, name=drop)(x)
    output = ClassifierOutput(num_classes)
    out = keras.layers.Dense(
        output.units, activation=output.activation, name=predictions, dtype="float32"
    )(x)
    return keras.Model(pixels, out, name="ftgui_vgg16")


def reseed_random_layers(model: keras.Model, seed: int, run_epoch: int) -> None:
    """Key every random layer's stream (dropout, augmentation) by (seed, layer, run epoch).

    Keras layers draw from a seed generator whose state advances with every call, so a run
    resumed after a stop would draw other dropout masks and augmentations than the same epochs
    of an uninterrupted run. Set at each epoch's start, the state depends only on the epoch.
    """
    import numpy as np

    for layer, position, generator in seed_generators(model):
        stream = zlib.crc32(f"{layer.name}/{position}".encode())
        key = (seed * 1_000_003 + stream) % 2**31
        state = np.array([key, run_epoch * 2**16], dtype=str(generator.state.dtype))
        generator.state.assign(state)


def seed_generators(model: keras.Model) -> list[tuple[Any, int, Any]]:
    """(layer, position, SeedGenerator) of every layer inside `model`, from Keras internals.

    Keras 3 has no public way to reach a layer's seed generators: this reads the private
    `Layer._flatten_layers()` and `Layer._seed_generators`, and raises a UserError naming the
    installed Keras when either is missing, rather than leaving the streams silently unkeyed.
    """
    if not hasattr(model, "_flatten_layers"):
        raise keras_internal_missing("Layer._flatten_layers")
    found = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if not hasattr(layer, "_seed_generators"):
            raise keras_internal_missing("Layer._seed_generators")
        found += [(layer, i, generator) for i, generator in enumerate(layer._seed_generators)]
    return found


def keras_internal_missing(name: str) -> UserError:
    """The error for a private Keras attribute `seed_generators` reads that this Keras lacks."""
    import keras

    return UserError(
        f"Keras {keras.__version__} has no {name}, which ftgui uses to make dropout and "
        f"augmentation repeatable per epoch; install the tested Keras (keras{TESTED_KERAS})."
    )


def conv_base(model: keras.Model) -> keras.Model:
    return model.get_layer(BASE_NAME)


def apply_trainable(model: keras.Model, trainable_layers: list[str]) -> None:
    """Set per-layer flags of the conv base (listing 5.22); takes effect at the next compile."""
    base = conv_base(model)
    frozen = frozen_layers(trainable_layers)
    base.trainable = bool(trainable_layers)  # Keras sets every sub-layer's flag to this first
    if trainable_layers:
        for layer in base.layers:
            layer.trainable = layer.name not in frozen


def make_optimizer(phase: PhaseConfig) -> Any:
    """The phase's Keras optimizer, from `settings.optimizers`; an unknown name is a UserError."""
    import keras

    PHASE["optimizer"].check(phase.optimizer, f"phase '{phase.name}'")
    optimizer = BY_NAME[phase.optimizer]
    make = getattr(keras.optimizers, optimizer.keras_class)
    return make(phase.learning_rate, **dict(optimizer.options))


def compile_phase(
    model: keras.Model, phase: PhaseConfig, num_classes: int, jit_compile: bool = False
) -> None:
    """Apply the phase's layer plan and compile, so the new trainable flags take effect."""
    apply_trainable(model, phase.trainable_layers)
    compile_for_phase(model, phase, num_classes, jit_compile)


def compile_for_phase(
    model: keras.Model,
    phase: PhaseConfig,
    num_classes: int,
    jit_compile: bool = False,
    optimizer: Any = None,
) -> None:
    """Compile with the phase's optimizer and the loss matching the head (one step per batch).

    Pass `optimizer` to share one optimizer between the full model and a tail model, so the
    state saved with the full model is the state training built.
    """
    model.compile(
        optimizer=optimizer or make_optimizer(phase),
        loss=ClassifierOutput(num_classes).loss,
        metrics=["accuracy"],
        steps_per_execution=1,
        jit_compile=jit_compile,
    )


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "…"
