"""What a phase's `fit` reads: the run's images, or the frozen-layer outputs computed from them.

Every phase reads the images decoded once in the run's image check (`PixelStore`). A phase
whose frozen layers are cached trains a tail model (the layers above them and the head) on
their outputs. When the training images are augmented every epoch, the full model trains on
the decoded pixels, and validation runs the tail on the cached validation outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftgui.core.data.dataset import Dataset
from ftgui.core.data.pipeline import EpochOrder, cached_dataset
from ftgui.core.data.pixels import PixelStore
from ftgui.core.training.feature_sets import EXTRACT_BATCH, FeatureSet, FeatureSources
from ftgui.core.training.keras_hooks import KerasHooks
from ftgui.core.training.time_spent import TimeSpent


@dataclass
class ImageData:
    """A run's images: the dataset, its images decoded once, and the pipelines over them."""

    dataset: Dataset
    pixels: PixelStore  # every usable image, decoded in the image check
    binary: bool
    order: EpochOrder  # the shuffled index stream shared by cached and uncached phases
    train: Any  # shuffled batches of the training images
    validation: Any

    @classmethod
    def over(
        cls, dataset: Dataset, pixels: PixelStore, binary: bool, order: EpochOrder, batch: int
    ) -> ImageData:
        train = cached_dataset(
            pixels.split("train")[None], dataset.train.labels, batch, binary, order
        )
        validation = cached_dataset(
            pixels.split("validation"), dataset.validation.labels, batch, binary
        )
        return cls(dataset, pixels, binary, order, train, validation)

    def batches(self, split: str, batch_size: int) -> Any:
        """Un-shuffled batches of a split's images (for the frozen pass and the test split)."""
        labels = getattr(self.dataset, split).labels
        return cached_dataset(self.pixels.split(split), labels, batch_size, self.binary)

    def extraction_sources(self) -> FeatureSources:
        """Un-shuffled train and validation batches for computing frozen outputs, and counts."""
        train = self.batches("train", EXTRACT_BATCH)
        return FeatureSources(
            lambda _copy: train,  # every copy reads the same images (augmented per copy)
            self.batches("validation", EXTRACT_BATCH),
            len(self.dataset.train),
            len(self.dataset.validation),
        )


@dataclass
class PhaseInputs:
    """The model `fit` trains and the data it reads; a `validation_callback` validates instead
    of `validation` (it puts the epoch's validation metrics into the logs)."""

    model: Any
    train: Any
    validation: Any
    validation_callback: Any = None


def cached_inputs(
    features: FeatureSet,
    tail: Any,
    model: Any,
    images: ImageData,
    batch_size: int,
    validation_part: str,
    time_spent: TimeSpent,
) -> PhaseInputs:
    """Inputs of a phase whose frozen layers are cached (`features`); `tail` is compiled."""
    labels, binary = images.dataset.train.labels, images.binary
    validation = cached_dataset(  # inference only: larger batches, the same mean loss
        features.validation,
        images.dataset.validation.labels,
        max(batch_size, EXTRACT_BATCH),
        binary,
    )
    if not features.copies:  # augmenting every epoch: pixels decoded once, validation cached
        assert features.pixels is not None
        train = cached_dataset(features.pixels[None], labels, batch_size, binary, images.order)
        checker = CachedValidation(tail, validation, validation_part, time_spent)
        return PhaseInputs(model, train, None, checker)
    train = cached_dataset(features.train, labels, batch_size, binary, images.order)
    return PhaseInputs(tail, train, validation)


class CachedValidation(KerasHooks):
    """A Keras callback adding `val_loss`, `val_accuracy` to each finished epoch's logs: the
    `tail` model (sharing the trained layers) on the validation images' cached frozen outputs.

    For phases whose training images are augmented every epoch (nothing else can be cached);
    it must come before the callback that records the epoch. Skipped for an epoch being
    stopped (it is rolled back); its time goes to `time_spent`'s `part`.
    """

    def __init__(self, tail: Any, validation: Any, part: str, time_spent: TimeSpent) -> None:
        super().__init__()
        self.tail, self.validation = tail, validation
        self.part, self.time_spent = part, time_spent

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.model.stop_training or logs is None:
            return
        with self.time_spent.part(self.part):
            scores = self.tail.evaluate(self.validation, verbose=0, return_dict=True)
        logs.update({f"val_{name}": value for name, value in scores.items()})
