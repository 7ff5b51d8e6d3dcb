"""How responsive the Results tab stays with many images (the timings the tests no longer assert).

    python benchmarks/gallery_responsiveness.py [--images 2000]

Offscreen: shows N evaluated PNGs in the gallery and times `show_images` (it reads no file),
then pages through all of them as each page's thumbnails arrive while a 10 ms QTimer heartbeat
runs; the worst gap between beats is the event loop's longest stall. Then times the image
detail's opacity re-blend of a 500×375 Grad-CAM overlay (worst of four moves of the slider).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    args = parser.parse_args()

    import numpy as np
    from PIL import Image
    from PySide6.QtCore import QEventLoop, QObject, QPoint, QTimer, Signal
    from PySide6.QtWidgets import QApplication

    from ftgui.core.analysis.evaluation_files import ImageResult
    from ftgui.core.analysis.gradcam import GradCam
    from ftgui.gui.results.gallery import CELL, Gallery
    from ftgui.gui.results.image_detail import ImageDetail

    app = QApplication.instance() or QApplication([])

    def spin(until, timeout_s: float) -> None:
        end = time.perf_counter() + timeout_s
        while not until() and time.perf_counter() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    with tempfile.TemporaryDirectory() as scratch:
        rng = np.random.default_rng(0)
        items = []
        for i in range(args.images):
            path = Path(scratch) / f"t{i:05d}.png"
            Image.new("RGB", (24, 16), tuple(int(v) for v in rng.integers(0, 255, 3))).save(path)
            probabilities = (0.5 + (i % 50) / 100, 0.5 - (i % 50) / 100)
            items.append(ImageResult(str(path), i % 2, 0, probabilities[0], i % 97, probabilities))
        gallery = Gallery()
        gallery.resize(1280, 900)
        gallery.show()
        spin(lambda: False, 0.1)
        started = time.perf_counter()
        gallery.show_images(items, ["a", "b"], "everything")
        call_ms = (time.perf_counter() - started) * 1000
        view, loader, model = gallery.view, gallery.loader, gallery.model
        beats = [time.perf_counter()]
        heartbeat = QTimer(interval=10, timeout=lambda: beats.append(time.perf_counter()))

        def page_when_loaded() -> None:
            viewport = view.viewport().rect()
            row = max(view.indexAt(QPoint(CELL.width() // 2, 5)).row(), 0)
            while row < len(items) and view.visualRect(model.index(row)).top() < viewport.bottom():
                if loader._cache.get(model.items[row].path) is None:
                    return
                row += 1
            bar = view.verticalScrollBar()
            bar.setValue(bar.value() + viewport.height())

        pager = QTimer(interval=20, timeout=page_when_loaded)
        heartbeat.start()
        pager.start()
        spin(lambda: loader.cached_count() == len(items), 120)
        pager.stop()
        heartbeat.stop()
        worst_gap_ms = max(np.diff(beats)) * 1000

        class Client(QObject):
            gradcam_ready = Signal(object, object)
            gradcam_failed = Signal(object, str)

            def __init__(self) -> None:
                super().__init__()
                self.requests: list[tuple] = []

            def request_gradcam(self, key: object, *rest: object) -> None:
                self.requests.append((key, *rest))

        client = Client()
        detail = ImageDetail(client)
        detail.resize(1000, 600)
        detail.show()
        big = Path(scratch) / "big.png"
        Image.fromarray(rng.integers(0, 255, (375, 500, 3), dtype=np.uint8)).save(big)
        detail.show_image(
            ImageResult(str(big), 0, 1, 0.8, 1.6, (0.2, 0.8)), ["a", "b"], "/r", "final"
        )
        spin(lambda: bool(client.requests), 5)
        heatmap = np.zeros((375, 500), np.float32)
        heatmap[:, :250] = 1.0
        cam = GradCam(heatmap, 1, 1, np.array([0.2, 0.8], np.float32))
        client.gradcam_ready.emit(client.requests[0][0], cam)
        timings = []
        for value in (90, 10, 60, 0):
            started = time.perf_counter()
            detail.opacity.setValue(value)
            timings.append((time.perf_counter() - started) * 1000)
    print(
        f"gallery of {args.images} images: show_images {call_ms:.1f} ms; paging through all "
        f"of them, worst heartbeat gap {worst_gap_ms:.1f} ms (a 10 ms timer)"
    )
    print(f"opacity re-blend of a 500×375 overlay: {max(timings):.1f} ms worst of 4")
    return 0


if __name__ == "__main__":
    sys.exit(main())
