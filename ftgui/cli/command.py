"""What every sub-command shares: exit statuses, one-line errors, Ctrl+C that stops cleanly."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable

from ftgui.core.errors import UserError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
STOPPING = "\nStopping after this batch… (Ctrl+C again to abort)\n"


def run_command(
    body: Callable[[threading.Event], int],
    aborted: str = "ftgui: aborted.",
    stopping: str | None = STOPPING,
) -> int:
    """Run a sub-command's `body(stop)` and return its exit status.

    Bad input (a UserError) is one line on stderr and exit 2; Ctrl+C exits 130 — with
    `stopping`, the first Ctrl+C only sets `stop` (which the body checks between batches) and
    prints that text, a second aborts; anything unexpected is one line and exit 1
    (FTGUI_DEBUG=1 prints the traceback).
    """
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: object) -> None:
        if stop.is_set() or stopping is None:  # a second Ctrl+C aborts at once
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        stop.set()
        sys.stderr.write(stopping)

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        return body(stop)
    except UserError as exc:
        sys.stderr.write(f"ftgui: error: {exc}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write(aborted + "\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("FTGUI_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(
            f"ftgui: unexpected error: {type(exc).__name__}: {exc} "
            f"(set FTGUI_DEBUG=1 for the traceback)\n"
        )
        return EXIT_FAILED
    finally:
        signal.signal(signal.SIGINT, previous)


MODEL_HELP = (
    "final (model.keras, the default), best (the last phase's best model), a best file's stem "
    "such as best_1_train-classifier, or a .keras file of this run's architecture"
)


def add_run_and_model_arguments(parser: argparse.ArgumentParser, model_note: str = "") -> None:
    """The RUN argument and --model, as every command on a finished run takes them."""
    parser.add_argument("run", metavar="RUN", help="a run folder (holds config.json)")
    parser.add_argument(
        "--model", default="final", metavar="final|best|FILE", help=MODEL_HELP + model_note
    )
