"""Dispatch `python main.py [train] …`: the window by default, sub-commands for headless work."""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys

from ftgui.cli.args import OneLineParser, add_run_arguments

COMMANDS = {
    "train": "run the phases headless and write a run folder (see: train --help)",
    "sweep": "several trials of the recipe in one process, sharing what they have in common",
    "audit": "likely label errors, leaks between splits and duplicates in a dataset",
    "evaluate": "accuracy, confusion matrix and per-class table of a run's model",
    "gradcam": "where a run's model looks in an image (Grad-CAM overlay as PNG)",
    "lr-find": "a learning rate for one phase: fastai's range test, with three suggestions",
    "calibrate": "fit a temperature so a run's model's confidences mean what they say",
    "predict": "classify new images with a run's model (one line each, optional CSV)",
    "export": "SavedModel, TFLite, ONNX (each verified by running it) or the recipe as a script",
    "report": "a run as one self-contained HTML file (curves, scores, Grad-CAM, calibration)",
    "import-kaggle": "copy Kaggle's Dogs vs Cats train.zip into the book's layout",
    "doctor": "versions, devices, why no GPU is used, caches and free disk space",
}
SUB_COMMANDS = {  # name -> (module, function taking argv and returning the exit status)
    "train": ("ftgui.cli.train", "train_main"),
    "sweep": ("ftgui.cli.sweep", "sweep_main"),
    "audit": ("ftgui.cli.audit", "audit_main"),
    "evaluate": ("ftgui.cli.evaluate", "evaluate_main"),
    "gradcam": ("ftgui.cli.gradcam", "gradcam_main"),
    "lr-find": ("ftgui.cli.lr_find", "lr_find_main"),
    "calibrate": ("ftgui.cli.calibrate", "calibrate_main"),
    "predict": ("ftgui.cli.predict", "predict_main"),
    "export": ("ftgui.cli.export", "export_main"),
    "report": ("ftgui.cli.report", "report_main"),
    "import-kaggle": ("ftgui.cli.import_kaggle", "import_main"),
    "doctor": ("ftgui.cli.doctor", "doctor_main"),
}


def gui_parser() -> OneLineParser:
    """The window's flags; its usage also shows the sub-commands (dispatched by `main`)."""
    commands = "\n".join(f"  {name:<14} {COMMANDS[name]}" for name in SUB_COMMANDS)
    parser = OneLineParser(
        prog="ftgui",
        description="Fine-tune VGG16 on your images in a window (Deep Learning with Python "
        "§5.3.2). With no sub-command the window opens; the flags below pre-fill it.",
        epilog=f"sub-commands:\n{commands}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_arguments(parser)
    parser.usage = usage(parser)
    return parser


def usage(parser: argparse.ArgumentParser) -> str:
    """Two forms, as argparse writes them: a sub-command first, or the window's flags."""
    window = parser.format_usage().removeprefix("usage: ").rstrip()  # "ftgui [-h] [--data …"
    indent = " " * len("usage: ")  # argparse aligns wrapped lines under the first word after it
    return f"%(prog)s [-h] {{{','.join(SUB_COMMANDS)}}} ...\n{indent}{window}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUB_COMMANDS:
        module, function = SUB_COMMANDS[argv[0]]
        return getattr(importlib.import_module(module), function)(argv[1:])
    parser = gui_parser()
    if argv and not argv[0].startswith("-"):  # the window takes flags only: a sub-command misspelt
        close = difflib.get_close_matches(argv[0], SUB_COMMANDS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        names = ", ".join(SUB_COMMANDS)
        parser.error(f"unknown sub-command '{argv[0]}'{hint}; the sub-commands are {names}")
    args = parser.parse_args(argv)
    from ftgui.gui.launch import launch

    return launch(args)
