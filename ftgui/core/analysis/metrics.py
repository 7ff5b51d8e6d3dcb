"""A split's confusion matrix and per-class precision, recall, F1 and support (scikit-learn's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

PerClass = dict[str, dict[str, float]]  # class -> precision, recall, f1, support


def class_scores(
    labels: Sequence[int] | np.ndarray,
    predicted: Sequence[int] | np.ndarray,
    classes: Sequence[str],
) -> tuple[list[list[int]], PerClass]:
    """The confusion matrix (rows true class, columns predicted; indices into `classes`) and
    each class's precision, recall and F1 (0 where undefined) and support (its true count)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    indices = list(range(len(classes)))
    if len(labels):
        confusion = confusion_matrix(labels, predicted, labels=indices).tolist()
        precision, recall, f1, support = precision_recall_fscore_support(
            labels, predicted, labels=indices, zero_division=0
        )
    else:  # scikit-learn needs one sample: no images, nothing counted, every score 0
        confusion = [[0] * len(classes) for _ in classes]
        precision = recall = f1 = support = [0] * len(classes)
    table = {
        name: {
            "precision": float(precision[k]),
            "recall": float(recall[k]),
            "f1": float(f1[k]),
            "support": int(support[k]),
        }
        for k, name in enumerate(classes)
    }
    return [[int(count) for count in row] for row in confusion], table
