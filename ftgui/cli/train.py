"""`python main.py train …`: run the phases headless, one progress line per epoch."""

from __future__ import annotations

import os
import shlex
import sys
import threading
from typing import TextIO

from ftgui.cli.args import (
    OneLineParser,
    add_resume_argument,
    add_run_arguments,
    config_from_args,
    resume_config_from_args,
)
from ftgui.cli.command import EXIT_INTERRUPTED, EXIT_OK, run_command
from ftgui.core.events import (
    BatchEnded,
    EpochEnded,
    Event,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
)
from ftgui.core.files import check_writable_folder
from ftgui.core.paths import runs_dir
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.run_summary import SummaryCollector
from ftgui.core.training.time_spent import table_lines


def train_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ftgui train",
        description="Fine-tune VGG16 on a folder of images, headless (Deep Learning with Python "
        "§5.3.2): train the classifier on a frozen base, then fine-tune block5.",
        epilog="Exit status: 0 done, 2 bad input (one line on stderr), 130 interrupted (Ctrl+C "
        "stops at the end of the batch and keeps every finished epoch).",
    )
    add_run_arguments(parser)
    add_resume_argument(parser)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="at the end, print where the run's wall time went: start-up, image check, "
        "TensorFlow import, model build, frozen-layer outputs, each phase's training steps, "
        "validation and checkpoints, model saves, test split, scoring",
    )
    return parser


class ProgressPrinter:
    """Prints events: one line per epoch, plus a live batch bar when `out` is a terminal."""

    def __init__(self, out: TextIO, profile: bool = False) -> None:
        self.out = out
        self.profile = profile
        self.live = out.isatty()
        self.phases: list[str] = []
        self.collector = SummaryCollector()

    def __call__(self, event: Event) -> None:
        self.collector(event)
        if isinstance(event, Status):
            self._line(event.text)
        elif isinstance(event, RunStarted):
            self.phases = [p.name for p in event.phases]
            self._line(f"Run folder: {event.run_dir}")
            self._line(f"Device: {event.device}; data: {event.dataset}")
        elif isinstance(event, PhaseStarted):
            self._line(
                f"Phase {event.phase + 1}/{len(self.phases)} '{event.name}': "
                f"{event.epochs} epochs of {event.steps_per_epoch} batches"
            )
        elif isinstance(event, BatchEnded) and self.live:
            done = event.batch / event.steps_per_epoch
            bar = "#" * int(done * 24)
            self.out.write(
                f"\r  epoch {event.epoch + 1} [{bar:<24}] {event.batch}/"
                f"{event.steps_per_epoch} {_metrics(event.logs)}\x1b[K"
            )
            self.out.flush()
        elif isinstance(event, EpochEnded) and not event.replayed:
            self._line(
                f"  {self._phase_label(event.phase)} epoch {event.epoch + 1}/{event.epochs}"
                f"  {_metrics(event.logs)}  {event.seconds:.1f}s"
            )
        elif isinstance(event, RunEnded):
            self._run_ended(event)

    def _run_ended(self, event: RunEnded) -> None:
        """The summary: how the run ended, each phase's best epoch, the test metrics, the folder."""
        if event.stopped:
            self._line(
                f"Stopped: every finished epoch is kept; continue with "
                f"`python main.py train --resume {shlex.quote(event.run_dir)}`."
            )
        summary = self.collector.summary  # the collector has seen this RunEnded
        if summary is not None:
            for line in summary.lines() if summary.lacks_a_model() else summary.details():
                self._line(line)
        if event.model_path:
            self._line(f"Model saved: {event.model_path}")
        self._line(f"Run folder: {event.run_dir}")
        if self.profile and event.time_spent:
            self._line("Where the time went (wall clock):")
            for line in table_lines(event.time_spent):
                self._line(line)

    def _phase_label(self, index: int) -> str:
        return f"[{index + 1}/{len(self.phases)}]"

    def _line(self, text: str) -> None:
        prefix = "\r\x1b[K" if self.live else ""
        self.out.write(prefix + text + "\n")
        self.out.flush()


def _metrics(logs: dict[str, float]) -> str:
    names = (
        ("loss", "loss"),
        ("accuracy", "acc"),
        ("val_loss", "val_loss"),
        ("val_accuracy", "val_acc"),
    )
    return " ".join(f"{short} {logs[key]:.4f}" for key, short in names if key in logs)


def _check_out(config: RunConfig, resume: bool) -> None:
    """Fail in one sentence, before any image is read, when the run folder cannot be written."""
    if config.out_dir:
        check_writable_folder(config.out_dir, "--resume" if resume else "--out")
    else:  # a new time-stamped folder in the runs folder
        check_writable_folder(runs_dir(), "--out")


def train_main(argv: list[str]) -> int:
    """Entry point of `train`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = train_parser().parse_args(argv)
    profile = vars(args).pop("profile")  # how to report, not a setting of the run

    def train(stop: threading.Event) -> int:
        from ftgui.core.run.whole_run import run

        resume = args.resume is not None
        config = resume_config_from_args(args) if resume else config_from_args(args)
        _check_out(config, resume)
        printer = ProgressPrinter(sys.stdout, profile)
        ended = run(config, printer, stop, resume)
        return EXIT_INTERRUPTED if ended.stopped else EXIT_OK

    stopping = "\nStopping at the end of this batch… (Ctrl+C again to abort)\n"
    return run_command(train, stopping=stopping)
