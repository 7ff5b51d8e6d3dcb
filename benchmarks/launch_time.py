"""Time from `python main.py` to the window on screen (and how long until TensorFlow is ready).

    python benchmarks/launch_time.py [runs] [--cold]

Each run starts a fresh interpreter running ftgui's real launch path; the clock starts before the
process is spawned and stops at the first event-loop turn after `window.show()`. Then, measured
from outside: `python main.py` itself, until `xdotool` finds its window mapped and viewable
(polled every 30 ms), warm and, with `--cold` (root only), after dropping the page cache.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

def exec_and_time(*_):
    def shown():
        window = next(w for w in QApplication.topLevelWidgets() if w.isVisible())
        print(f"visible {time.time() - float(os.environ['T0']):.3f}", flush=True)
        label = window.status.device_label
        def ready():
            if label.text() != "Loading TensorFlow…":
                print(f"tensorflow {time.time() - float(os.environ['T0']):.3f}", flush=True)
                window.close()
            else:
                QTimer.singleShot(20, ready)
        ready()
    QTimer.singleShot(0, shown)
    return ORIGINAL_EXEC()

ORIGINAL_EXEC = QApplication.exec
QApplication.exec = exec_and_time
sys.argv = ["main.py"]
from ftgui.app import main
main([])
"""


def one_run() -> tuple[float, float]:
    env = {**os.environ, "T0": repr(time.time())}
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    values = dict(
        line.split() for line in out.splitlines() if line.split()[0] in ("visible", "tensorflow")
    )
    return float(values["visible"]), float(values["tensorflow"])


def outside_run(cold: bool) -> float:
    """Seconds from spawning `python main.py` to its window being viewable on the X display."""
    if cold:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < 60:
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", "^ftgui"],
                capture_output=True,
                text=True,
            )
            if found.stdout.strip():
                return time.perf_counter() - started
            time.sleep(0.03)
        raise SystemExit("no ftgui window appeared within 60 s")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5
    one_run()  # warm the file cache
    results = [one_run() for _ in range(runs)]
    visible = [r[0] for r in results]
    ready = [r[1] for r in results]
    print(
        f"launch to visible window: median {statistics.median(visible):.2f} s, "
        f"worst {max(visible):.2f} s over {runs} runs (target < 1.5 s)"
    )
    print(f"launch to TensorFlow loaded in the background: median {statistics.median(ready):.2f} s")
    warm = [outside_run(cold=False) for _ in range(runs)]
    print(
        f"from outside, `python main.py` to its window viewable (warm): median "
        f"{statistics.median(warm):.2f} s, worst {max(warm):.2f} s over {runs} runs"
    )
    if "--cold" in sys.argv:
        cold = [outside_run(cold=True) for _ in range(runs)]
        print(
            f"from outside, after dropping the page cache: median {statistics.median(cold):.2f} s, "
            f"worst {max(cold):.2f} s over {runs} runs"
        )


if __name__ == "__main__":
    main()
