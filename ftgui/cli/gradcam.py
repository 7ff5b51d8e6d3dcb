"""`python main.py gradcam RUN IMAGE --out PNG`: where a run's model looks in one image."""

from __future__ import annotations

import os
from pathlib import Path

from ftgui.cli.args import OneLineParser
from ftgui.cli.command import EXIT_OK, run_command
from ftgui.core.errors import UserError
from ftgui.core.files import check_writable_file


def gradcam_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ftgui gradcam",
        description="Grad-CAM of a run's model on one image (block5_conv3, the score before the "
        "sigmoid/softmax), written as a PNG overlay of the image's own size.",
        epilog="Exit status: 0 done, 2 bad input (one line on stderr), 130 interrupted.",
    )
    parser.add_argument("run", metavar="RUN", help="a run folder written by ftgui")
    parser.add_argument("image", metavar="IMAGE", help="the image to explain")
    parser.add_argument(
        "--model",
        default="final",
        metavar="final|best|FILE",
        help="final (model.keras, default), best (the last phase's best), a best file's stem "
        "or a .keras file of this run's architecture",
    )
    parser.add_argument(
        "--class",
        dest="class_name",
        metavar="NAME",
        help="the class to explain (default: the predicted class)",
    )
    parser.add_argument("--out", required=True, metavar="PNG", help="the overlay to write")
    return parser


def gradcam_main(argv: list[str]) -> int:
    """Entry point of `gradcam`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = gradcam_parser().parse_args(argv)
    out = Path(args.out).expanduser()

    def body(stop: object) -> int:
        _gradcam(args.run, args.image, args.model, args.class_name, out)
        return EXIT_OK

    return run_command(body, aborted="ftgui: interrupted.", stopping=None)


def _gradcam(run: str, image: str, model_name: str, class_name: str | None, out: Path) -> None:
    """Check every input cheaply first, then load TensorFlow, explain and write the overlay."""
    from ftgui.core.analysis import gradcam
    from ftgui.core.analysis.models import load_model, read_run_info, resolve_model

    info = read_run_info(run)
    choice = resolve_model(info, model_name)
    class_index = _class_index(info.class_names, class_name)
    _check_out(out)
    gradcam.check_image_file(image)

    from ftgui.core.model.device import setup_devices

    setup_devices()
    original, pixels = gradcam.read_image(image, info.config.image_size)
    model = load_model(info, choice)
    result = gradcam.explain_image(model, original, pixels, class_index)
    gradcam.save_png(gradcam.overlay(original, result.heatmap), out)
    names = info.class_names
    print(f"Predicted: {names[result.predicted]} ({result.probabilities[result.predicted]:.4f})")
    print(f"Explained: {names[result.class_index]} (model: {choice.name})")
    print(f"Overlay: {out} ({original.shape[1]}×{original.shape[0]} px)")


def _class_index(class_names: list[str], name: str | None) -> int | None:
    """The index of --class NAME; one sentence listing the run's classes when unknown."""
    if name is None:
        return None
    if name not in class_names:
        raise UserError(f"Unknown class '{name}'; this run's classes are {', '.join(class_names)}.")
    return class_names.index(name)


def _check_out(out: Path) -> None:
    """--out must be a .png that can be written in an existing folder (checked before the slow
    work)."""
    if out.suffix.lower() != ".png":
        raise UserError(f"--out {out} must name a .png file; the overlay is written as PNG.")
    check_writable_file(out, "--out", make_folders=False)
