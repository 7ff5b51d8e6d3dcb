"""`python main.py lr-find (--data DIR | --sample | --config FILE) [train flags] [--phase N]
[--out CSV]`: the learning-rate range test of one phase.

stdout: the curve as CSV (`lr,loss,smoothed_loss`), then one line per suggestion,
`suggestion<TAB>name<TAB>lr`; progress goes to stderr.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from ftgui.cli.args import OneLineParser, add_run_arguments, config_from_args
from ftgui.cli.command import EXIT_INTERRUPTED, EXIT_OK, run_command
from ftgui.core.events import EpochEnded, Event, PhaseStarted, Status
from ftgui.core.files import check_writable_file
from ftgui.core.training.lr_range import END_LR, MAX_STEPS, START_LR


def lr_find_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ftgui lr-find",
        description=f"Find a learning rate for one phase (fastai's range test): from the "
        f"phase's starting state (the phases before it trained as configured), one step per "
        f"batch with the rate growing exponentially from {START_LR:g} to {END_LR:g} over at "
        f"most {MAX_STEPS} steps, stopping when the smoothed loss passes 4× its minimum. "
        "Runs on the cached frozen-layer outputs whenever the phase can. Prints the curve as "
        "CSV (lr,loss,smoothed_loss) and the suggestions valley, minimum/10 and steepest as "
        "lines 'suggestion<TAB>name<TAB>lr'. Writes no run folder.",
        epilog="The finder depends on the seed and the batch: treat its suggestions as a "
        "range to try (a sweep), not an answer. Exit status: 0 done, 2 bad input (one line "
        "on stderr), 130 interrupted.",
    )
    add_run_arguments(parser, leave_out=("out_dir",))
    parser.add_argument(
        "--phase", type=int, default=1, metavar="N", help="the phase to test, 1-based (default 1)"
    )
    parser.add_argument("--out", metavar="CSV", help="also write the curve to this CSV file")
    return parser


def _progress(event: Event) -> None:
    """Status lines and the earlier phases' epochs, on stderr."""
    if isinstance(event, Status):
        text = event.text
    elif isinstance(event, PhaseStarted):
        text = f"Phase {event.phase + 1} '{event.name}': {event.epochs} epochs"
    elif isinstance(event, EpochEnded) and not event.replayed:
        text = f"  epoch {event.epoch + 1}/{event.epochs} loss {event.logs.get('loss', 0):.4f}"
    else:
        return
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def lr_find_main(argv: list[str]) -> int:
    """Entry point of `lr-find`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = lr_find_parser().parse_args(argv)
    phase, out = vars(args).pop("phase"), vars(args).pop("out")
    args.out_dir = None

    def find(stop: threading.Event) -> int:
        from ftgui.core.run.lr_find import find_learning_rate

        config = config_from_args(args)
        if out:
            check_writable_file(out, "--out")
        finding = find_learning_rate(config, phase, _progress, stop)
        if finding is None:
            sys.stderr.write("ftgui: stopped; nothing written.\n")
            return EXIT_INTERRUPTED
        curve = finding.curve
        if out:
            curve.write_csv(Path(out).expanduser())
        curve.write_table(sys.stdout, line_end="\n")
        for name, lr in finding.suggestions.items():
            print(f"suggestion\t{name}\t{lr:.3g}")
        where = "cached frozen-layer outputs" if finding.on_cached_outputs else "the images"
        sys.stderr.write(
            f"Range test of phase {phase} '{finding.phase_name}': {len(curve.lrs)} steps on "
            f"{where} in {finding.seconds:.1f} s (configured rate {finding.learning_rate:g}).\n"
        )
        return EXIT_OK

    return run_command(find, aborted="ftgui: aborted; nothing written.")
