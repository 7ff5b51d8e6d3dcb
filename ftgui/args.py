"""Command-line flags shared by `train` and the window, and their mapping onto a RunConfig."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from ftgui.core.data.sample import SAMPLE_DEFAULTS, apply_sample_defaults
from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.layer_plan import trainable_from
from ftgui.core.settings.vgg16 import layer_names


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports bad flags in one line on stderr and exits 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}; see --help.\n")
        sys.exit(2)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of DESIGN.md's `train` command (all default to None: "not given")."""
    data = parser.add_mutually_exclusive_group()
    data.add_argument(
        "--data",
        metavar="DIR",
        help="dataset folder: DIR/train/<class>/, DIR/validation/<class>/ "
        "[DIR/test/<class>/], or DIR/<class>/ split by --validation-split",
    )
    data.add_argument(
        "--sample",
        action="store_true",
        default=None,
        help="use the bundled sample dataset (scikit-learn's digits, no download); "
        "defaults to 32 px, {epochs_head} + {epochs_finetune} epochs, classifier "
        "learning rate {learning_rate_head:g}".format(**SAMPLE_DEFAULTS),
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="a run's config.json to start from (other flags override it)",
    )
    parser.add_argument(
        "--weights",
        metavar="imagenet|none|FILE",
        help="conv-base weights: Keras's ImageNet download (default), random "
        "initialisation, or a local .h5 / .weights.h5 file",
    )
    parser.add_argument(
        "--image-size", type=int, metavar="N", help="square image size (default 150)"
    )
    parser.add_argument("--batch-size", type=int, metavar="N", help="batch size (default 20)")
    parser.add_argument(
        "--epochs-head",
        type=int,
        metavar="N",
        help="epochs of the first phase, training the classifier (default 30)",
    )
    parser.add_argument(
        "--epochs-finetune",
        type=int,
        metavar="N",
        help="epochs of the last phase, fine-tuning (default 100)",
    )
    parser.add_argument(
        "--unfreeze-from",
        metavar="LAYER",
        help="in the last phase, train LAYER and every layer above it (default block5_conv1)",
    )
    parser.add_argument(
        "--augment",
        action="store_true",
        default=None,
        help="random rotation, shifts, shear, zoom and flips while training",
    )
    parser.add_argument(
        "--validation-split",
        type=float,
        metavar="F",
        help="share of each class held out for validation when DIR has no "
        "train/ folder (default 0.2)",
    )
    parser.add_argument("--seed", type=int, metavar="N", help="random seed (default 1337)")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="run folder to write (default: a new time-stamped folder under "
        "~/ftgui-runs or $FTGUI_RUNS_DIR)",
    )
    speed = parser.add_argument_group("speed")
    speed.add_argument(
        "--no-cache",
        dest="cache_features",
        action="store_false",
        default=None,
        help="recompute frozen layers every epoch instead of once per run",
    )
    speed.add_argument(
        "--cache-budget-mb",
        type=int,
        metavar="N",
        help="RAM for cached layer outputs before they go to disk in the run folder "
        "(default: a quarter of the available memory)",
    )
    speed.add_argument(
        "--mixed-precision",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="float16 compute with a float32 output layer (default: on with a GPU)",
    )
    speed.add_argument(
        "--xla",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compile training steps with XLA (default: on with a GPU)",
    )
    speed.add_argument(
        "--distribute",
        choices=("auto", "none", "mirrored"),
        help="auto (default): MirroredStrategy when several GPUs are visible; TF_CONFIG set "
        "selects MultiWorkerMirroredStrategy",
    )


RESUME_MAY_CHANGE = ("cache_features", "cache_budget_mb", "xla", "distribute")


def add_resume_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue a stopped or killed run from its last finished epoch, with the run's "
        "own config.json (only the speed flags --no-cache, --cache-budget-mb, --xla and "
        "--distribute may change)",
    )


def resume_config_from_args(args: argparse.Namespace) -> RunConfig:
    """The resumed run's own configuration, with any speed flags given applied."""
    from ftgui.core.training.resume import load_run_config

    changed = [
        name
        for name, value in vars(args).items()
        if value is not None and name not in (*RESUME_MAY_CHANGE, "resume")
    ]
    if changed:
        flag = "--" + changed[0].replace("_", "-")
        raise UserError(
            f"--resume continues a run with its own config.json, so {flag} cannot change it; "
            f"drop {flag}, or start a new run with --config RUN_DIR/config.json."
        )
    config = load_run_config(args.resume)
    for name in RESUME_MAY_CHANGE:
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    return config


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Start from --config (or the book's defaults), then apply every flag that was given."""
    config = RunConfig.load(args.config) if args.config else RunConfig()
    if args.sample:
        if args.config:
            config.sample, config.data_dir = True, None
        else:
            apply_sample_defaults(config)
    if args.data is not None:
        config.sample, config.data_dir = False, args.data
    simple = {
        "weights": "weights",
        "image_size": "image_size",
        "batch_size": "batch_size",
        "augment": "augment",
        "validation_split": "validation_split",
        "seed": "seed",
        "out": "out_dir",
        "cache_features": "cache_features",
        "cache_budget_mb": "cache_budget_mb",
        "mixed_precision": "mixed_precision",
        "xla": "xla",
        "distribute": "distribute",
    }
    for flag, attribute in simple.items():
        value = getattr(args, flag)
        if value is not None:
            setattr(config, attribute, value)
    if args.epochs_head is not None:
        config.phases[0].epochs = args.epochs_head
    if args.epochs_finetune is not None:
        if len(config.phases) < 2:
            raise UserError(
                "--epochs-finetune needs a configuration with a fine-tuning phase; "
                "this one has a single phase (set its epochs with --epochs-head)."
            )
        config.phases[-1].epochs = args.epochs_finetune
    if args.unfreeze_from is not None:
        chosen = trainable_from(args.unfreeze_from)
        config.phases[-1].trainable_layers = [n for n in layer_names() if n in chosen]
    return config
