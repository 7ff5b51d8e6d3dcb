"""Grad-CAM on ftgui's model: where `block5_conv3` looks when the model picks a class.

The model is raw pixels → [augmentation] → preprocessing sub-model → VGG16 sub-model → head, so
`keras.Model(model.inputs, inner_layer.output)` fails with "Graph disconnected" (tensorflow#44462).
The gradient path is built inside the base's own graph instead, with preprocessing run before it
and the head layers after it by hand, under one tape; the score is the output layer's
pre-activation (saturated sigmoid/softmax gradients vanish). Augmentation is skipped (identity at
inference). `colormap`, `overlay` and `save_png` need only NumPy and Pillow: importing this module
never loads TensorFlow.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ftgui.core.data.pixels import decode_pixels
from ftgui.core.data.scan import check_image
from ftgui.core.errors import UserError
from ftgui.core.files import write_atomically
from ftgui.core.model.build import BASE_NAME, HEAD_LAYER_NAMES, PREPROCESS_NAME
from ftgui.core.settings.task_output import ClassifierOutput

if TYPE_CHECKING:
    import keras

LAST_CONV = "block5_conv3"

# viridis (colour-blind-safe, perceptually uniform) at 10 even stops; linear in between.
_VIRIDIS = np.array(
    [
        (68, 1, 84),
        (72, 40, 120),
        (62, 74, 137),
        (49, 104, 142),
        (38, 130, 142),
        (31, 158, 137),
        (53, 183, 121),
        (109, 205, 89),
        (180, 222, 44),
        (253, 231, 37),
    ],
    dtype=np.float32,
)

# One compiled gradient path per loaded model (built once; dropped with the model).
_PATHS: weakref.WeakKeyDictionary[Any, Callable[..., Any]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class GradCam:
    """One image's explanation."""

    heatmap: np.ndarray  # float32 in [0, 1], (H, W) of the original image
    class_index: int  # the class explained
    predicted: int  # the model's predicted class
    probabilities: np.ndarray  # float32, one per class (2-class sigmoid: [1-p, p])


