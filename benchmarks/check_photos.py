"""The image check on photos as people have them: 12-megapixel JPEGs.

    python benchmarks/check_photos.py [--photos 1000] [--folder DIR] [--baseline 50]
                                      [--sizes 64,150]

Writes `--photos` 4000×3000 JPEGs (~3 MB each: gradients and noise, quality 92) into a
book-layout folder (kept in `--folder` for reuse, else a temporary one), then times ftgui's
image check alone: first with an empty verdict cache, then again (the cache); then the check
the way a run does it, decoding every photo into the run's pixels at each of `--sizes` (RAM,
no verdict cache use). `--baseline` photos are also checked the way the check worked before
(full-size decode, one file at a time) for the per-photo comparison.
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


def write_photos(root: Path, count: int) -> list[Path]:
    """`count` 12 MP JPEGs, half per class, 70/30 train/validation."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    ramp = np.linspace(0, 1, 4000, dtype=np.float32)
    paths = []
    for index in range(count):
        split = "train" if index % 10 < 7 else "validation"
        label = ("cats", "dogs")[index % 2]
        path = root / split / label / f"photo_{index:05d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tint = rng.uniform(0.2, 1.0, 3).astype(np.float32)
        base = np.outer(np.linspace(0, 1, 3000, dtype=np.float32), ramp)[..., None] * tint
        noise = rng.normal(0, 0.08, (3000, 4000, 1)).astype(np.float32)
        pixels = np.clip((base + noise) * 255, 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(path, quality=92)
    return paths


def old_check(path: str) -> None:
    """The check as it was: verify, then decode the whole image at full size."""
    from PIL import Image

    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        image.load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--baseline", type=int, default=50)
    parser.add_argument("--sizes", default="64,150")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp) / "photos"
        started = time.perf_counter()
        paths = write_photos(folder, args.photos)
        size = sum(p.stat().st_size for p in paths) / len(paths) / 2**20
        written = time.perf_counter() - started
        print(
            f"{len(paths)} photos of 4000×3000, {size:.1f} MB on average, in {folder} "
            f"({written:.0f} s to write or find); CPU cores: {os.cpu_count()}",
            flush=True,
        )
        os.environ["FTGUI_HOME"] = str(Path(tmp) / "home")  # an empty verdict cache
        from ftgui.core.data.dataset import find_dataset
        from ftgui.core.data.scan import DecodeInto, scan_dataset

        for attempt in ("first check (no cache)", "second check (cached verdicts)"):
            dataset = find_dataset(folder)
            started = time.perf_counter()
            report = scan_dataset(dataset)
            seconds = time.perf_counter() - started
            print(
                f"{attempt}: {seconds:.1f} s for {len(paths)} photos, "
                f"{1000 * seconds / len(paths):.1f} ms each; decoded {report.checked}",
                flush=True,
            )
        for size in (int(n) for n in args.sizes.split(",")):
            dataset = find_dataset(folder)
            started = time.perf_counter()
            report = scan_dataset(dataset, decode=DecodeInto(size, 2**40, Path(tmp)))
            seconds = time.perf_counter() - started
            print(
                f"check and decode at {size} px, as a run does: {seconds:.1f} s for "
                f"{len(paths)} photos, {1000 * seconds / len(paths):.1f} ms each; "
                f"{report.pixels.describe()}",
                flush=True,
            )
        chosen = [str(p) for p in paths[: args.baseline]]
        started = time.perf_counter()
        for path in chosen:
            old_check(path)
        each = (time.perf_counter() - started) / len(chosen)
        print(
            f"before (full decode, one at a time), {len(chosen)} photos: {1000 * each:.1f} ms "
            f"each, {each * len(paths):.0f} s for {len(paths)} by extrapolation"
        )


if __name__ == "__main__":
    main()
