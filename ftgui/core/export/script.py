"""The recipe of a run as one standalone Python file that needs only Keras and TensorFlow.

The file holds the run's settings as constants, then the book's steps in plain Keras: the
datasets (`keras.utils.image_dataset_from_directory`), VGG16 with the run's weights, the head,
and one compile + fit per phase with that phase's trainable layers, optimizer and learning rate.
`--epochs N` caps every phase (`--epochs 1` tries it end to end) and `--data DIR` reads another
folder of the same layout. Each phase prints one `phase {json}` line naming its trainable layers.
"""

from __future__ import annotations

import pprint
from pathlib import Path

from ftgui.core.analysis.models import RunInfo
from ftgui.core.data.sample import sample_dir
from ftgui.core.errors import UserError
from ftgui.core.export.artifacts import check_output
from ftgui.core.files import (
    cannot_write,
    check_writable_file,
    new_folders_removed_on_failure,
    write_atomically,
)
from ftgui.core.model.build import PIXEL_SCALE
from ftgui.core.settings.layer_plan import HEAD_UNITS

PHASE_PREFIX = "phase "  # the script prints "phase {json}" once per phase

HEADER = '''#!/usr/bin/env python3
"""Reproduce the ftgui run {run}: fine-tune VGG16 as in Deep Learning with Python §5.3.2.

Written by `python main.py export RUN --format script`; needs only TensorFlow and Keras 3.

    python {name}              # every phase as the run had it
    python {name} --epochs 1   # every phase cut to one epoch: a quick end-to-end try
    python {name} --data DIR   # another dataset folder of the same layout and classes

Left out: ftgui's speed options (feature cache, mixed precision, XLA), which change how fast it
trains, not what; and its image check (unreadable files are skipped by ftgui, not here). With
class folders (no train/ and validation/), image_dataset_from_directory draws the validation
images itself, so they are not exactly the run's (ftgui splits each class on its own).
"""

import argparse
import json
import os

import keras

DATA_DIR = {data_dir}
CLASS_NAMES = {class_names}
IMAGE_SIZE = {image_size}
BATCH_SIZE = {batch_size}
VALIDATION_SPLIT = {validation_split}  # used only without train/ and validation/ folders
SEED = {seed}
WEIGHTS = {weights}  # "imagenet", "none" (random, He-initialised as ftgui does) or a file
DROPOUT = {dropout}
AUGMENT = {augment}  # the book's ImageDataGenerator settings as Keras layers
PHASES = {phases}
'''

