"""`python main.py calibrate RUN [--model …]`: fit a temperature for a run's model.

Runs finished by ftgui are calibrated at their end; this command calibrates older runs, other
models and `.keras` files. Stored evaluations are reused; missing ones are scored first
(TensorFlow is imported only then).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING

from ftgui.cli.args import OneLineParser
from ftgui.cli.command import EXIT_INTERRUPTED, EXIT_OK, add_run_and_model_arguments, run_command

if TYPE_CHECKING:
    from ftgui.core.analysis.calibration import Calibration


def calibrate_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ftgui calibrate",
        description="Fit a temperature (Guo et al. 2017) on the run's validation split so that "
        "the model's confidences match how often it is right, and measure the expected "
        "calibration error (15 bins) before and after, on validation and on the held-out test "
        "split. Writes RUN/evaluation/<model>-calibration.json. The predicted class never "
        "changes.",
        epilog="Use the result with predict --calibrated and export --calibrated. Exit status: "
        "0 done, 2 bad input (one line on stderr), 130 interrupted.",
    )
    add_run_and_model_arguments(parser)
    return parser


def calibrate_main(argv: list[str]) -> int:
    """Entry point of `calibrate`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = calibrate_parser().parse_args(argv)
    return run_command(
        lambda stop: _calibrate(args.run, args.model, stop),
        aborted="ftgui: aborted; nothing written.",
    )


def _calibrate(run: str, model: str, stop: threading.Event) -> int:
    from ftgui.core.analysis.calibration import calibration_file
    from ftgui.core.analysis.model_calibration import calibration_of
    from ftgui.core.analysis.models import read_run_info, resolve_model

    info = read_run_info(run)
    choice = resolve_model(info, model)
    calibration = calibration_of(info, choice, _say, stop.is_set, again=True)
    if calibration is None:
        sys.stderr.write("ftgui: stopped; no calibration written.\n")
        return EXIT_INTERRUPTED
    print(report(calibration))
    print(f"Wrote {calibration_file(info.folder, choice.name)}")
    return EXIT_OK


def _say(text: str) -> None:
    print(text, flush=True)


def report(calibration: Calibration) -> str:
    """The temperature, the rule that chose it, and the ECE and NLL before and after."""
    lines = [
        f"{calibration.model}: temperature {calibration.temperature:.4f} "
        f"({'lowest validation NLL' if calibration.fit == 'nll' else 'lowest validation ECE'})",
        f"{'split':<10}  images  accuracy  ECE before  ECE after  NLL before  NLL after",
    ]
    for split in (calibration.validation, calibration.test):
        if split is not None:
            lines.append(
                f"{split.split:<10}  {split.images:>6}  {split.accuracy:>8.4f}  "
                f"{split.ece_before:>10.4f}  {split.ece_after:>9.4f}  {split.nll_before:>10.4f}  "
                f"{split.nll_after:>9.4f}"
            )
    return "\n".join(lines)
