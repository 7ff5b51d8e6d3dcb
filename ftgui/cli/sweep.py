"""`python main.py sweep … --vary FLAG=V1,V2 …`: many trials of the recipe in one process."""

from __future__ import annotations

import argparse
import copy
import os
import sys
import threading
from pathlib import Path
from typing import NoReturn, TextIO

from ftgui.cli.args import OneLineParser, add_run_arguments, config_from_args
from ftgui.cli.command import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, run_command
from ftgui.core.errors import UserError
from ftgui.core.events import EpochEnded, Event, Status, TrialEnded, TrialStarted
from ftgui.core.files import check_writable_folder
from ftgui.core.paths import new_run_dir
from ftgui.core.settings.config import RunConfig
from ftgui.core.sweep.plan import SEARCHES, Vary, draw_trials, parse_vary
from ftgui.core.sweep.record import SWEEP_FILE, SweepRecord, Trial, ranked

SWEEP_ONLY = ("vary", "search", "trials", "halving", "resume")
NOT_VARIED = {"data", "sample", "config", "out", "help"}  # what a trial cannot differ in
TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def sweep_parser(kind: type[OneLineParser] = OneLineParser) -> OneLineParser:
    parser = kind(
        prog="ftgui sweep",
        description="Train several variants of the recipe in one process: one TensorFlow "
        "import, one image check, the frozen-layer outputs computed once, and the epochs "
        "trials have in common trained once. Every train flag sets what the trials share.",
        epilog="Exit status: 0 when at least one trial finished, 2 bad input or no trial "
        "finished (one line on stderr), 130 interrupted (Ctrl+C stops at the end of the "
        "batch; continue with --resume SWEEP).",
    )
    add_run_arguments(parser)
    sweep = parser.add_argument_group("sweep")
    sweep.add_argument(
        "--vary",
        action="append",
        metavar="FLAG=V1,V2",
        help="a train flag without its dashes and its values, e.g. lr-finetune=1e-5,1e-4 or "
        "unfreeze-from=block5_conv1,block5_conv3; with --search random also a range, "
        "dropout=0.2..0.6 or lr-finetune=log:1e-6..1e-3 (repeat --vary for more flags)",
    )
    sweep.add_argument(
        "--search",
        choices=SEARCHES,
        help="grid: every combination (default); random: --trials N combinations drawn with --seed",
    )
    sweep.add_argument("--trials", type=int, metavar="N", help="trials of a random search")
    sweep.add_argument(
        "--halving",
        action="store_true",
        help="successive halving on validation loss: at the end of each phase before the last "
        "and at rungs of the last phase (E/3, E/9, … of its epochs) only the best third go on",
    )
    sweep.add_argument(
        "--resume",
        metavar="SWEEP",
        help="continue a stopped sweep: finished trials stay, the interrupted one continues "
        "from its checkpoint, the rest run",
    )
    return parser


def _flag_actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The train flags a sweep may vary, by name without dashes."""
    actions = {}
    for action in parser._actions:
        for option in action.option_strings:
            name = option.removeprefix("--")
            if option.startswith("--") and name not in NOT_VARIED and action.dest not in SWEEP_ONLY:
                actions[name] = action
    return actions


def _set_value(
    parser: OneLineParser, base: argparse.Namespace, action: argparse.Action, flag: str, text: str
) -> argparse.Namespace:
    """`base` with `--flag text` applied, parsed and checked as `train` parses it."""
    if action.nargs == 0:  # a switch: true or false
        lowered = text.lower()
        if lowered not in TRUE + FALSE:
            parser.error(f"argument --vary {flag}: a switch takes true or false, not {text!r}")
        result = copy.copy(base)
        setattr(result, action.dest, lowered in TRUE)
        return result
    return parser.parse_args([f"--{flag}", text], namespace=copy.copy(base))


def _trial_configs(
    parser: OneLineParser, args: argparse.Namespace, varies: list[Vary]
) -> list[tuple[dict[str, str], RunConfig]]:
    """Each trial's values and whole configuration, every value checked before any training."""
    actions = _flag_actions(parser)
    for vary in varies:
        action = actions.get(vary.flag)
        if action is None:
            raise UserError(
                f"--vary {vary.flag}: not a train flag a sweep can vary; use one of "
                f"{', '.join(sorted(actions))}."
            )
        if vary.range is not None and action.type not in (int, float):
            raise UserError(f"--vary {vary.flag}= takes listed values, not a range.")
        for value in vary.values:  # bad values fail before anything is drawn or trained
            _set_value(parser, args, action, vary.flag, value)
    base = config_from_args(args)
    integer = {v.flag for v in varies if actions[v.flag].type is int}
    drawn = draw_trials(varies, args.search or "grid", args.trials, base.seed, integer)
    trials = []
    for values in drawn:
        namespace = args
        for flag, text in values.items():
            namespace = _set_value(parser, namespace, actions[flag], flag, text)
        config = config_from_args(namespace)
        config.validate()
        trials.append((values, config))
    return trials