BODY = '''

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA_DIR, help="dataset folder (default: the run's)")
    parser.add_argument("--epochs", type=int, help="cap every phase at this many epochs")
    parser.add_argument("--save", default="recipe_model.keras", help="the trained model's file")
    return parser.parse_args()


def datasets(root):
    """(train, validation, test or None): RGB pixels 0-255 at IMAGE_SIZE, read by Keras.

    Keras decodes whole images and resizes them with TensorFlow's bilinear filter; ftgui decodes
    JPEGs at a reduced scale and resizes with Pillow's (antialiased), so pixels differ slightly.
    """
    options = dict(
        labels="inferred",
        label_mode="binary" if len(CLASS_NAMES) == 2 else "int",
        class_names=CLASS_NAMES,
        image_size=(IMAGE_SIZE, IMAGE_SIZE),
        batch_size=BATCH_SIZE,
        seed=SEED,
    )
    read = keras.utils.image_dataset_from_directory
    if not os.path.isdir(os.path.join(root, "train")):  # class folders: split by the seed
        train, validation = read(root, validation_split=VALIDATION_SPLIT, subset="both", **options)
        return train, validation, None
    train = read(os.path.join(root, "train"), shuffle=True, **options)
    validation = read(os.path.join(root, "validation"), shuffle=False, **options)
    test_dir = os.path.join(root, "test")
    test = read(test_dir, shuffle=False, **options) if os.path.isdir(test_dir) else None
    return train, validation, test


def conv_base():
    """VGG16 without its top, with the run's weights."""
    shape = (IMAGE_SIZE, IMAGE_SIZE, 3)
    if WEIGHTS == "imagenet":
        return keras.applications.VGG16(include_top=False, weights="imagenet", input_shape=shape)
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=shape)
    if WEIGHTS == "none":
        he_initialise(base)
    else:
        base.load_weights(WEIGHTS)
    return base


def he_initialise(base):
    """ftgui's random base: He-normal kernels, the first one / {pixel_scale:g} (pixels 0-255)."""
    first = True
    for index, layer in enumerate(base.layers):
        if hasattr(layer, "kernel"):
            kernel = keras.initializers.HeNormal(seed=SEED + index)(layer.kernel.shape)
            layer.kernel.assign(kernel / {pixel_scale} if first else kernel)
            first = False


def augmentation():
    return keras.Sequential(
        [
            keras.layers.RandomRotation(40 / 360, fill_mode="nearest", seed=SEED),
            keras.layers.RandomTranslation(0.2, 0.2, fill_mode="nearest", seed=SEED + 1),
            keras.layers.RandomShear(0.2, 0.2, fill_mode="nearest", seed=SEED + 2),
            keras.layers.RandomZoom(0.2, fill_mode="nearest", seed=SEED + 3),
            keras.layers.RandomFlip("horizontal", seed=SEED + 4),
        ],
        name="augmentation",
    )


def build_model(base):
    """Raw RGB pixels -> [augmentation] -> VGG16 preprocessing -> base -> the book's head."""
    pixels = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="pixels")
    x = augmentation()(pixels) if AUGMENT else pixels
    x = keras.applications.vgg16.preprocess_input(x)
    x = base(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense({head_units}, activation="relu", name="dense")(x)
    x = keras.layers.Dropout(DROPOUT, seed=SEED, name="dropout")(x)
    if len(CLASS_NAMES) == 2:
        x = keras.layers.Dense(1, activation="sigmoid", name="predictions")(x)
    else:
        x = keras.layers.Dense(len(CLASS_NAMES), activation="softmax", name="predictions")(x)
    return keras.Model(pixels, x, name="ftgui_vgg16")


def set_trainable(base, names):
    """Listing 5.22: only the named base layers train (the head always does)."""
    base.trainable = bool(names)
    for layer in base.layers:
        layer.trainable = layer.name in names


def optimizer(name, learning_rate):
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    return keras.optimizers.RMSprop(learning_rate)


def main():
    args = parse_args()
    keras.utils.set_random_seed(SEED)
    train, validation, test = datasets(args.data)
    base = conv_base()
    model = build_model(base)
    loss = "binary_crossentropy" if len(CLASS_NAMES) == 2 else "sparse_categorical_crossentropy"
    done = 0
    for phase in PHASES:
        set_trainable(base, phase["trainable_layers"])
        # A change of `trainable` takes effect only when the model is compiled again.
        model.compile(
            optimizer=optimizer(phase["optimizer"], phase["learning_rate"]),
            loss=loss,
            metrics=["accuracy"],
        )
        trainable = [layer.name for layer in base.layers if layer.trainable and base.trainable]
        print("phase", json.dumps({{"name": phase["name"], "trainable_layers": trainable}}))
        epochs = phase["epochs"] if args.epochs is None else min(phase["epochs"], args.epochs)
        if epochs:
            model.fit(train, validation_data=validation, initial_epoch=done, epochs=done + epochs)
        done += epochs
    if test is not None:
        print("test", json.dumps(model.evaluate(test, return_dict=True)))
    model.save(args.save)
    print("saved", args.save)


if __name__ == "__main__":
    main()
'''


def recipe_script(info: RunInfo, name: str = "recipe.py") -> str:
    """The run as a standalone Keras script named `name` (see the module docstring)."""
    config = info.config
    data_dir = str(sample_dir()) if config.sample else str(Path(str(config.data_dir)).resolve())
    weights = config.weights
    if weights not in ("imagenet", "none"):
        weights = str(Path(weights).expanduser().resolve())
    phases = [
        {
            "name": phase.name,
            "epochs": phase.epochs,
            "optimizer": phase.optimizer,
            "learning_rate": phase.learning_rate,
            "trainable_layers": list(phase.trainable_layers),
        }
        for phase in config.phases
    ]
    header = HEADER.format(
        run=info.folder,
        name=name,
        data_dir=repr(data_dir),
        class_names=repr(list(info.class_names)),
        image_size=config.image_size,
        batch_size=config.batch_size,
        validation_split=config.validation_split,
        seed=config.seed,
        weights=repr(weights),
        dropout=config.dropout,
        augment=config.augmenting,
        phases=_phases_literal(phases),
    )
    return header + BODY.format(pixel_scale=PIXEL_SCALE, head_units=HEAD_UNITS)


def _phases_literal(phases: list[dict[str, object]]) -> str:
    """The phases as a Python list literal, wrapped to 100 columns."""
    return pprint.pformat(phases, width=100, sort_dicts=False)


def write_script(info: RunInfo, path: Path, flag: str | None = "--out") -> Path:
    """Write the recipe to `path` (must not exist, or be empty); return it. A path that cannot
    be written is a UserError naming `flag`, and leaves no file or new folder behind."""
    check_output(path, folder=False)
    if path.suffix != ".py":
        raise UserError(f"{path} does not end in .py; name the script's file NAME.py.")
    check_writable_file(path, flag)
    text = recipe_script(info, path.name)
    with new_folders_removed_on_failure(path.parent):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, lambda partial: partial.write_text(text, encoding="utf-8"))
        except OSError as exc:
            raise cannot_write(path, exc, flag) from None
    return path
