"""What decoding JPEGs at a reduced DCT scale costs in pixels and accuracy, and what it saves.

    python benchmarks/decode_scale.py [--size 64] [--images 60,30,20] [--seeds 1,2] [--folder DIR]

Writes photos of scikit-learn's handwritten 3s and 8s: each digit drawn large on a 4000×3000
noisy, tinted background and saved as a JPEG (quality 90, ~3 MB), `--images` per class for
train, validation and test. Then, at `--size`, with ftgui's decoder (`pixels.decode_pixels`)
at the reduced scale and at full size: the time to decode a photo, how far the two decodes'
pixels are apart, and a whole training run (`--weights none`, 3 + 10 epochs, batch 20) per
seed with each decoder: the final validation and test accuracy and the run's wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DIGITS = (3, 8)


def write_digit_photos(root: Path, per_class: tuple[int, int, int]) -> list[Path]:
    """Book-layout 12 MP JPEGs of two digit classes (kept in `root` for reuse)."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(11)
    paths = []
    for digit in DIGITS:
        indices = np.flatnonzero(digits.target == digit)
        start = 0
        for split, count in zip(("train", "validation", "test"), per_class, strict=True):
            for index in indices[start : start + count]:
                path = root / split / f"digit_{digit}" / f"photo_{index:04d}.jpg"
                paths.append(path)
                if path.exists():
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                glyph = Image.fromarray((digits.images[index] * 15).astype(np.uint8))
                glyph = np.asarray(glyph.resize((2400, 2400), Image.Resampling.BICUBIC))
                tint = rng.uniform(0.3, 1.0, 3).astype(np.float32)
                noise = rng.normal(0, 12, (3000, 4000, 1)).astype(np.float32)
                canvas = np.full((3000, 4000, 3), 40, np.float32) * tint + noise
                top, left = rng.integers(0, 600), rng.integers(0, 1600)
                canvas[top : top + 2400, left : left + 2400] += glyph[..., None] * tint
                Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).save(path, quality=90)
            start += count
    return paths


def decode_comparison(paths: list[Path], size: int) -> None:
    """Per-photo decode time and pixel distance, reduced scale against full size."""
    import numpy as np

    from ftgui.core.data import pixels

    timings: dict[bool, list[float]] = {True: [], False: []}
    differences = []
    for path in paths[:40]:
        decoded = {}
        for reduced in (True, False):
            pixels.REDUCED_SCALE = reduced
            started = time.perf_counter()
            decoded[reduced] = pixels.decode_pixels(str(path), size).astype(np.float32)
            timings[reduced].append(time.perf_counter() - started)
        differences.append(np.abs(decoded[True] - decoded[False]))
    pixels.REDUCED_SCALE = True
    reduced, full = (statistics.median(timings[k]) * 1000 for k in (True, False))
    every = np.stack(differences)
    print(
        f"decode one photo at {size} px: reduced scale {reduced:.1f} ms, full size {full:.1f} ms "
        f"(×{full / reduced:.1f}); pixels apart: mean {every.mean():.2f}, 99th percentile "
        f"{np.percentile(every, 99):.1f}, max {every.max():.0f} (of 255)",
        flush=True,
    )


def train_once(data: Path, out: Path, size: int, seed: int, reduced: bool) -> tuple[float, ...]:
    """(final val accuracy, test accuracy, wall seconds) of one run with the chosen decoder."""
    from ftgui.core.data import pixels
    from ftgui.core.run.whole_run import run
    from ftgui.core.settings.config import RunConfig
    from ftgui.core.training.run_folder import read_history

    pixels.REDUCED_SCALE = reduced
    config = RunConfig(
        data_dir=str(data), out_dir=str(out), weights="none", image_size=size, batch_size=20
    )
    config.seed = seed
    config.phases[0].epochs, config.phases[1].epochs = 3, 10
    started = time.perf_counter()
    ended = run(config, lambda event: None)
    seconds = time.perf_counter() - started
    pixels.REDUCED_SCALE = True
    val = float(read_history(out)[-1]["val_accuracy"])
    return val, float((ended.test_metrics or {}).get("accuracy", float("nan"))), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--images", default="60,30,20")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    per_class = tuple(int(n) for n in args.images.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FTGUI_HOME"] = str(Path(tmp) / "home")
        folder = args.folder or Path(tmp) / "digit_photos"
        paths = write_digit_photos(folder, per_class)
        print(f"{len(paths)} digit photos of 4000×3000 in {folder}; cores: {os.cpu_count()}")
        decode_comparison(paths, args.size)
        print("seed  decoder        final val acc  test acc  run time")
        for seed in (int(s) for s in args.seeds.split(",")):
            for reduced in (True, False):
                name = "reduced scale" if reduced else "full size"
                out = Path(tmp) / f"run_{seed}_{name.replace(' ', '_')}"
                val, test, seconds = train_once(folder, out, args.size, seed, reduced)
                print(f"{seed:<5} {name:<14} {val:<14.3f} {test:<9.3f} {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
