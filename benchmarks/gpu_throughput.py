"""Training images/s: the plain Keras script against ftgui's phases, mixed precision and XLA on/off.

    python benchmarks/gpu_throughput.py [--sizes 150,224] [--batch 32] [--steps 20] [--tiny]
                                        [--once]

For each size it times steady-state training steps (after one warm-up epoch that compiles) of
the book's two phases on random in-memory images and random weights: the plain script (float32,
no XLA) and ftgui's model compiled by ftgui for each mixed-precision × XLA combination. Without a
GPU `--tiny` is the default (32 px, batch 4, 2 steps) so a test keeps the script working. Needs
only TensorFlow and ftgui (the `[gpu]` extra on a GPU machine). Prints the device it used first.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ftgui.core.model.device import setup_devices
from ftgui.core.settings.config import book_phases

TINY = {"sizes": "32", "batch": 4, "steps": 2}


def images(size: int, batch: int) -> Any:
    """One random batch of raw RGB pixels and binary labels, repeated forever."""
    import tensorflow as tf

    x = tf.random.uniform((batch, size, size, 3), 0, 255, seed=7)
    y = tf.cast(tf.range(batch) % 2, tf.float32)[:, None]
    return tf.data.Dataset.from_tensors((x, y)).repeat()


def images_per_second(model: Any, size: int, batch: int, steps: int) -> float:
    """Fit `steps` + 1 steps in one epoch; time from the end of the first (tracing, XLA
    compiling) to the end of the last."""
    import keras

    ends: list[float] = []
    timer = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter())
    )
    data = images(size, batch)
    model.fit(
        data, epochs=1, steps_per_epoch=steps + 1, callbacks=[timer], verbose=0, shuffle=False
    )
    return steps * batch / (ends[-1] - ends[0])


def plain_model(size: int, phase: int) -> Any:
    """The book's script: VGG16 base + head, frozen base (phase 0) or block5 unfrozen (phase 1)."""
    import keras
    from keras import layers
    from keras.applications import VGG16, vgg16

    keras.mixed_precision.set_global_policy("float32")
    base = VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
    inputs = keras.Input((size, size, 3))
    x = layers.Flatten()(base(vgg16.preprocess_input(inputs)))
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(x))
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    base.trainable = phase == 1
    for layer in base.layers:
        layer.trainable = phase == 1 and layer.name.startswith("block5")
    rate = 2e-5 if phase == 0 else 1e-5
    model.compile(keras.optimizers.RMSprop(rate), "binary_crossentropy", metrics=["accuracy"])
    return model


def ftgui_model(size: int, phase: int, mixed: bool, xla: bool) -> Any:
    """ftgui's model and compile for the book's phase, under the chosen policy."""
    import keras

    from ftgui.core.model.build import build_model, compile_phase

    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    model = build_model(2, size, "none")
    compile_phase(model, book_phases()[phase], 2, xla)
    return model


def measure(size: int, batch: int, steps: int) -> None:
    import keras

    phases = ("head", "fine-tune")
    for phase, name in enumerate(phases):
        keras.backend.clear_session()
        rate = images_per_second(plain_model(size, phase), size, batch, steps)
        print(f"{size:>4} px  {name:<9}  plain script                 {rate:9.1f} images/s")
        for mixed, xla in itertools.product((False, True), repeat=2):
            keras.backend.clear_session()
            rate = images_per_second(ftgui_model(size, phase, mixed, xla), size, batch, steps)
            label = f"ftgui  mixed {'on ' if mixed else 'off'}  XLA {'on ' if xla else 'off'}"
            print(f"{size:>4} px  {name:<9}  {label:<28} {rate:9.1f} images/s", flush=True)
    keras.mixed_precision.set_global_policy("float32")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="150,224")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    parser.add_argument("--tiny", action="store_true", help="32 px, batch 4, 2 steps")
    parser.add_argument(
        "--once",
        action="store_true",
        help="one measurement (ftgui's head phase, mixed and XLA off): checks the script runs",
    )
    args = parser.parse_args(argv)
    device = setup_devices()
    if args.tiny or not device.startswith("GPU"):
        if not args.tiny:
            print("No GPU: running --tiny (32 px, batch 4, 2 steps); figures mean nothing.")
        args.sizes, args.batch, args.steps = TINY["sizes"], TINY["batch"], TINY["steps"]
    print(f"Device: {device}; batch {args.batch}, {args.steps} timed steps", flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        if args.once:
            rate = images_per_second(
                ftgui_model(size, 0, False, False), size, args.batch, args.steps
            )
            print(f"{size:>4} px  head       ftgui  mixed off  XLA off      {rate:9.1f} images/s")
            break
        measure(size, args.batch, args.steps)


if __name__ == "__main__":
    main()
