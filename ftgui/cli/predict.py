"""`python main.py predict RUN PATH…`: classify new images with a run's model.

stdout carries only the predictions, one line per image (`path<TAB>class<TAB>confidence`, then
with --top K the K best `class:probability` pairs, a tab before each); everything else goes to
stderr. TensorFlow is imported only once the run, the model and the images check out.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ftgui.cli.args import OneLineParser
from ftgui.cli.command import EXIT_INTERRUPTED, EXIT_OK, add_run_and_model_arguments, run_command
from ftgui.core.errors import UserError
from ftgui.core.files import check_writable_file

if TYPE_CHECKING:
    import keras

    from ftgui.core.analysis.models import ModelChoice, RunInfo
    from ftgui.core.analysis.predict import Prediction

LISTED = 3  # unreadable files named in the one-line error when none could be read


def predict_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ftgui predict",
        description="Classify image files, or every image in folders (recursively), with a run's "
        "model. Prints one line per image: path<TAB>class<TAB>confidence. Images are read and "
        "resized exactly as in training.",
        epilog="Files that cannot be read are listed on stderr and the rest predicted. Exit "
        "status: 0 when at least one image was predicted, 2 bad input or no readable image (one "
        "line on stderr), 130 interrupted.",
    )
    add_run_and_model_arguments(parser)
    parser.add_argument("paths", metavar="PATH", nargs="+", help="image files or folders")
    parser.add_argument(
        "--top",
        type=_positive,
        metavar="K",
        help="also print the K most probable classes as class:probability pairs",
    )
    parser.add_argument(
        "--csv",
        metavar="FILE",
        help="also write path,predicted,confidence,p:<class>… (one row per image) to FILE",
    )
    parser.add_argument(
        "--calibrated",
        action="store_true",
        help="report calibrated confidences (the model's temperature from calibrate, fitted "
        "first when the run has none); the predicted class is the same",
    )
    parser.add_argument(
        "--tta",
        action="store_true",
        help="test-time augmentation: the mean probability over the image, its four corner "
        "crops (90%% of the side) and, when training flipped images, its mirror image",
    )
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"K must be a whole number of at least 1, not '{text}'")
    return value


def predict_main(argv: list[str]) -> int:
    """Entry point of `predict`; returns the exit status."""
    # ftgui names every file it cannot decode; TensorFlow's own log line per file is noise.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = predict_parser().parse_args(argv)
    return run_command(lambda stop: _predict(args, stop))


def _predict(args: argparse.Namespace, stop: threading.Event) -> int:
    from ftgui.core.analysis.models import load_model, read_run_info, resolve_model
    from ftgui.core.analysis.predict import image_files, predict_files, write_predictions_csv
    from ftgui.core.analysis.tta import tta_views

    info = read_run_info(args.run)
    choice = resolve_model(info, args.model)
    files, problems = image_files(args.paths)
    if not files:
        raise UserError(_nothing_found(problems))
    if args.csv:  # the folder must exist: the CSV is written into it, none is made
        check_writable_file(args.csv, "--csv", make_folders=False)
    from ftgui.core.model.device import setup_devices

    setup_devices()
    model = load_model(info, choice)
    temperature = _temperature(info, choice, model, stop) if args.calibrated else 1.0
    views = tta_views(info.config.augmenting) if args.tta else ()
    if views:
        sys.stderr.write(f"Test-time augmentation: the mean over {', '.join(views)}\n")
    progress = _progress_bar if sys.stderr.isatty() else None
    predictions, unreadable = predict_files(
        model,
        files,
        info.config.image_size,
        progress=progress,
        stop=stop.is_set,
        views=views,
        temperature=temperature,
    )
    if progress is not None:
        sys.stderr.write("\r\x1b[K")
    problems += unreadable
    if not predictions and not stop.is_set():
        raise UserError(_none_readable(problems))
    top = min(args.top or 0, len(info.class_names))
    for prediction in predictions:
        print(prediction_line(prediction, info.class_names, top))
    sys.stdout.flush()
    if problems:
        sys.stderr.write(problems_text(problems))
    if stop.is_set():
        sys.stderr.write(f"ftgui: stopped after {len(predictions)} of {len(files)} images")
        sys.stderr.write("; no CSV written.\n" if args.csv else ".\n")
        return EXIT_INTERRUPTED
    if args.csv:
        write_predictions_csv(args.csv, predictions, info.class_names)
        sys.stderr.write(f"Wrote {Path(args.csv).expanduser()}\n")
    return EXIT_OK


def _temperature(
    info: RunInfo, choice: ModelChoice, model: keras.Model, stop: threading.Event
) -> float:
    """The model's calibration temperature, fitted (and stored) first when it has none."""
    from ftgui.core.analysis.calibration import calibration_file
    from ftgui.core.analysis.model_calibration import calibration_of

    def say(text: str) -> None:
        sys.stderr.write(text + "\n")

    calibration = calibration_of(info, choice, say, stop.is_set, model)
    if calibration is None:
        raise KeyboardInterrupt
    say(
        f"Calibrated confidences: temperature {calibration.temperature:.3f} from "
        f"{calibration_file(info.folder, choice.name)}"
    )
    return calibration.temperature


def prediction_line(prediction: Prediction, class_names: Sequence[str], top: int = 0) -> str:
    """`path<TAB>class<TAB>confidence`, then the `top` best `class:probability` pairs."""
    fields = [prediction.path, class_names[prediction.predicted], f"{prediction.confidence:.4f}"]
    fields += [f"{class_names[k]}:{p:.4f}" for k, p in prediction.top(top)]
    return "\t".join(fields)


def problems_text(problems: list[dict[str, str]]) -> str:
    count = len(problems)
    lines = [f"Skipped {count} path{'s' * (count != 1)} that could not be read:"]
    lines += [f"  {entry['path']}: {entry['reason']}" for entry in problems]
    return "\n".join(lines) + "\n"


def _listed(problems: list[dict[str, str]]) -> str:
    named = "; ".join(f"{p['path']} ({p['reason']})" for p in problems[:LISTED])
    more = len(problems) - LISTED
    return named + (f" and {more} more" if more > 0 else "")


def _nothing_found(problems: list[dict[str, str]]) -> str:
    return (
        f"No image files found: {_listed(problems)}; name image files (.jpg, .png, .gif, .bmp, "
        f".webp) or folders that hold them."
    )


def _none_readable(problems: list[dict[str, str]]) -> str:
    return f"No image could be read: {_listed(problems)}; check that the files are whole images."


def _progress_bar(done: int, total: int) -> None:
    bar = "#" * int(24 * done / total)
    sys.stderr.write(f"\rPredicting [{bar:<24}] {done}/{total}\x1b[K")
    sys.stderr.flush()
