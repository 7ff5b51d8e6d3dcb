"""How responsive the window stays while it checks a large dataset folder as it is typed.

    python benchmarks/scan_heartbeat.py [--images 25000] [--repeat 3]

Makes a folder of tiny class-folder images (the same small PNG written N times), opens the
window offscreen with a 10 ms QTimer heartbeat, types the folder's path into the Dataset field
and waits for the check's answer. Gaps between beats beyond 10 ms are the event loop's stalls.
For comparison it times the same check (`find_dataset`) run directly, which is how long the
window would freeze if the check ran on the GUI thread.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BEAT_MS = 10


def make_folder(root: Path, images: int, classes: int = 2) -> Path:
    """`images` tiny PNGs spread over `classes` class folders."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    data = buffer.getvalue()
    for n in range(images):
        folder = root / f"class{n % classes}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{n:06d}.png").write_bytes(data)
    return root


def measure_window(folder: Path) -> dict[str, float]:
    """Type the folder into the window's Dataset field; heartbeat gaps until it answers."""
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ftgui.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.show()
    app.processEvents()
    panel = window.settings_panel
    beats: list[float] = []
    heartbeat = QTimer(interval=BEAT_MS, timeout=lambda: beats.append(time.perf_counter()))
    heartbeat.start()
    for _ in range(20):  # settle: a few beats before typing
        app.processEvents()
        time.sleep(0.01)
    started = time.perf_counter()
    panel.data_edit.setText(str(folder))
    panel.data_edit.textEdited.emit(str(folder))  # as typed: the check runs after a pause
    while not panel.data_reason.text().startswith("✓"):
        app.processEvents()
        time.sleep(0.001)
        if time.perf_counter() - started > 120:
            raise SystemExit(f"no answer after 120 s: {panel.data_reason.text()!r}")
    answered = time.perf_counter() - started
    settle = time.perf_counter() + 0.2  # beats after the answer close the last gap
    while time.perf_counter() < settle:
        app.processEvents()
        time.sleep(0.001)
    heartbeat.stop()
    gaps = np.diff(np.array([b for b in beats if b >= started])) * 1000
    window.close()
    return {
        "answer_seconds": answered,
        "heartbeat_p99_ms": float(np.percentile(gaps, 99)),
        "heartbeat_max_ms": float(gaps.max()),
    }


def measure_direct(folder: Path) -> float:
    from ftgui.core.data.dataset import find_dataset

    started = time.perf_counter()
    find_dataset(folder)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=25_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_folder(Path(tmp) / "data", args.images)
        print(f"folder: {args.images:,} images in 2 class folders")
        direct = min(measure_direct(folder) for _ in range(args.repeat))
        print(f"check run directly (GUI-thread freeze it would cause): {direct * 1000:.0f} ms")
        for run in range(args.repeat):
            found = measure_window(folder)
            print(
                f"window run {run + 1}: answer after {found['answer_seconds']:.2f} s "
                f"(incl. the 250 ms typing pause); heartbeat p99 "
                f"{found['heartbeat_p99_ms']:.1f} ms, worst gap {found['heartbeat_max_ms']:.1f} ms"
            )


if __name__ == "__main__":
    main()