class _RaisingParser(OneLineParser):
    """The sweep's parser for the window: a bad flag or value is a UserError, not an exit."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message}.")


def plan_sweep(argv: list[str]) -> SweepRecord:
    """A new sweep's record from `sweep` arguments (train flags and --vary, --search,
    --trials, --halving; no --out or --resume), every trial checked; UserError on bad input.
    The window builds its sweeps with this, so they are the CLI's."""
    parser = sweep_parser(_RaisingParser)
    args = parser.parse_args(argv)
    if args.out_dir or args.resume:
        raise UserError("plan_sweep takes no --out or --resume; the caller chooses the folder.")
    return _new_record(parser, args)


def _new_record(parser: OneLineParser, args: argparse.Namespace) -> SweepRecord:
    if not args.vary:
        raise UserError("A sweep needs at least one --vary FLAG=V1,V2 (see sweep --help).")
    varies = [parse_vary(text) for text in args.vary]
    trials = _trial_configs(parser, args, varies)
    base = config_from_args(args)
    base.validate()
    from ftgui.core.data.sample import resolve_dataset

    resolve_dataset(base)  # a missing or empty folder is one sentence now, not n failed trials
    width = max(2, len(str(len(trials))))
    records = []
    for number, (values, config) in enumerate(trials, 1):
        config.out_dir = None  # the trial's folder lives in the sweep, wherever it moves
        records.append(Trial(number, values, f"trial-{number:0{width}d}", config.to_dict()))
    base.out_dir = None
    return SweepRecord(
        base.to_dict(),
        [v.to_dict() for v in varies],
        args.search or "grid",
        args.halving,
        records,
        args.trials,
    )


class SweepPrinter:
    """Prints a sweep's progress: each trial's start and end, epochs, status lines."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.trial = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, TrialStarted):
            self.trial = event.trial
            values = ", ".join(f"{k}={v}" for k, v in event.values.items())
            self._line(f"Trial {event.trial}/{event.trials} ({values}) to run epoch {event.until}")
        elif isinstance(event, EpochEnded) and not event.replayed:
            logs = " ".join(f"{k} {v:.4f}" for k, v in event.logs.items())
            self._line(
                f"  [trial {self.trial}] phase {event.phase + 1} epoch "
                f"{event.epoch + 1}/{event.epochs}  {logs}  {event.seconds:.1f}s"
            )
        elif isinstance(event, Status) and not event.text.startswith("Evaluating "):
            self._line(f"  {event.text}")
        elif isinstance(event, TrialEnded):
            why = f": {event.error}" if event.error else ""
            self._line(f"Trial {event.trial} {event.status}{why}")

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def _print_ranking(record: SweepRecord, folder: Path, out: TextIO) -> None:
    rows = ranked(record, folder)
    flags = record.flags
    out.write("Trials by best validation loss:\n")
    header = ["trial", "status", *flags, "best_val_loss", "best_val_accuracy", "test_accuracy"]
    table = [header] + [
        [str(t.number), t.status, *(t.values[f] for f in flags), r["best_val_loss"],
         r["best_val_accuracy"], r["test_accuracy"] or "-"]
        for t, r in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        out.write(
            "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + "\n"
        )
    failed = [t for t in record.trials if t.error]
    for trial in failed:
        out.write(f"Trial {trial.number} failed: {trial.error}\n")
    done = [(t, r) for t, r in rows if t.status == "done"]
    if done:
        out.write(f"Best trial: {done[0][0].number} → {folder / done[0][0].run}\n")
    out.write(f"Files: {folder / 'trials.csv'}, {folder / SWEEP_FILE}\n")


def sweep_main(argv: list[str]) -> int:
    """Entry point of `sweep`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = sweep_parser()
    args = parser.parse_args(argv)

    def body(stop: threading.Event) -> int:
        if args.resume:
            given = [a for a in argv if a.startswith("--") and a.split("=")[0] != "--resume"]
            if given:
                raise UserError(
                    f"--resume continues a sweep with its own settings, so {given[0]} cannot "
                    "change them; drop it."
                )
            folder = Path(args.resume).expanduser()
            record = SweepRecord.load(folder)
        else:
            folder = Path(args.out_dir).expanduser() if args.out_dir else new_run_dir("sweep-")
            args.out_dir = None
            if (folder / SWEEP_FILE).exists():
                raise UserError(
                    f"{folder} already holds a sweep; continue it with --resume {folder} or "
                    "choose another --out."
                )
            record = _new_record(parser, args)
            check_writable_folder(str(folder), "--out")
            folder.mkdir(parents=True, exist_ok=True)
            record.save(folder)
        sys.stdout.write(f"Sweep folder: {folder} ({len(record.trials)} trials)\n")
        from ftgui.core.sweep.engine import SweepRun  # TensorFlow loads from here on

        SweepRun(folder, record, SweepPrinter(sys.stdout), stop).run()
        _print_ranking(record, folder, sys.stdout)
        if stop.is_set():
            sys.stdout.write(f"Stopped; continue with `python main.py sweep --resume {folder}`.\n")
            return EXIT_INTERRUPTED
        if not any(t.status == "done" for t in record.trials):
            sys.stderr.write("ftgui: error: no trial finished; see each trial's error above.\n")
            return EXIT_BAD_INPUT
        return EXIT_OK

    stopping = "\nStopping at the end of this batch… (Ctrl+C again to abort)\n"
    try:
        return run_command(body, stopping=stopping)
    except SystemExit as exc:  # a bad --vary value, reported by the parser as train does
        return int(exc.code or 0)
