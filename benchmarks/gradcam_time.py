"""Seconds per Grad-CAM at a run's image size, once its model is loaded.

    python benchmarks/gradcam_time.py RUN [--repeat 11]

Writes a 500×375 JPEG of noise, then times `gradcam_image` (read, resize, gradient pass, the
heatmap resized to the image) and `overlay`; prints the first call (it traces the gradient path)
and the median and worst of the rest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    import numpy as np
    from PIL import Image

    from ftgui.core.analysis.gradcam import gradcam_image, overlay
    from ftgui.core.analysis.models import load_model, read_run_info, resolve_model

    info = read_run_info(args.run)
    model = load_model(info, resolve_model(info, "final"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "noise.jpg"
        pixels = np.random.default_rng(0).integers(0, 255, (375, 500, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path)
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = gradcam_image(model, path, info.config.image_size)
            overlay(pixels, result.heatmap)
            times.append(time.perf_counter() - started)
    rest = times[1:] or times
    print(f"image size {info.config.image_size} px, overlay 500×375")
    print(
        f"first call {times[0]:.2f} s; then median {statistics.median(rest):.3f} s, "
        f"worst {max(rest):.3f} s"
    )


if __name__ == "__main__":
    main()
