"""`python main.py report RUN [--out FILE.html]`: the run as one self-contained HTML file."""

from __future__ import annotations

import os
import sys
import threading

from ftgui.cli.args import OneLineParser
from ftgui.cli.command import EXIT_INTERRUPTED, EXIT_OK, run_command


def report_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ftgui report",
        description="Write a run as one HTML file that opens anywhere offline (nothing is "
        "fetched; figures are inline SVG, images inline): summary, settings and the command "
        "that reproduces the run, curves with phase bands, per-class scores and confusion "
        "matrix, the 12 hardest test images with Grad-CAM, the reliability diagram, the "
        "dataset report and audit, environment, time, and the model's limits.",
        epilog="Exit status: 0 done, 2 bad input (one line on stderr), 130 interrupted.",
    )
    parser.add_argument("run", metavar="RUN", help="a run folder (holds config.json)")
    parser.add_argument(
        "--out", metavar="FILE.html", help="where to write it (default RUN/report.html)"
    )
    return parser


def report_main(argv: list[str]) -> int:
    """Entry point of `report`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = report_parser().parse_args(argv)
    return run_command(
        lambda stop: _report(args.run, args.out, stop), aborted="ftgui: aborted; nothing written."
    )


def _report(run: str, out: str | None, stop: threading.Event) -> int:
    from ftgui.core.report import write_report

    path = write_report(run, out, _say, stop.is_set)
    if path is None:
        sys.stderr.write("ftgui: stopped; no report written.\n")
        return EXIT_INTERRUPTED
    print(f"Wrote {path} ({path.stat().st_size / 1e3:.0f} kB)")
    return EXIT_OK


def _say(text: str) -> None:
    print(text, flush=True)