def read_image(path: str | Path, image_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(original RGB uint8 H×W×3, model input float32 S×S×3 decoded and resized as training does).

    Raises a one-sentence UserError when the file cannot be read.
    """
    from PIL import Image

    path = check_image_file(path)
    try:
        with Image.open(path) as image:
            original = np.asarray(image.convert("RGB"))
        pixels = decode_pixels(str(path), image_size)  # what training saw of this image
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        reason = " ".join(str(exc).split())[:80]
        raise UserError(
            f"Cannot read image {path} ({reason}); give a JPEG, PNG, BMP or GIF."
        ) from None
    return original, pixels.astype(np.float32)


def check_image_file(path: str | Path) -> Path:
    """The path if Pillow fully decodes the file (no TensorFlow needed), else a UserError."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"Image {path} does not exist or is not a file; give an image's path.")
    problem = check_image(str(path))
    if problem:
        raise UserError(f"Cannot read image {path} ({problem}); give a JPEG, PNG, BMP or GIF.")
    return path


def explain(
    model: keras.Model, pixels: np.ndarray, class_index: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(heatmap at block5_conv3's resolution in [0, 1], class probabilities) for one image.

    `pixels` is the model's input (S×S×3 or 1×S×S×3, 0–255); `class_index` None explains the
    predicted class.
    """
    compute = _gradient_path(model)
    batch = np.asarray(pixels, dtype=np.float32).reshape((1, *model.input_shape[1:]))
    count = num_classes(model)
    if class_index is not None and not 0 <= class_index < count:
        raise ValueError(f"class_index {class_index} is outside 0…{count - 1}")
    heatmap, probabilities = compute(batch, -1 if class_index is None else int(class_index))
    return heatmap.numpy(), probabilities.numpy()


def gradcam_image(
    model: keras.Model, path: str | Path, image_size: int, class_index: int | None = None
) -> GradCam:
    """Read `path` as training does and explain it; the heatmap has the original image's size."""
    original, pixels = read_image(path, image_size)
    return explain_image(model, original, pixels, class_index)


def explain_image(
    model: keras.Model, original: np.ndarray, pixels: np.ndarray, class_index: int | None = None
) -> GradCam:
    """`explain` for an image already read by `read_image`; the heatmap has `original`'s size."""
    heatmap, probabilities = explain(model, pixels, class_index)
    predicted = int(np.argmax(probabilities))
    explained = predicted if class_index is None else int(class_index)
    height, width = original.shape[:2]
    return GradCam(resize_heatmap(heatmap, (height, width)), explained, predicted, probabilities)


def num_classes(model: keras.Model) -> int:
    """Classes the model tells apart (a 1-unit sigmoid head has two)."""
    return ClassifierOutput.of_units(int(model.get_layer(HEAD_LAYER_NAMES[-1]).units)).num_classes


def resize_heatmap(heatmap: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a [0, 1] map to (height, width), still in [0, 1]."""
    from PIL import Image

    height, width = size
    if heatmap.shape == (height, width):
        return heatmap.astype(np.float32)
    image = Image.fromarray(np.asarray(heatmap, dtype=np.float32))
    resized = np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))
    return np.clip(resized, 0.0, 1.0).astype(np.float32)


def colormap(values: np.ndarray) -> np.ndarray:
    """[0, 1] floats → uint8 RGB (…×3) through viridis."""
    scaled = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float32)), 0.0, 1.0)
    position = scaled * (len(_VIRIDIS) - 1)
    low = np.minimum(position.astype(np.int64), len(_VIRIDIS) - 2)
    weight = (position - low)[..., None]
    colours = _VIRIDIS[low] * (1.0 - weight) + _VIRIDIS[low + 1] * weight
    return np.rint(colours).astype(np.uint8)


def overlay(image: np.ndarray, heatmap: np.ndarray, opacity: float = 0.45) -> np.ndarray:
    """The image (H×W, H×W×3 or H×W×4) blended with the coloured heatmap; uint8 H×W×3.

    A heatmap of another size is resized to the image's first.
    """
    rgb = np.asarray(image)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=-1)
    rgb = rgb[..., :3].astype(np.float32)
    heat = resize_heatmap(np.asarray(heatmap, dtype=np.float32), rgb.shape[:2])
    return blend(rgb, colormap(heat).astype(np.float32), opacity)


def blend(rgb: np.ndarray, colours: np.ndarray, opacity: float) -> np.ndarray:
    """float32 image and heatmap colours (same shape) mixed at `opacity`: uint8.

    The window colours a heatmap once and calls this alone as its opacity slider moves.
    """
    alpha = float(np.clip(opacity, 0.0, 1.0))
    out = rgb * (1.0 - alpha)
    out += colours * alpha
    np.rint(out, out=out)
    return np.clip(out, 0, 255, out=out).astype(np.uint8)


def save_png(image: np.ndarray, path: str | Path) -> None:
    """Write a uint8 image as PNG atomically; a failure is one sentence (UserError)."""
    from PIL import Image

    path = Path(path).expanduser()
    picture = Image.fromarray(np.asarray(image, dtype=np.uint8))
    try:
        write_atomically(path, lambda partial: picture.save(partial, format="PNG"))
    except OSError as exc:
        raise UserError(
            f"Cannot write {path} ({exc.strerror or exc}); check that its folder exists and "
            f"is writable."
        ) from None


def _gradient_path(model: keras.Model) -> Callable[..., Any]:
    """The model's compiled gradient path, built on first use."""
    compute = _PATHS.get(model)
    if compute is None:
        compute = _PATHS[model] = _build_gradient_path(model)
    return compute


def _build_gradient_path(model: keras.Model) -> Callable[..., Any]:
    """A tf.function (pixels, class index or -1) → (heatmap, probabilities), traced once."""
    import keras
    import tensorflow as tf

    preprocess = model.get_layer(PREPROCESS_NAME)
    base = model.get_layer(BASE_NAME)
    conv_and_features = keras.Model(base.inputs, [base.get_layer(LAST_CONV).output, base.output])
    hidden = [model.get_layer(name) for name in HEAD_LAYER_NAMES[:-1]]
    output = model.get_layer(HEAD_LAYER_NAMES[-1])
    binary = ClassifierOutput.of_units(int(output.units)).binary
    spec = tf.TensorSpec((1, *model.input_shape[1:]), tf.float32)

    @tf.function(input_signature=[spec, tf.TensorSpec((), tf.int32)])
    def compute(pixels: tf.Tensor, class_index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        x = preprocess(pixels, training=False)
        with tf.GradientTape() as tape:
            conv, x = conv_and_features(x, training=False)
            for layer in hidden:
                x = layer(x, training=False)
            kernel = tf.cast(output.kernel, tf.float32)
            logits = tf.matmul(tf.cast(x, tf.float32), kernel) + tf.cast(output.bias, tf.float32)
            scores = tf.concat([-logits, logits], axis=-1) if binary else logits
            chosen = tf.where(
                class_index < 0, tf.argmax(scores[0], output_type=tf.int32), class_index
            )
            score = scores[0, chosen]
        grads = tf.cast(tape.gradient(score, conv), tf.float32)
        weights = tf.reduce_mean(grads, axis=(0, 1, 2))
        cam = tf.nn.relu(tf.reduce_sum(tf.cast(conv[0], tf.float32) * weights, axis=-1))
        peak = tf.reduce_max(cam)
        heatmap = tf.where(peak > 0, cam / tf.maximum(peak, 1e-12), tf.zeros_like(cam))
        if binary:
            p = tf.sigmoid(logits[0, 0])
            probabilities = tf.stack([1.0 - p, p])
        else:
            probabilities = tf.nn.softmax(logits[0])
        return heatmap, probabilities

    return compute
