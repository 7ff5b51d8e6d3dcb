"""The book's two phases as a plain Keras script (§5.3.2, listings 5.20–5.22), for comparison.

    python benchmarks/plain_keras.py DATA SIZE BATCH EPOCHS_HEAD EPOCHS_FINETUNE SEED [--augment]

Prints where its time went (`import_seconds`, `data_seconds`, `build_seconds`,
`phase1_seconds`, `phase2_seconds`, each phase's `..._validation_seconds`), the final losses and
`final_val_accuracy`; nothing ftgui-specific runs.
"""

import sys
import time
from pathlib import Path

started = time.perf_counter()
import keras  # noqa: E402
from keras import layers  # noqa: E402
from keras.applications import VGG16, vgg16  # noqa: E402

print(f"import_seconds {time.perf_counter() - started:.2f}", flush=True)


class ValidationTime(keras.callbacks.Callback):
    """Seconds spent in fit's validation passes."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = 0.0

    def on_test_begin(self, logs=None):
        self._started = time.perf_counter()

    def on_test_end(self, logs=None):
        self.seconds += time.perf_counter() - self._started


def main() -> None:
    data, size, batch, epochs_head, epochs_finetune, seed = sys.argv[1:7]
    size, batch, seed = int(size), int(batch), int(seed)
    augment = "--augment" in sys.argv
    keras.utils.set_random_seed(seed)
    started = time.perf_counter()
    classes = len([p for p in Path(f"{data}/train").iterdir() if p.is_dir()])
    binary = classes == 2  # the book's sigmoid; a softmax over more classes
    mode, loss = (
        ("binary", "binary_crossentropy") if binary else ("int", "sparse_categorical_crossentropy")
    )
    train = keras.utils.image_dataset_from_directory(
        f"{data}/train", image_size=(size, size), batch_size=batch, label_mode=mode, seed=seed
    )
    validation = keras.utils.image_dataset_from_directory(
        f"{data}/validation",
        image_size=(size, size),
        batch_size=batch,
        label_mode=mode,
        shuffle=False,
    )
    print(f"data_seconds {time.perf_counter() - started:.2f}", flush=True)
    started = time.perf_counter()
    conv_base = VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
    inputs = keras.Input((size, size, 3))
    x = inputs
    if augment:
        x = keras.Sequential(
            [
                layers.RandomRotation(40 / 360, fill_mode="nearest"),
                layers.RandomTranslation(0.2, 0.2, fill_mode="nearest"),
                layers.RandomShear(0.2, 0.2, fill_mode="nearest"),
                layers.RandomZoom(0.2, fill_mode="nearest"),
                layers.RandomFlip("horizontal"),
            ]
        )(x)
    x = conv_base(vgg16.preprocess_input(x))
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, "sigmoid")(x) if binary else layers.Dense(classes, "softmax")(x)
    model = keras.Model(inputs, outputs)

    print(f"build_seconds {time.perf_counter() - started:.2f}", flush=True)
    conv_base.trainable = False
    model.compile(optimizer=keras.optimizers.RMSprop(2e-5), loss=loss, metrics=["accuracy"])
    started = time.perf_counter()
    timer = ValidationTime()
    head = model.fit(
        train, epochs=int(epochs_head), validation_data=validation, verbose=0, callbacks=[timer]
    )
    print(f"phase1_seconds {time.perf_counter() - started:.2f}", flush=True)
    print(f"phase1_validation_seconds {timer.seconds:.2f}", flush=True)

    conv_base.trainable = True
    set_trainable = False
    for layer in conv_base.layers:  # listing 5.22
        if layer.name == "block5_conv1":
            set_trainable = True
        layer.trainable = set_trainable
    model.compile(optimizer=keras.optimizers.RMSprop(1e-5), loss=loss, metrics=["accuracy"])
    started = time.perf_counter()
    timer = ValidationTime()
    fine = model.fit(
        train,
        epochs=int(epochs_finetune),
        validation_data=validation,
        verbose=0,
        callbacks=[timer],
    )
    print(f"phase2_seconds {time.perf_counter() - started:.2f}", flush=True)
    print(f"phase2_validation_seconds {timer.seconds:.2f}", flush=True)
    print(f"final_losses {head.history['loss'][-1]:.4f} {fine.history['loss'][-1]:.4f}")
    print(f"final_val_accuracy {fine.history['val_accuracy'][-1]:.4f}", flush=True)


if __name__ == "__main__":
    main()
