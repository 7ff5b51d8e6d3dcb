"""`python main.py import-kaggle ZIP OUT`: Dogs vs Cats into the book's layout."""

from __future__ import annotations

from ftgui.cli.args import OneLineParser
from ftgui.cli.command import EXIT_OK, run_command
from ftgui.core.data.kaggle import BOOK_SPLIT, import_dogs_vs_cats
from ftgui.core.files import check_writable_folder


def import_main(argv: list[str]) -> int:
    """Entry point of `import-kaggle`; returns the exit status."""
    parser = OneLineParser(
        prog="ftgui import-kaggle",
        description="Copy Kaggle's Dogs vs Cats train.zip into OUT/train, OUT/validation and "
        "OUT/test with the book's split (1000 / 500 / 500 images per class), reading only "
        "the images it needs from the archive.",
    )
    parser.add_argument("zip", metavar="ZIP", help="the competition's train.zip")
    parser.add_argument("out", metavar="OUT", help="a new folder for the dataset")
    for split, count in BOOK_SPLIT.items():
        parser.add_argument(
            f"--{split}",
            type=int,
            default=count,
            metavar="N",
            help=f"{split} images per class (default {count})",
        )
    args = parser.parse_args(argv)
    per_class = {split: getattr(args, split) for split in BOOK_SPLIT}

    def body(stop: object) -> int:
        out = check_writable_folder(args.out, "OUT")
        counts = import_dogs_vs_cats(args.zip, out, per_class)
        print(
            f"Imported {', '.join(f'{n} {split}' for split, n in counts.items())} images into "
            f"{args.out}; train with: python main.py train --data {args.out}"
        )
        return EXIT_OK

    return run_command(body, aborted="ftgui: aborted; nothing imported.", stopping=None)
