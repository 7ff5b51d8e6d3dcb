"""Audit a dataset: check and decode its images as a run does, compute the base's pooled
outputs once, then rank likely label errors and find duplicates (see the package docstring)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ftgui.core.audit.duplicates import find_duplicates, thumbnails
from ftgui.core.audit.files import IssueRow, PairRow, StoredAudit, pair_order, write_audit
from ftgui.core.audit.label_issues import (
    C,
    find_label_issues,
    out_of_sample_probabilities,
    usable_folds,
)
from ftgui.core.data.dataset import SPLITS
from ftgui.core.data.sample import resolve_dataset
from ftgui.core.events import Event, Status
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.time_spent import TimeSpent

Say = Callable[[str], None]
Stop = Callable[[], bool]
DEFAULT_FOLDS = 5


def audit_dataset(
    config: RunConfig, out: Path, folds: int = DEFAULT_FOLDS, say: Say | None = None,
    stop: Stop | None = None,
) -> StoredAudit | None:  # fmt: skip
    """Audit the dataset `config` names at its image size and weights; write into `out`.
    None when stopped (nothing written)."""
    import numpy as np

    from ftgui.core.audit.features import pooled_outputs
    from ftgui.core.training.image_check import check_images

    started = time.perf_counter()
    tell = say or (lambda text: None)

    def listener(event: Event) -> None:
        if isinstance(event, Status):
            tell(event.text)

    dataset = resolve_dataset(config)
    if dataset.decisions_note:
        tell(dataset.decisions_note)
    with tempfile.TemporaryDirectory(prefix="ftgui-audit-") as decoded_in:
        report = check_images(config, dataset, listener, TimeSpent(), Path(decoded_in))
        assert report.pixels is not None
        splits = [name for name in SPLITS if len(getattr(dataset, name))]
        arrays = [report.pixels.split(name) for name in splits]
        tell(f"Computing the base's pooled outputs of {sum(len(a) for a in arrays)} images…")
        features = pooled_outputs(config, arrays, _progress(tell), stop)
        small = np.concatenate([thumbnails(array) for array in arrays])
    if features is None:
        return None
    paths = [f for name in splits for f in getattr(dataset, name).files]
    labels = np.array([k for name in splits for k in getattr(dataset, name).labels])
    split_of = [name for name in splits for _ in getattr(dataset, name).files]
    outputs = np.concatenate(features)
    fitted = np.array([name != "test" for name in split_of])
    folds_used = usable_folds(labels[fitted], folds)
    tell(f"Cross-validating {folds_used} linear classifiers on those outputs…")
    probabilities = out_of_sample_probabilities(outputs, labels, fitted, folds_used, config.seed)
    if stop is not None and stop():
        return None
    names = dataset.class_names
    found_issues = find_label_issues(labels, probabilities)
    issues = [
        IssueRow(paths[i.index], split_of[i.index], names[labels[i.index]], names[i.suggested],
                 i.self_confidence, rank)
        for rank, i in enumerate(found_issues, start=1)
    ]  # fmt: skip
    tell("Looking for exact and near duplicates…")
    found, thresholds = find_duplicates(paths, outputs, small)
    pairs = sorted(
        (PairRow(paths[p.a], split_of[p.a], paths[p.b], split_of[p.b], p.similarity, p.kind)
         for p in found),
        key=pair_order,
    )  # fmt: skip
    train_counts = dataset.train.counts(dataset.num_classes)
    summary = {
        "classes": names,
        "images": len(paths),
        "counts": {name: getattr(dataset, name).counts(dataset.num_classes) for name in splits},
        "imbalance": {
            "largest": max(train_counts),
            "smallest": min(train_counts),
            "ratio": max(train_counts) / max(min(train_counts), 1),
        },
        "flagged": len(issues),
        "probabilities": {  # per class, out of sample, for each flagged image
            paths[i.index]: [round(float(v), 6) for v in probabilities[i.index]]
            for i in found_issues
        },
        "leaks": sum(1 for p in pairs if p.leak),
        "duplicates_within_splits": sum(1 for p in pairs if not p.leak),
        "folds": folds_used,
        "threshold": {
            space: {
                "similarity": t.similarity,
                "median_nearest_similarity": t.median_nn_similarity,
                "rule": t.rule,
            }
            for space, t in thresholds.items()
        },
        "method": {
            "features": f"global average pooling of VGG16's block5_pool output ({config.weights} "
            f"weights, {config.image_size} px), from the pixels training decodes",
            "probabilities": f"{folds_used}-fold cross-validated logistic regression (L2, C={C}) "
            "on standardised outputs; test images from one fitted on train and validation",
            "ranking": "cleanlab.filter.find_label_issues, ranked by self-confidence",
            "exact": "identical file bytes (sha256)",
            "near": "cosine similarity of centred 8×8 thumbnails or of the centred outputs at "
            "or above that space's threshold",
        },
        "weights": config.weights,
        "image_size": config.image_size,
        "dataset": str(dataset.root),
        "skipped": len(report.skipped),
        "seconds": time.perf_counter() - started,
    }
    write_audit(out, issues, pairs, summary)
    return StoredAudit(out, summary, issues, pairs)


def _progress(tell: Say) -> Callable[[int, int], None]:
    marks: set[int] = set()

    def progress(done: int, total: int) -> None:
        quarter = 4 * done // max(total, 1)
        if quarter not in marks:
            marks.add(quarter)
            tell(f"  {done}/{total} images")

    return progress
