"""The same run in the window and in the CLI, and how responsive the window stays meanwhile.

    python benchmarks/window_vs_cli.py [--size 64] [--epochs 3,3]

Both are timed from the first phase's start to the end of the run (start-up is measured by
launch_time.py). The window runs offscreen in its own process with a 10 ms QTimer heartbeat
running from Start to the end; gaps between beats beyond 10 ms are the event loop's stalls.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.measure import measured_train_command  # noqa: E402
from tests.images import make_book_dataset  # noqa: E402

WINDOW = r"""
import os, sys, time
import numpy as np
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from ftgui.core.settings.config import RunConfig
from ftgui.core.events import PhaseStarted, RunEnded
from ftgui.gui.main_window import MainWindow

data, out, size, head, finetune = sys.argv[1:6]
app = QApplication([])
config = RunConfig(data_dir=data, out_dir=out, weights="none", image_size=int(size),
                   batch_size=20, seed=7)
config.phases[0].epochs, config.phases[1].epochs = int(head), int(finetune)
window = MainWindow(config)
window.resize(1280, 800)
window.show()
window.start_preloading()
beats, marks = [], {}

def start_when_loaded():
    if window.status.device_label.text().startswith("Loading"):
        QTimer.singleShot(50, start_when_loaded)
        return
    QTimer(window, interval=10, timeout=lambda: beats.append(time.perf_counter())).start()
    window.start_training()
    window.runs.subscribe(lambda e: marks.setdefault("first", time.perf_counter()), PhaseStarted)
    window.runs.subscribe(lambda e: marks.setdefault("end", time.perf_counter()), RunEnded)
    QTimer(window, interval=100, timeout=check).start()

def check():
    if not window.is_running() and "end" in marks:
        gaps = np.diff(np.array(beats)) * 1000
        print(f"run_seconds {marks['end'] - marks['first']:.2f}")
        print(f"stall_p99_ms {np.percentile(gaps, 99):.1f}")
        print(f"stall_max_ms {gaps.max():.1f}")
        print(f"beats {len(beats)}")
        print(f"redraws {window.curves.redraws}")
        window.close()
        app.quit()

start_when_loaded()
app.exec()
"""


def cli_seconds(command: list[str]) -> float:
    """From the line announcing phase 1 to the last line of the run."""
    first = last = 0.0
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT) as process:
        for line in process.stdout:
            now = time.perf_counter()
            if line.startswith("Phase 1/"):
                first = now
            if line.startswith("Run folder:") and first:
                last = now
    return last - first


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", default="3,3")
    parser.add_argument("--train", type=int, default=200)
    parser.add_argument("--validation", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest counts")
    args = parser.parse_args()
    head, finetune = args.epochs.split(",")
    cli_runs, window_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        data = make_book_dataset(
            Path(tmp) / "data", ("cats", "dogs"), (args.train // 2, args.validation // 2, 0)
        )
        for i in range(args.repeat):
            cli_runs.append(
                cli_seconds(
                    measured_train_command(
                        data, Path(tmp) / f"cli{i}", args.size, (int(head), int(finetune))
                    )
                )
            )
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    WINDOW,
                    str(data),
                    str(Path(tmp) / f"gui{i}"),
                    str(args.size),
                    head,
                    finetune,
                ],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout
            window_runs.append(
                dict(line.split(maxsplit=1) for line in out.splitlines() if " " in line)
            )
    cli = min(cli_runs)
    window = min(window_runs, key=lambda r: float(r["run_seconds"]))
    print(
        f"{args.size} px, epochs {head}+{finetune}, fastest of {args.repeat}: CLI {cli:.2f} s, "
        f"window {window['run_seconds']} s, ratio window/CLI "
        f"×{float(window['run_seconds']) / cli:.3f}"
    )
    for run in window_runs:
        print(
            f"event-loop stall during the run: p99 {run['stall_p99_ms']} ms, worst "
            f"{run['stall_max_ms']} ms over {run['beats']} heartbeats of 10 ms; "
            f"{run['redraws']} plot redraws"
        )


if __name__ == "__main__":
    main()
