"""Duplicates: exact copies (the same file bytes) and near copies (re-saved, re-encoded or
resized), looked for in two spaces.

- An 8×8 colour thumbnail of the decoded pixels (area-averaged): re-encoding and resizing
  barely move it. Measured on planted copies of digits (benchmarks/planted_faults.py), pooled
  outputs of a random-weight base put some resized copies at similarity 0.37 while their
  thumbnails stayed above 0.99.
- The base's pooled outputs, which with ImageNet weights also see copies that were cropped or
  lightly edited.

In each space rows are centred (the dataset's mean removed: random and ImageNet weights give
outputs on very different scales with a large shared component) and compared by cosine
similarity. The threshold adapts to the dataset and space: every image's distance to its
nearest neighbour, 1 − similarity, is taken on a log scale, and a pair is a near copy when its
log-distance lies more than `ROBUST_Z` robust standard deviations (1.4826 × the median absolute
deviation) below the median nearest-neighbour log-distance, and its distance is under 1/`CLOSER`
of that median (where nearest-neighbour distances are all alike, the spread is tiny and the
first rule alone would flag ordinary neighbours): far closer than images of this dataset
normally are to their closest other image. A pair found in either space is listed, with
the higher of its two similarities.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

ROBUST_Z = 3.0
CLOSER = 4.0  # and at least this many times closer than the median nearest neighbour
THUMBNAIL = 8  # side of the thumbnails compared
BLOCK = 1024
EXACT, NEAR = "exact", "near"


@dataclass(frozen=True)
class Pair:
    a: int  # indices into the audited images, a < b
    b: int
    similarity: float
    kind: str  # EXACT or NEAR


@dataclass(frozen=True)
class Threshold:
    similarity: float  # pairs at or above it are near copies
    median_nn_similarity: float
    rule: str


def file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def exact_pairs(paths: list[str]) -> list[Pair]:
    """Every pair of files with the same bytes."""
    groups: dict[str, list[int]] = {}
    for index, path in enumerate(paths):
        try:
            groups.setdefault(file_digest(path), []).append(index)
        except OSError:
            continue
    return [
        Pair(a, b, 1.0, EXACT)
        for members in groups.values()
        for k, a in enumerate(members)
        for b in members[k + 1 :]
    ]


def unit_directions(features: np.ndarray) -> np.ndarray:
    """Centred, L2-normalised rows."""
    import numpy as np

    centred = features.astype(np.float64) - features.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return centred / np.where(norms > 0, norms, 1.0)


def nearest_similarities(units: np.ndarray) -> np.ndarray:
    """Each row's cosine similarity to its nearest other row."""
    import numpy as np

    best = np.full(len(units), -1.0)
    for start in range(0, len(units), BLOCK):
        block = units[start : start + BLOCK] @ units.T
        rows = np.arange(len(block))
        block[rows, rows + start] = -np.inf
        best[start : start + BLOCK] = block.max(axis=1)
    return best


def adaptive_threshold(nearest: np.ndarray) -> Threshold:
    """The similarity above which a pair is unusually close for this dataset (see the module)."""
    import numpy as np

    distance = np.log(np.clip(1.0 - nearest, 1e-9, None))
    median = float(np.median(distance))
    spread = 1.4826 * float(np.median(np.abs(distance - median))) or 1e-3
    log_distance = min(median - ROBUST_Z * spread, median - np.log(CLOSER))
    similarity = 1.0 - float(np.exp(log_distance))
    rule = (
        f"log(1 − nearest-neighbour similarity) more than {ROBUST_Z:g} robust SDs "
        f"(1.4826 × MAD) below its median over the dataset, and 1 − similarity under 1/{CLOSER:g} "
        f"of the median nearest-neighbour distance"
    )
    return Threshold(similarity, float(np.median(nearest)), rule)


def near_pairs(units: np.ndarray, threshold: float, exact: set[tuple[int, int]]) -> list[Pair]:
    """Every pair at or above `threshold` that is not an exact copy, most similar first."""
    import numpy as np

    found = []
    for start in range(0, len(units), BLOCK):
        block = units[start : start + BLOCK] @ units.T
        rows, cols = np.nonzero(block >= threshold)
        for row, col in zip(rows, cols, strict=True):
            a = int(row) + start
            if a < col and (a, int(col)) not in exact:
                found.append(Pair(a, int(col), float(block[row, col]), NEAR))
    return sorted(found, key=lambda pair: -pair.similarity)


def thumbnails(pixels: np.ndarray, side: int = THUMBNAIL) -> np.ndarray:
    """Area-averaged side×side colour thumbnails of uint8 N×S×S×3 images, one row each."""
    import numpy as np

    count, size = len(pixels), pixels.shape[1]
    step = max(size // side, 1)
    cut = pixels[:, : step * side, : step * side].astype(np.float32)
    blocks = cut.reshape(count, side, step, side, step, 3).mean(axis=(2, 4))
    return blocks.reshape(count, -1)


def find_duplicates(
    paths: list[str], features: np.ndarray, small: np.ndarray
) -> tuple[list[Pair], dict[str, Threshold]]:
    """Exact and near pairs of the audited images (`small`: their `thumbnails`), and the
    threshold of each space."""
    exact = exact_pairs(paths)
    seen = {(p.a, p.b) for p in exact}
    near: dict[tuple[int, int], Pair] = {}
    thresholds = {}
    for space, rows in (("thumbnails", small), ("outputs", features)):
        units = unit_directions(rows)
        threshold = adaptive_threshold(nearest_similarities(units))
        thresholds[space] = threshold
        for pair in near_pairs(units, threshold.similarity, seen):
            kept = near.get((pair.a, pair.b))
            if kept is None or kept.similarity < pair.similarity:
                near[(pair.a, pair.b)] = pair
    found = sorted(near.values(), key=lambda pair: -pair.similarity)
    return exact + found, thresholds
