"""The same run in the window and in the CLI, and how responsive the window stays meanwhile.

    python benchmarks/window_vs_cli.py [--size 64] [--epochs 3,3]

The window runs offscreen in its own process with a 10 ms QTimer heartbeat; the gaps between
beats beyond 10 ms are the event loop's stalls. Run times are from Start to the worker's end.
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

from tests.images import make_book_dataset  # noqa: E402

WINDOW = r"""
import os, sys, time
import numpy as np
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from ftgui.core.config import RunConfig
from ftgui.gui.main_window import MainWindow

data, out, size, head, finetune = sys.argv[1:6]
app = QApplication([])
config = RunConfig(data_dir=data, out_dir=out, weights="none", image_size=int(size),
                   batch_size=20, seed=7)
config.phases[0].epochs, config.phases[1].epochs = int(head), int(finetune)
window = MainWindow(config)
window.resize(1280, 800)
window.show()
beats = []
heartbeat = QTimer(interval=10, timeout=lambda: beats.append(time.perf_counter()))
heartbeat.start()
started = time.perf_counter()
window.start_training()

def check():
    if not window.is_running():
        elapsed = time.perf_counter() - started
        gaps = np.diff(np.array(beats)) * 1000
        print(f"run_seconds {elapsed:.2f}")
        print(f"stall_p99_ms {np.percentile(gaps, 99):.1f}")
        print(f"stall_max_ms {gaps.max():.1f}")
        print(f"beats {len(beats)}")
        print(f"redraws {window.curves.redraws}")
        app.quit()

QTimer(window, interval=100, timeout=check).start()
app.exec()
"""


def run(args: list[str]) -> dict[str, str]:
    out = subprocess.run(args, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return dict(line.split(maxsplit=1) for line in out.splitlines() if " " in line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", default="3,3")
    parser.add_argument("--train", type=int, default=200)
    parser.add_argument("--validation", type=int, default=80)
    args = parser.parse_args()
    head, finetune = args.epochs.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        data = make_book_dataset(
            Path(tmp) / "data", ("cats", "dogs"), (args.train // 2, args.validation // 2, 0)
        )
        started = time.perf_counter()
        cli = run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "measure.py"),
                str(ROOT / "main.py"),
                "train",
                "--data",
                str(data),
                "--weights",
                "none",
                "--image-size",
                str(args.size),
                "--batch-size",
                "20",
                "--epochs-head",
                head,
                "--epochs-finetune",
                finetune,
                "--seed",
                "7",
                "--out",
                str(Path(tmp) / "cli"),
            ]
        )
        cli_total = time.perf_counter() - started
        window = run(
            [
                sys.executable,
                "-c",
                WINDOW,
                str(data),
                str(Path(tmp) / "gui"),
                str(args.size),
                head,
                finetune,
            ]
        )
    cli_seconds = float(cli["wall_seconds"])
    print(
        f"{args.size} px, epochs {head}+{finetune}: CLI {cli_seconds:.1f} s in-process "
        f"({cli_total:.1f} s with interpreter start), window {window['run_seconds']} s from "
        f"Start, ratio window/CLI ×{float(window['run_seconds']) / cli_seconds:.3f}"
    )
    print(
        f"event-loop stall during the run: p99 {window['stall_p99_ms']} ms, worst "
        f"{window['stall_max_ms']} ms over {window['beats']} heartbeats of 10 ms; "
        f"{window['redraws']} plot redraws"
    )


if __name__ == "__main__":
    main()
