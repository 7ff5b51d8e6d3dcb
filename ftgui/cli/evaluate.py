"""`python main.py evaluate RUN`: accuracy, confusion matrix and per-class table of a run's model.

TensorFlow is imported only once the run, the model choice, the split and the dataset check
out, so `--help` and bad input answer at once.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING

from ftgui.cli.args import OneLineParser
from ftgui.cli.command import EXIT_INTERRUPTED, EXIT_OK, add_run_and_model_arguments, run_command

if TYPE_CHECKING:
    from ftgui.core.analysis.evaluation_files import Evaluation

SPLITS = ("test", "validation")
NAME_WIDTH = 12  # class names are cut to this in the confusion matrix's column labels


def evaluate_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ftgui evaluate",
        description="Score a run's model on its dataset's test or validation images: accuracy, "
        "loss, the confusion matrix and per-class precision, recall and F1. Writes "
        "RUN/evaluation/<model>-<split>.csv (one row per image) and .json.",
        epilog="Exit status: 0 done, 2 bad input (one line on stderr), 130 interrupted.",
    )
    add_run_and_model_arguments(parser)
    parser.add_argument(
        "--split",
        choices=SPLITS,
        help="the images to score (default: test when the dataset has a test split, "
        "else validation)",
    )
    parser.add_argument(
        "--tta",
        action="store_true",
        help="also score with test-time augmentation (the mean over the image, its four corner "
        "crops and, when training flipped images, its mirror image): both accuracies, the "
        "predictions it turns right→wrong and wrong→right and its cost; writes "
        "RUN/evaluation/<model>-<split>-tta.json",
    )
    return parser


def evaluate_main(argv: list[str]) -> int:
    """Entry point of `evaluate`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = evaluate_parser().parse_args(argv)
    return run_command(
        lambda stop: _evaluate(args.run, args.model, args.split, stop, args.tta),
        aborted="ftgui: aborted; nothing written.",
    )


def _evaluate(
    run: str, model: str, split: str | None, stop: threading.Event, tta: bool = False
) -> int:
    from ftgui.core.analysis.evaluation import evaluate, load_run_model
    from ftgui.core.analysis.evaluation_files import evaluation_files
    from ftgui.core.analysis.evaluation_images import available_splits
    from ftgui.core.analysis.models import read_run_info, resolve_model

    info = read_run_info(run)
    choice = resolve_model(info, model)
    split = split or available_splits(info)[0]
    print(f"Evaluating {choice.name} ({choice.path}) on the {split} split…", flush=True)
    loaded = load_run_model(info, choice)
    evaluation = evaluate(info, choice, split, stop=stop.is_set, model=loaded)
    if evaluation is None:
        sys.stderr.write("ftgui: stopped; nothing written.\n")
        return EXIT_INTERRUPTED
    print(report(evaluation))
    for path in evaluation_files(info.folder, evaluation.model, evaluation.split):
        print(f"Wrote {path}")
    if tta:
        from ftgui.core.analysis.tta_evaluation import compare_tta, comparison_lines, tta_file

        print(f"\nScoring {split} with test-time augmentation…", flush=True)
        comparison = compare_tta(info, choice, split, loaded, stop.is_set)
        if comparison is None:
            sys.stderr.write("ftgui: stopped; no TTA comparison written.\n")
            return EXIT_INTERRUPTED
        print("\n".join(comparison_lines(comparison)))
        print(f"Wrote {tta_file(info.folder, choice.name, split)}")
    if evaluation.skipped:
        sys.stderr.write(skipped_text(evaluation))
    return EXIT_OK


def report(evaluation: Evaluation) -> str:
    """Accuracy and loss, the confusion matrix and the per-class table, as printed."""
    count = len(evaluation.images)
    lines = [
        f"{evaluation.model} on {evaluation.split} ({count} images): accuracy "
        f"{evaluation.accuracy:.4f}, loss {evaluation.loss:.4f}",
        "",
        "Confusion matrix (rows: true class, columns: predicted class)",
        *confusion_lines(evaluation.classes, evaluation.confusion),
        "",
        *per_class_lines(evaluation.per_class),
    ]
    return "\n".join(lines)


def confusion_lines(classes: list[str], confusion: list[list[int]]) -> list[str]:
    """The matrix with class names as row labels and (cut) column labels."""
    rows = max(len(name) for name in classes)
    labels = [name[:NAME_WIDTH] for name in classes]
    width = max(max(len(label) for label in labels), len(str(max(map(max, confusion)))))
    header = " " * rows + "".join(f"  {label:>{width}}" for label in labels)
    body = [
        f"{name:<{rows}}" + "".join(f"  {n:>{width}}" for n in counts)
        for name, counts in zip(classes, confusion, strict=True)
    ]
    return [header, *body]


def per_class_lines(per_class: dict[str, dict[str, float]]) -> list[str]:
    """One row per class: precision, recall, F1 and support."""
    rows = max(max(len(name) for name in per_class), len("class"))
    lines = [f"{'class':<{rows}}  precision  recall      f1  support"]
    for name, scores in per_class.items():
        lines.append(
            f"{name:<{rows}}  {scores['precision']:>9.4f}  {scores['recall']:>6.4f}  "
            f"{scores['f1']:>6.4f}  {int(scores['support']):>7}"
        )
    return lines


def skipped_text(evaluation: Evaluation) -> str:
    skipped = evaluation.skipped
    lines = [f"Skipped {len(skipped)} file{'s' * (len(skipped) != 1)} that could not be read:"]
    lines += [f"  {entry['path']}: {entry['reason']}" for entry in skipped]
    return "\n".join(lines) + "\n"
