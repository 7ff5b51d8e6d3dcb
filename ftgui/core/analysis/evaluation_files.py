"""A stored evaluation: its types and its two files, `evaluation/<model>-<split>.csv|.json`.

The CSV has one row per image (`path,label,predicted,confidence,loss,p:<class>…`), the JSON the
split's summary. Reading them needs no TensorFlow, so the window draws results from them.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ftgui.core.analysis.models import FINAL
from ftgui.core.errors import UserError
from ftgui.core.files import write_failure, write_run_file

EVALUATION_DIR = "evaluation"
SPLIT_ORDER = ("test", "validation")
CSV_FIELDS = ("path", "label", "predicted", "confidence", "loss")
PROBABILITY_PREFIX = "p:"


@dataclass(frozen=True)
class ImageResult:
    """One image's scores; `label` and `predicted` index `Evaluation.classes`."""

    path: str
    label: int
    predicted: int
    confidence: float  # the predicted class's probability
    loss: float
    probabilities: tuple[float, ...]  # one per class, in class order (2-class sigmoid: (1-p, p))


@dataclass
class Evaluation:
    """One model's scores on one split."""

    model: str  # "final" or a best file's stem, e.g. "best_2_fine-tune"
    split: str  # "test" or "validation"
    classes: list[str]
    accuracy: float
    loss: float
    confusion: list[list[int]]  # rows true class, columns predicted
    per_class: dict[str, dict[str, float]]  # class -> precision, recall, f1, support
    skipped: list[dict[str, str]]  # {"path", "reason"}: files that could not be read
    images: list[ImageResult]

    def in_cell(self, true: int, predicted: int) -> list[ImageResult]:
        """The images of one confusion-matrix cell, hardest (highest loss) first."""
        cell = [i for i in self.images if i.label == true and i.predicted == predicted]
        return sorted(cell, key=lambda image: image.loss, reverse=True)


def evaluation_files(run_dir: str | Path, model: str, split: str) -> tuple[Path, Path]:
    """The (csv, json) pair of one model on one split, under RUN/evaluation/."""
    folder = Path(run_dir).expanduser() / EVALUATION_DIR
    return folder / f"{model}-{split}.csv", folder / f"{model}-{split}.json"


def read_evaluation(run_dir: str | Path, model: str, split: str) -> Evaluation:
    """A stored evaluation, from its two files (no TensorFlow)."""
    csv_path, json_path = evaluation_files(run_dir, model, split)
    try:
        summary = json.loads(json_path.read_text(encoding="utf-8"))
        classes = [str(name) for name in summary["classes"]]
        return Evaluation(
            model,
            split,
            classes,
            float(summary["accuracy"]),
            float(summary["loss"]),
            [[int(count) for count in row] for row in summary["confusion"]],
            {str(k): dict(v) for k, v in summary["per_class"].items()},
            [{"path": str(s["path"]), "reason": str(s["reason"])} for s in summary["skipped"]],
            _read_csv(csv_path, classes),
        )
    except FileNotFoundError:
        raise UserError(
            f"{Path(run_dir)} holds no evaluation of {model} on the {split} split; evaluate it "
            f"first (python main.py evaluate RUN --model {model} --split {split})."
        ) from None
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise UserError(
            f"The stored evaluation {json_path.stem} in {Path(run_dir)} is damaged "
            f"({' '.join(str(exc).split())[:80]}); evaluate the run again."
        ) from None


def stored_evaluations(run_dir: str | Path) -> list[tuple[str, str]]:
    """The (model, split) pairs whose two files exist: final first, test before validation."""
    folder = Path(run_dir).expanduser() / EVALUATION_DIR
    pairs = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        model, _, split = path.stem.rpartition("-")
        if model and split in SPLIT_ORDER and path.with_suffix(".csv").is_file():
            pairs.append((model, split))
    return sorted(pairs, key=lambda p: (p[0] != FINAL, p[0], SPLIT_ORDER.index(p[1])))


def write_evaluation(run_dir: Path, evaluation: Evaluation) -> None:
    """Write the CSV, then the JSON (a pair counts as stored once its JSON exists)."""
    csv_path, json_path = evaluation_files(run_dir, evaluation.model, evaluation.split)
    try:
        csv_path.parent.mkdir(exist_ok=True)
    except OSError as exc:
        raise UserError(write_failure(csv_path.parent, exc)) from None
    write_run_file(csv_path, lambda path: _write_csv(path, evaluation))
    summary = {k: v for k, v in asdict(evaluation).items() if k != "images"}
    summary["images"] = len(evaluation.images)
    text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    write_run_file(json_path, lambda path: path.write_text(text, encoding="utf-8"))


def _write_csv(path: Path, evaluation: Evaluation) -> None:
    classes = evaluation.classes
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([*CSV_FIELDS, *(PROBABILITY_PREFIX + name for name in classes)])
        for image in evaluation.images:
            writer.writerow(
                [
                    image.path,
                    classes[image.label],
                    classes[image.predicted],
                    repr(image.confidence),
                    repr(image.loss),
                    *(repr(p) for p in image.probabilities),
                ]
            )


def _read_csv(path: Path, classes: list[str]) -> list[ImageResult]:
    index = {name: k for k, name in enumerate(classes)}
    expected = [*CSV_FIELDS, *(PROBABILITY_PREFIX + name for name in classes)]
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        if next(reader, None) != expected:
            raise ValueError(f"{path.name} does not start with the header {','.join(expected)}")
        return [
            ImageResult(
                row[0],
                index[row[1]],
                index[row[2]],
                float(row[3]),
                float(row[4]),
                tuple(float(v) for v in row[5:]),
            )
            for row in reader
        ]
