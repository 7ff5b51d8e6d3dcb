"""Prediction throughput: `python main.py predict` against a plain Keras loop over the same files.

    python benchmarks/predict_throughput.py [--images 300] [--size 150] [--repeat 2]

Writes `--images` synthetic 500×375 JPEGs (a typical photo's size) and trains a tiny run at
`--size` px (random weights, 1 + 1 epochs, in its own process) whose `model.keras` all three
use. Measured:
- the whole command (`main.py predict RUN FOLDER` in a fresh process: start-up, TensorFlow
  import, model load, reading and predicting every image);
- ftgui's core call alone (`predict.predict_files` on the loaded model);
- the plain loop a user would write: `keras.utils.load_img` + `img_to_array` per file and
  `model.predict` per batch of 32 on the same model.
Each figure is the best of `--repeat` rounds. Also prints the largest difference between
the plain loop's probabilities and ftgui's: `load_img` resizes with nearest-neighbour, while
training (and ftgui's predictions) decode JPEGs at a reduced scale and resize bilinearly.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tests.images import make_book_dataset  # noqa: E402

BATCH = 32


def write_photos(folder: Path, count: int) -> list[str]:
    """`count` smooth-with-noise 500×375 JPEGs (they compress and decode like photos)."""
    from PIL import Image

    folder.mkdir(parents=True)
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:375, 0:500]
    for i in range(count):
        base = (np.sin(x / (20 + i % 17)) + np.cos(y / (15 + i % 11))) * 60 + 128
        pixels = base[..., None] + rng.normal(0, 12, (375, 500, 3)) + [i % 50, 0, -(i % 40)]
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        image.save(folder / f"photo_{i:04d}.jpg", quality=90)
    return sorted(str(path) for path in folder.iterdir())


def train_run(root: Path, size: int) -> Path:
    """A finished two-class run at `size` px (random weights, 1 + 1 epochs on 8 + 4 images),
    trained in its own process so that this one starts as fresh as a user's script."""
    data = make_book_dataset(root / "data", ("cats", "dogs"), (4, 2, 0))
    subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "train", "--data", str(data), "--weights",
         "none", "--image-size", str(size), "--batch-size", "4", "--epochs-head", "1",
         "--epochs-finetune", "1", "--seed", "7", "--out", str(root / "run")],
        check=True, stdout=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    return root / "run"


def best_times(repeat: int, **work: Callable[[], object]) -> dict[str, tuple[float, object]]:
    """Each job's shortest wall time over `repeat` rounds (jobs alternate, so that a busy
    machine slows them alike), with its last result."""
    best: dict[str, tuple[float, object]] = {}
    for _ in range(repeat):
        for name, job in work.items():
            started = time.perf_counter()
            result = job()
            seconds = time.perf_counter() - started
            best[name] = (min(seconds, best.get(name, (seconds,))[0]), result)
    return best


def plain_loop(model: object, files: list[str], size: int) -> np.ndarray:
    """What a user would write: load, convert and predict batch by batch."""
    import keras

    outputs = []
    for start in range(0, len(files), BATCH):
        batch = np.stack(
            [
                keras.utils.img_to_array(keras.utils.load_img(path, target_size=(size, size)))
                for path in files[start : start + BATCH]
            ]
        )
        outputs.append(model.predict(batch, verbose=0))
    return np.concatenate(outputs)[:, 0]


def whole_command(run_dir: Path, folder: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "predict", str(run_dir), str(folder)],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--size", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        os.environ["FTGUI_HOME"] = str(root / "home")
        files = write_photos(root / "photos", args.images)
        run_dir = train_run(root, args.size)

        import keras

        from ftgui.core.analysis.predict import predict_files

        model = keras.saving.load_model(run_dir / "model.keras")
        best = best_times(
            args.repeat,
            core=lambda: predict_files(model, files, args.size, BATCH),
            plain=lambda: plain_loop(model, files, args.size),
            command=lambda: whole_command(run_dir, root / "photos"),
        )
    (core_s, (predictions, _)), (plain_s, plain), (command_s, _) = best.values()

    n = args.images
    ours = np.array([p.probabilities[1] for p in predictions])
    print(f"images {n} ({args.size} px, from 500x375 JPEGs), batch {BATCH}, {os.cpu_count()} CPUs")
    print(f"plain_keras_loop   {n / plain_s:7.1f} images/s  ({plain_s:.2f} s)")
    print(
        f"ftgui_core_call    {n / core_s:7.1f} images/s  ({core_s:.2f} s)  ×{plain_s / core_s:.2f}"
    )
    print(
        f"ftgui_command      {n / command_s:7.1f} images/s  ({command_s:.2f} s, whole process)  "
        f"×{plain_s / command_s:.2f}"
    )
    print(f"max |p_plain - p_ftgui| {np.max(np.abs(plain - ours)):.2e} (load_img resizes nearest)")


if __name__ == "__main__":
    main()
