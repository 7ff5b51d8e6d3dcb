"""`python main.py export RUN --format …`: a run's model elsewhere, checked by running it.

TensorFlow is imported only once the run, the model choice and the output path check out, so
`--help` and bad input answer at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ftgui.cli.args import OneLineParser
from ftgui.cli.command import EXIT_OK, add_run_and_model_arguments, run_command
from ftgui.core.errors import UserError
from ftgui.core.export.artifacts import (
    FORMATS,
    INSTALL_HINT,
    LABELS_FILE,
    ExportResult,
    default_output,
)

if TYPE_CHECKING:
    from ftgui.core.analysis.models import ModelChoice, RunInfo


def export_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ftgui export",
        description="Take a run's model elsewhere. savedmodel, tflite and onnx write the model "
        f"(raw RGB pixels 0-255 in, class probabilities out) and {LABELS_FILE} into a folder, "
        "then run it in its own runtime (tf.saved_model, the LiteRT interpreter, onnxruntime) "
        "on up to 32 validation images and compare with Keras; a difference over 1e-4 is an "
        "error. script writes the run's recipe as one standalone Keras/TensorFlow .py file.",
        epilog=f"tflite and onnx need the optional packages: {INSTALL_HINT}. "
        "Exit status: 0 done, 2 bad input or a failed check (one line on stderr), 130 interrupted.",
    )
    add_run_and_model_arguments(parser, " (not used by script)")
    parser.add_argument("--format", required=True, choices=FORMATS, help="what to write")
    parser.add_argument(
        "--out",
        metavar="PATH",
        help="a new or empty folder (default RUN/export/<format>/); for script the .py file "
        "(default RUN/recipe.py)",
    )
    parser.add_argument(
        "--calibrated",
        action="store_true",
        help="bake the model's calibration temperature (from calibrate; fitted first when the "
        "run has none) into the output layer, so the artifact gives calibrated probabilities",
    )
    return parser


def export_main(argv: list[str]) -> int:
    """Entry point of `export`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = export_parser().parse_args(argv)
    return run_command(
        lambda stop: _export(args.run, args.format, args.model, args.out, args.calibrated),
        aborted="ftgui: aborted; nothing written.",
        stopping=None,
    )


def _export(run: str, fmt: str, model: str, out: str | None, calibrated: bool = False) -> int:
    """Check the run, the model and that --out can be written; then load TensorFlow and export."""
    from ftgui.core.analysis.models import read_run_info, resolve_model
    from ftgui.core.export.artifacts import check_output, export_model, require_packages
    from ftgui.core.files import check_writable_folder

    if fmt == "script" and calibrated:
        raise UserError(
            "--calibrated applies to the model formats (savedmodel, tflite, onnx), not to the "
            "script, which trains its own model; leave it out."
        )
    info = read_run_info(run)
    path = Path(out).expanduser() if out else default_output(info.folder, fmt)
    if fmt == "script":
        from ftgui.core.export.script import write_script

        write_script(info, path, "--out")
        print(f"Wrote {path} ({_size(path.stat().st_size)})")
        print(f"Run it with: python {path}   (add --epochs 1 for a quick end-to-end try)")
        return EXIT_OK
    choice = resolve_model(info, model)
    require_packages(fmt)
    check_output(path)
    check_writable_folder(path, "--out")
    temperature = _temperature(info, choice) if calibrated else 1.0
    print(f"Exporting {choice.name} ({choice.path}) as {fmt} to {path}/", flush=True)
    result = export_model(info, choice, fmt, path, _say, "--out", temperature)
    print(report(result, info.class_names))
    return EXIT_OK


def _temperature(info: RunInfo, choice: ModelChoice) -> float:
    """The model's calibration temperature, fitted (and stored) first when it has none."""
    from ftgui.core.analysis.model_calibration import calibration_of

    calibration = calibration_of(info, choice, _say)
    assert calibration is not None  # None only when stopped, and no stop is given
    _say(f"Calibrated: temperature {calibration.temperature:.4f} baked into the output layer")
    return calibration.temperature


def _say(text: str) -> None:
    print(f"  {text}", flush=True)


def report(result: ExportResult, class_names: list[str]) -> str:
    """What was written, its size, the time taken and the verified difference."""
    from ftgui.core.export.artifacts import output_note

    artifact = result.artifact
    kind = "folder" if artifact.is_dir() else "file"
    return "\n".join(
        [
            f"Wrote {artifact}{'/' if kind == 'folder' else ''} ({_size(result.size)}) in "
            f"{result.seconds:.1f} s, and {result.folder / LABELS_FILE} "
            f"({len(class_names)} classes)",
            f"Verified with {result.runtime} on {result.source} in {result.check_seconds:.1f} s: "
            f"largest difference from Keras {result.difference:.2e} (limit 1e-04)",
            output_note(class_names),
        ]
    )


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"
