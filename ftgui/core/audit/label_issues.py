"""Likely label errors: out-of-sample class probabilities for every image from K-fold
cross-validated linear classifiers on the pooled outputs, ranked by cleanlab's confident
learning (`cleanlab.filter.find_label_issues`, by self-confidence).

The classifier is scikit-learn's L2-regularised logistic regression on standardised outputs:
a fold trains in well under a second where the run's own head (Flatten → Dense(256) → Dropout)
would need epochs of Keras training per fold. Train and validation images get their
probabilities from the fold that left them out; test images from a model fitted on all train
and validation images, which never saw them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from sklearn.pipeline import Pipeline

C = 1.0  # inverse regularisation strength (scikit-learn's default)


@dataclass(frozen=True)
class LabelIssue:
    index: int  # into the images audited (all splits, in order)
    suggested: int  # the class the out-of-sample model finds most probable
    self_confidence: float  # its probability of the given label


def _classifier() -> Pipeline:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))


def usable_folds(labels: np.ndarray, folds: int) -> int:
    """`folds`, lowered to the smallest class's size (each fold needs every class once)."""
    import numpy as np

    smallest = int(np.bincount(labels).min()) if len(labels) else 0
    return max(2, min(folds, smallest))


def out_of_sample_probabilities(
    features: np.ndarray, labels: np.ndarray, fitted: np.ndarray, folds: int, seed: int
) -> np.ndarray:
    """Class probabilities of every image from a classifier that did not see it.

    `fitted` marks the images (train and validation) the folds split; the others (test) are
    scored by a classifier fitted on all of those."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    classes = int(labels.max()) + 1
    probabilities = np.zeros((len(labels), classes))
    inside = np.flatnonzero(fitted)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, held in splitter.split(features[inside], labels[inside]):
        model = _classifier().fit(features[inside[train]], labels[inside[train]])
        probabilities[inside[held]] = _all_classes(model, features[inside[held]], classes)
    outside = np.flatnonzero(~fitted)
    if len(outside):
        model = _classifier().fit(features[inside], labels[inside])
        probabilities[outside] = _all_classes(model, features[outside], classes)
    return probabilities


def _all_classes(model: Pipeline, features: np.ndarray, classes: int) -> np.ndarray:
    """predict_proba with a column for every class (a fold may lack one)."""
    import numpy as np

    found = model.predict_proba(features)
    full = np.zeros((len(features), classes))
    full[:, model.classes_] = found
    return full


def find_label_issues(labels: np.ndarray, probabilities: np.ndarray) -> list[LabelIssue]:
    """cleanlab's flagged images, most likely wrong first (lowest self-confidence)."""
    import numpy as np
    from cleanlab.filter import find_label_issues as cleanlab_issues

    ranked = cleanlab_issues(
        labels, probabilities, return_indices_ranked_by="self_confidence", n_jobs=1
    )
    return [
        LabelIssue(int(i), int(np.argmax(probabilities[i])), float(probabilities[i, labels[i]]))
        for i in ranked
    ]


def self_confidence_ranking(labels: np.ndarray, probabilities: np.ndarray) -> list[int]:
    """The plain baseline: every image, lowest probability of its given label first."""
    import numpy as np

    return [int(i) for i in np.argsort(probabilities[np.arange(len(labels)), labels])]
