"""`python main.py audit (--data DIR | --sample | RUN) [train flags] [--folds K] [--out AUDIT]`:
likely label errors, leaks between splits and duplicates, found on the frozen base's outputs."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from ftgui.cli.args import OneLineParser, add_run_arguments, config_from_args
from ftgui.cli.command import EXIT_INTERRUPTED, EXIT_OK, run_command
from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig

AUDIT_DIR = "audit"


def audit_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ftgui audit",
        description="Audit a dataset before trusting a model trained on it: rank the images "
        "whose label is likely wrong (cleanlab's confident learning on K-fold out-of-sample "
        "probabilities of linear classifiers on the frozen base's pooled outputs), and find "
        "exact copies and near copies (re-saved, resized), leaks between splits first. Writes "
        "label_issues.csv, duplicates.csv and audit.json.",
        epilog="With RUN, its dataset and settings (weights, image size, split, seed) and the "
        "default output RUN/audit/; otherwise the train flags. Exit status: 0 done, 2 bad input "
        "(one line on stderr), 130 interrupted.",
    )
    parser.add_argument("run", metavar="RUN", nargs="?", help="a run folder: audit its dataset")
    add_run_arguments(parser)
    parser.add_argument(
        "--folds", type=_folds, default=5, metavar="K",
        help="cross-validation folds for the out-of-sample probabilities (default 5)",
    )  # fmt: skip
    return parser


def _folds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 2 <= value <= 20:
        raise argparse.ArgumentTypeError(f"K must be a whole number from 2 to 20, not '{text}'")
    return value


def audit_main(argv: list[str]) -> int:
    """Entry point of `audit`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = audit_parser().parse_args(argv)
    return run_command(lambda stop: _audit(args, stop), aborted="ftgui: aborted; nothing written.")


def audit_config(args: argparse.Namespace) -> tuple[RunConfig, Path]:
    """The settings to audit with and the output folder, from RUN or the flags."""
    from ftgui.core.paths import new_run_dir

    if args.run:
        if args.data_dir is not None or args.sample or args.config:
            raise UserError("Give either a RUN folder or --data/--sample/--config, not both.")
        from ftgui.core.training.resume import load_run_config

        config = load_run_config(args.run)
        for name in ("weights", "image_size", "ignore_decisions"):
            value = getattr(args, name, None)
            if value is not None:
                setattr(config, name, value)
        out = Path(args.out_dir).expanduser() if args.out_dir else Path(args.run) / AUDIT_DIR
    else:
        config = config_from_args(args)
        out = Path(args.out_dir).expanduser() if args.out_dir else new_run_dir("audit-")
    config.validate()
    return config, out


def _audit(args: argparse.Namespace, stop: threading.Event) -> int:
    from ftgui.core.audit.audit import audit_dataset
    from ftgui.core.files import check_writable_folder

    config, out = audit_config(args)
    check_writable_folder(out, "--out")
    outcome = audit_dataset(config, out, args.folds, _say, stop.is_set)
    if outcome is None:
        sys.stderr.write("ftgui: stopped; no audit written.\n")
        return EXIT_INTERRUPTED
    print("\n".join(outcome.lines()))
    return EXIT_OK


def _say(text: str) -> None:
    print(text, flush=True)
