"""A dataset with planted faults, and how well `audit` finds them and what it costs.

    python benchmarks/planted_faults.py [--size 64] [--weights none|FILE] [--skip-plain]

The data: three digit classes of scikit-learn's `load_digits` (0, 1, 2: 534 images, 8×8
upscaled by the image check) in the book layout, 60/20/20. Planted: 5% of the train and
validation images moved into another class's folder (label errors), and test images copied into
train three ways: byte-for-byte (exact), re-encoded as JPEG quality 60, and resized to 12×12
(near). Runs `python main.py audit` and benchmarks/plain_keras.py (the recipe, 2 + 2 epochs,
same folder and size) as fresh processes timed from outside and prints the ratio, then
precision and recall of the label errors in the top 2N rows (N planted) for cleanlab's ranking
and for plain self-confidence, and recall and false pairs of the duplicates.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
DIGITS = (0, 1, 2)
SHARES = (0.6, 0.2, 0.2)


@dataclass
class Truth:
    """Where the faults are: absolute paths."""

    mislabelled: set[str] = field(default_factory=set)
    copies: dict[str, str] = field(default_factory=dict)  # copy in train → its test original
    kinds: dict[str, str] = field(default_factory=dict)  # copy → exact | jpeg | resized


def planted_dataset(
    root: Path,
    label_error_share: float = 0.05,
    copies_per_kind: int = 4,
    seed: int = 0,
    per_class: int | None = None,
) -> Truth:
    """Write the digits with planted faults under `root` (book layout) and return the truth;
    `per_class` keeps that many images of each digit (default: all, about 178)."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(seed)
    digits = load_digits()
    truth = Truth()
    files: list[tuple[str, int, Path]] = []  # split, class, path
    for digit in DIGITS:
        indices = rng.permutation(np.flatnonzero(digits.target == digit))[:per_class]
        bounds = np.cumsum([0, *(round(s * len(indices)) for s in SHARES)])
        bounds[-1] = len(indices)
        for k, split in enumerate(("train", "validation", "test")):
            folder = root / split / f"digit_{digit}"
            folder.mkdir(parents=True, exist_ok=True)
            for index in indices[bounds[k] : bounds[k + 1]]:
                pixels = (digits.images[index] * (255 / 16)).astype(np.uint8)
                path = folder / f"{index}.png"
                Image.fromarray(pixels).convert("RGB").save(path)
                files.append((split, digit, path))
    fitted = [f for f in files if f[0] != "test"]
    for k in rng.choice(len(fitted), round(label_error_share * len(fitted)), replace=False):
        split, digit, path = fitted[k]
        wrong = rng.choice([d for d in DIGITS if d != digit])
        moved = root / split / f"digit_{wrong}" / path.name
        path.rename(moved)
        truth.mislabelled.add(str(moved))
    tests = [f for f in files if f[0] == "test"]
    picks = rng.choice(len(tests), 3 * copies_per_kind, replace=False)
    for n, k in enumerate(picks):
        _, digit, original = tests[k]
        kind = ("exact", "jpeg", "resized")[n // copies_per_kind]
        target = root / "train" / f"digit_{digit}" / f"copy_{kind}_{original.stem}"
        with Image.open(original) as image:
            if kind == "exact":
                target = target.with_suffix(".png")
                shutil.copyfile(original, target)
            elif kind == "jpeg":
                target = target.with_suffix(".jpg")
                image.convert("RGB").save(target, quality=60)
            else:
                target = target.with_suffix(".png")
                image.resize((12, 12), Image.Resampling.BILINEAR).save(target)
        truth.copies[str(target)] = str(original)
        truth.kinds[str(target)] = kind
    return truth


def label_scores(issues: list[str], truth: Truth) -> tuple[float, float]:
    """Precision and recall of the planted label errors in the top 2N of a ranking."""
    top = issues[: 2 * len(truth.mislabelled)]
    hits = len(set(top) & truth.mislabelled)
    return hits / max(len(top), 1), hits / max(len(truth.mislabelled), 1)


def duplicate_scores(pairs: list[tuple[str, str]], truth: Truth) -> tuple[dict[str, float], int]:
    """Recall per kind of planted copy, and pairs that are not a planted copy."""
    found = {frozenset(p) for p in pairs}
    recall = {}
    for kind in ("exact", "jpeg", "resized"):
        planted = [c for c, k in truth.kinds.items() if k == kind]
        recall[kind] = sum(frozenset({c, truth.copies[c]}) in found for c in planted) / len(planted)
    planted_pairs = {frozenset({c, o}) for c, o in truth.copies.items()}
    return recall, len(found - planted_pairs)


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return time.perf_counter() - started


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--weights", default="none")
    parser.add_argument("--skip-plain", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data"
        truth = planted_dataset(data)
        out = Path(scratch) / "audit"
        audit = [sys.executable, "main.py", "audit", "--data", str(data), "--weights",
                 args.weights, "--image-size", str(args.size), "--out", str(out)]  # fmt: skip
        audit_seconds = _timed(audit)
        issues = [row["path"] for row in _rows(out / "label_issues.csv")]
        pairs = [(row["path_a"], row["path_b"]) for row in _rows(out / "duplicates.csv")]
        precision, recall = label_scores(issues, truth)
        baseline = self_confidence_baseline(data, args.size, args.weights)
        base_precision, base_recall = label_scores(baseline, truth)
        dup_recall, false_pairs = duplicate_scores(pairs, truth)
        print(f"planted: {len(truth.mislabelled)} label errors, {len(truth.copies)} copies")
        print(f"audit: {audit_seconds:.1f} s; flagged {len(issues)}")
        print(
            f"label errors, top 2N: cleanlab precision {precision:.2f} recall {recall:.2f}; "
            f"self-confidence precision {base_precision:.2f} recall {base_recall:.2f}"
        )
        print(f"duplicates: recall {dup_recall}; {false_pairs} pairs that are no planted copy")
        if not args.skip_plain:
            plain = [sys.executable, "benchmarks/plain_keras.py", str(data), str(args.size),
                     "20", "2", "2", "7"]  # fmt: skip
            plain_seconds = _timed(plain)
            print(f"plain Keras 2 + 2 epochs: {plain_seconds:.1f} s; audit / plain = "
                  f"{audit_seconds / plain_seconds:.2f}")  # fmt: skip


def self_confidence_baseline(data: Path, size: int, weights: str) -> list[str]:
    """Every image ranked by its out-of-sample probability of its label (no cleanlab)."""
    import numpy as np

    from ftgui.core.audit.features import pooled_outputs
    from ftgui.core.audit.label_issues import (
        out_of_sample_probabilities,
        self_confidence_ranking,
    )
    from ftgui.core.data.dataset import find_dataset
    from ftgui.core.data.pixels import decode_pixels
    from ftgui.core.settings.config import RunConfig

    dataset = find_dataset(data)
    splits = ("train", "validation", "test")
    paths = [f for s in splits for f in getattr(dataset, s).files]
    labels = np.array([k for s in splits for k in getattr(dataset, s).labels])
    fitted = np.array([s != "test" for s in splits for _ in getattr(dataset, s).files])
    pixels = np.stack([decode_pixels(p, size) for p in paths])
    config = RunConfig(data_dir=str(data), weights=weights, image_size=size, seed=1337)
    features = pooled_outputs(config, [pixels])
    assert features is not None
    probabilities = out_of_sample_probabilities(features[0], labels, fitted, 5, 1337)
    return [paths[i] for i in self_confidence_ranking(labels, probabilities)]


if __name__ == "__main__":
    main()
