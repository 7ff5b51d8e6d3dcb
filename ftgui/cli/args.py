"""Command-line flags shared by `train` and the window, and their mapping onto a RunConfig.

The flags of the settings come from the tables in `ftgui.core.settings.fields`."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from ftgui.core.data.sample import SAMPLE_DEFAULTS, apply_sample_defaults
from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig, apply_last_phase_setting, book_phases
from ftgui.core.settings.fields import (
    LAST_PHASE_SETTINGS,
    RUN_SETTINGS,
    SPEED,
    Setting,
)
from ftgui.core.settings.flag_values import phase_flags as _phase_flags

DATA_SOURCES = ("data_dir", "sample")  # one or the other
RESUME_MAY_CHANGE = ("cache_features", "cache_budget_mb", "xla", "distribute")
SAMPLE_HELP = (
    "; defaults to {image_size} px, {epochs_head} + {epochs_finetune} epochs, classifier "
    "learning rate {learning_rate_head:g}".format(**SAMPLE_DEFAULTS)
)


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports bad flags in one line on stderr and exits 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}; see --help.\n")
        sys.exit(2)


def add_run_arguments(parser: argparse.ArgumentParser, leave_out: tuple[str, ...] = ()) -> None:
    """The flags of the `train` command (all default to None: "not given"), but the settings
    named in `leave_out` (a command that gives their flag another meaning)."""
    data = parser.add_mutually_exclusive_group()
    for setting in RUN_SETTINGS:
        if setting.name in DATA_SOURCES:
            _add_setting_flag(data, setting)
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="a run's config.json to start from (other flags override it)",
    )
    for setting in RUN_SETTINGS:
        own = setting.name not in DATA_SOURCES and setting.name not in leave_out
        if setting.flag and own and setting.section != SPEED:
            _add_setting_flag(parser, setting)
    _add_phase_flags(parser)
    for setting in LAST_PHASE_SETTINGS:
        _add_setting_flag(parser, setting)
    speed = parser.add_argument_group(SPEED)
    for setting in RUN_SETTINGS:
        if setting.flag and setting.section == SPEED:
            _add_setting_flag(speed, setting)


def _add_setting_flag(group: Any, setting: Setting) -> None:
    """One flag of a run-wide setting; its value lands in `args.<setting.name>`."""
    options: dict[str, Any] = {"dest": setting.name, "default": None}
    if setting.kind is bool and setting.optional:
        options["action"] = argparse.BooleanOptionalAction
    elif setting.kind is bool:
        options["action"] = "store_false" if setting.default else "store_true"
    elif setting.choices:
        options["choices"] = setting.choices
    else:
        options["metavar"] = setting.metavar
        if setting.kind in (int, float):
            options["type"] = setting.kind
    text = setting.help_with_default() + (SAMPLE_HELP if setting.name == "sample" else "")
    group.add_argument(setting.flag, help=text, **options)


def _add_phase_flags(parser: argparse.ArgumentParser) -> None:
    book = book_phases()
    for flag, dest, setting, index, where in _phase_flags():
        default = getattr(book[index], setting.name)
        parser.add_argument(
            flag,
            dest=dest,
            type=setting.kind,
            metavar=setting.metavar,
            help=f"{setting.label} of {where} (default {default:g})",
        )


def _flag_of(dest: str) -> str:
    """The command-line spelling of the flag whose value is `args.<dest>`."""
    flags = {s.name: s.flag for s in (*RUN_SETTINGS, *LAST_PHASE_SETTINGS) if s.flag}
    flags.update({d: flag for flag, d, *_ in _phase_flags()})
    return flags.get(dest) or "--" + dest.replace("_", "-")


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
        flag = _flag_of(changed[0])
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
    """Start from --config (or the book's defaults), then apply every flag that was given.

    Values are range-checked once, by `RunConfig.validate`, except the last phase's settings
    (--unfreeze-from): their layer names are checked here, where they enter."""
    config = RunConfig.load(args.config) if args.config else RunConfig()
    if args.sample:
        if args.config:
            config.sample, config.data_dir = True, None
        else:
            apply_sample_defaults(config)
    if args.data_dir is not None:
        config.sample, config.data_dir = False, args.data_dir
    for setting in RUN_SETTINGS:
        value = getattr(args, setting.name, None)
        if setting.name not in DATA_SOURCES and value is not None:
            setattr(config, setting.name, value)
    _apply_phase_flags(args, config)
    for setting in LAST_PHASE_SETTINGS:
        value = getattr(args, setting.name)
        if value is not None:
            apply_last_phase_setting(config, setting.name, value)
    return config


def _apply_phase_flags(args: argparse.Namespace, config: RunConfig) -> None:
    """`--STEM-head` sets the first phase, `--STEM-finetune` the last (it needs two phases)."""
    for flag, dest, setting, index, _ in _phase_flags():
        value = getattr(args, dest)
        if value is None:
            continue
        if index != 0 and len(config.phases) < 2:
            head = flag.rsplit("-", 1)[0] + "-head"
            raise UserError(
                f"{flag} needs a configuration with a fine-tuning phase; this one has a single "
                f"phase (set its {setting.label} with {head})."
            )
        setattr(config.phases[index], setting.name, value)
