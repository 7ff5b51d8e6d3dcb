"""Dispatch `python main.py [train] …`: the window by default, sub-commands for headless work."""

from __future__ import annotations

import sys

from ftgui.args import OneLineParser, add_run_arguments

COMMANDS = {
    "train": "run the phases headless and write a run folder (see: train --help)",
    "import-kaggle": "copy Kaggle's Dogs vs Cats train.zip into the book's layout",
}


def gui_parser() -> OneLineParser:
    commands = "\n".join(f"  {name:<10} {text}" for name, text in COMMANDS.items())
    parser = OneLineParser(
        prog="ftgui",
        description="Fine-tune VGG16 on your images in a window (Deep Learning with Python "
        "§5.3.2). With no sub-command the window opens; the flags below pre-fill it.",
        epilog=f"sub-commands:\n{commands}",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter,
    )
    add_run_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "train":
        from ftgui.cli import train_main

        return train_main(argv[1:])
    if argv and argv[0] == "import-kaggle":
        from ftgui.import_cli import import_main

        return import_main(argv[1:])
    args = gui_parser().parse_args(argv)
    from ftgui.gui.launch import launch

    return launch(args)
