"""The weights setting's values: imagenet (Keras's cached download), none, or a weights FILE.

Checked without TensorFlow, so the window and the command line refuse a wrong file at once.
"""

from __future__ import annotations

from pathlib import Path

from ftgui.core.errors import UserError
from ftgui.core.paths import keras_cache_dir
from ftgui.core.settings.fields import WEIGHT_CHOICES

NOTOP_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
HDF5_LAST_OFFSET = 2**20  # where a weights file's HDF5 signature is looked for, at most
ZIP_SIGNATURE = b"PK\x03\x04"  # a .keras archive


def imagenet_cache_path() -> Path:
    return keras_cache_dir() / "models" / NOTOP_FILE


def check_weights_choice(weights: str) -> None:
    """Refuse weights that are neither a choice nor a Keras weights file, in one sentence."""
    if weights in WEIGHT_CHOICES:
        return
    if not Path(weights).expanduser().is_file():
        raise UserError(
            f"Weights '{weights}' is neither imagenet, none nor an existing file; check the path.",
            "weights",
        )
    problem = weights_file_problem(Path(weights).expanduser())
    if problem:
        raise UserError(problem, "weights")


def weights_file_problem(path: Path) -> str | None:
    """Why an existing file cannot hold Keras weights (it is neither HDF5, as .h5 and
    .weights.h5 are, nor a .keras archive), in one sentence; None when it may."""
    advice = f"use {NOTOP_FILE} or a .weights.h5 saved from a VGG16 conv base"
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if head.startswith(ZIP_SIGNATURE) and path.suffix == ".keras":
                return None
            offset = 512  # HDF5 allows a user block of 512, 1024, 2048… bytes before it
            while head != HDF5_SIGNATURE and offset < HDF5_LAST_OFFSET:
                f.seek(offset)
                head, offset = f.read(8), offset * 2
    except OSError as exc:
        return f"Weights file {path} cannot be read ({exc.strerror}); {advice}."
    if head == HDF5_SIGNATURE:
        return None
    return f"Weights file {path} is not a Keras weights file (not HDF5); {advice}."


def building_message(weights: str) -> str:
    """What a run says while it builds the model: a first ImageNet download takes a while."""
    if weights == "imagenet" and not imagenet_cache_path().exists():
        return (
            f"Downloading the ImageNet weights (58.9 MB, once) into {imagenet_cache_path().parent}…"
        )
    return f"Building VGG16 (weights: {weights})…"
