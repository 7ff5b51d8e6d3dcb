"""Which images a run's evaluation scores: the split as it is now on disk, minus the files
that cannot be read (said with their reason) and those gone since the last evaluation."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftgui.core.analysis.evaluation_files import (
    SPLIT_ORDER,
    evaluation_files,
    stored_evaluations,
)
from ftgui.core.analysis.models import (
    RunInfo,
)
from ftgui.core.data.dataset import Dataset, Split
from ftgui.core.data.sample import resolve_dataset
from ftgui.core.data.scan import REPORT_FILE, check_image
from ftgui.core.errors import UserError

if TYPE_CHECKING:
    pass

MISSING = "file no longer exists"

Verdict = Callable[[str], "str | None"]  # why a file cannot be used, or None


@dataclass
class SplitImages:
    """The readable images of one split, and the files of it that could not be read."""

    split: str
    usable: Split
    skipped: list[dict[str, str]]


def available_splits(info: RunInfo) -> list[str]:
    """The splits to evaluate: "test" first when the run's dataset has one, then "validation"."""
    counts = _report(info).get("counts")
    if isinstance(counts, dict):
        has_test = sum(counts.get("test") or []) > 0
    else:  # an older report: look at the dataset folder itself
        has_test = len(_dataset(info).test) > 0
    return ["test", "validation"] if has_test else ["validation"]


def _report(info: RunInfo) -> dict[str, Any]:
    try:
        report = json.loads((info.folder / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return report if isinstance(report, dict) else {}


def check_split(info: RunInfo, split: str) -> None:
    if split not in SPLIT_ORDER:
        raise UserError(f"Unknown split '{split}'; use test or validation.")
    if split not in available_splits(info):
        raise UserError(
            f"The dataset of run {info.folder} has no {split} split; evaluate the validation "
            f"split instead."
        )


def _dataset(info: RunInfo) -> Dataset:
    """The run's dataset as it is now; one sentence when it moved or its classes changed."""
    config = info.config
    if not config.sample:
        root = Path(str(config.data_dir)).expanduser()
        if not root.is_dir():
            raise UserError(
                f"The dataset folder {root} of run {info.folder} no longer exists (moved or "
                f"deleted since training); put it back there to evaluate the run."
            )
    dataset = resolve_dataset(config)
    if dataset.class_names != info.class_names:
        raise UserError(
            f"The dataset folder {dataset.root} now has the classes "
            f"{', '.join(dataset.class_names)} but the run was trained on "
            f"{', '.join(info.class_names)}; restore the class folders it lost or gained since "
            f"training."
        )
    return dataset


def images_of(info: RunInfo, split: str, verdict: Verdict) -> SplitImages:
    """The split's readable files; the unreadable ones and those gone since the last evaluation
    are skipped with their reason."""
    listed: Split = getattr(_dataset(info), split)
    images = SplitImages(split, Split(), [])
    for path, label in zip(listed.files, listed.labels, strict=True):
        reason = verdict(path)
        if reason:
            images.skipped.append({"path": path, "reason": reason})
        else:
            images.usable.files.append(path)
            images.usable.labels.append(label)
    present = set(listed.files)
    gone = sorted(path for path in _recorded_files(info.folder, split) if path not in present)
    images.skipped += [{"path": path, "reason": MISSING} for path in gone]
    if not images.usable.files:
        raise UserError(
            f"No image of the {split} split of run {info.folder} can be read any more "
            f"({len(images.skipped)} skipped); put the dataset's images back to evaluate it."
        )
    return images


def _recorded_files(run_dir: Path, split: str) -> set[str]:
    """Every image path the run's stored evaluations of `split` scored."""
    paths: set[str] = set()
    for model, stored_split in stored_evaluations(run_dir):
        if stored_split == split:
            csv_path = evaluation_files(run_dir, model, split)[0]
            try:
                with csv_path.open(newline="", encoding="utf-8") as file:
                    paths.update(row["path"] for row in csv.DictReader(file))
            except (OSError, ValueError, KeyError, csv.Error):
                continue
    return paths


def check_file(path: str) -> str | None:
    """Why the file cannot be used now (decoding it with Pillow), or None."""
    return MISSING if not os.path.exists(path) else check_image(path)


def report_verdict(info: RunInfo) -> Verdict:
    """The image check's verdicts from dataset_report.json (a run that just checked them)."""
    skipped = {
        str(entry.get("path")): str(entry.get("reason"))
        for entry in _report(info).get("skipped") or []
        if isinstance(entry, dict)
    }
    return lambda path: MISSING if not os.path.exists(path) else skipped.get(path)
