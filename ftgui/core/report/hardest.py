"""The report's hardest images: the top of a stored evaluation by loss, each with its Grad-CAM
overlay, as small inline JPEGs (data URIs), so a report of a 10-class run stays small."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ftgui.core.analysis.evaluation_files import Evaluation
from ftgui.core.errors import UserError

if TYPE_CHECKING:
    import keras
    import numpy as np

THUMBNAIL = 176  # longest side, in pixels
QUALITY = 85


@dataclass(frozen=True)
class HardImage:
    """One of the hardest images: what it is, what the model said, and the two pictures."""

    path: str
    label: str
    predicted: str
    confidence: float
    loss: float
    image_uri: str  # data:image/jpeg;base64,…
    gradcam_uri: str  # the overlay for the predicted class ("" when it could not be read)


def hardest_images(
    model: keras.Model, evaluation: Evaluation, image_size: int, count: int = 12
) -> list[HardImage]:
    """The `count` images of `evaluation` with the highest loss, with their Grad-CAM."""
    from ftgui.core.analysis.gradcam import gradcam_image, overlay, read_image

    ranked = sorted(evaluation.images, key=lambda image: image.loss, reverse=True)[:count]
    found = []
    for image in ranked:
        try:
            original, _ = read_image(image.path, image_size)
            explained = gradcam_image(model, image.path, image_size)
            pictures = (data_uri(original), data_uri(overlay(original, explained.heatmap)))
        except UserError:  # moved or damaged since it was scored: listed without pictures
            pictures = ("", "")
        found.append(
            HardImage(
                image.path,
                evaluation.classes[image.label],
                evaluation.classes[image.predicted],
                image.confidence,
                image.loss,
                *pictures,
            )
        )
    return found


def data_uri(rgb: np.ndarray) -> str:
    """An RGB array as a JPEG data URI, its longest side at most THUMBNAIL pixels."""
    from PIL import Image

    picture = Image.fromarray(rgb).convert("RGB")
    picture.thumbnail((THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
