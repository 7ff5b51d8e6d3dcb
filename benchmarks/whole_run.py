"""The whole run as a user waits for it: `python main.py train` against a plain Keras script.

    python benchmarks/whole_run.py [--size 64] [--epochs 3,10] [--images 100,40,30]
                                   [--variants plain,ftgui] [--repeat 2] [--data DIR]

Each variant runs as a fresh process from the shell, timed from outside (start to exit); the
variants alternate within each repeat, so drifts in machine load hit all of them. Variants:
`plain` (benchmarks/plain_keras.py), `plain-aug` (it with online augmentation), `ftgui`,
`ftgui-aug` (--augment, nothing cached), `ftgui-copiesK` (--augment --augment-copies K).
The dataset is two classes of scikit-learn's handwritten digits (3 and 8) in the book layout,
`--images` per class for train, validation and test (or your own two-class `--data DIR`).
Prints each variant's fastest wall time, its ratio to the first variant, its final validation
accuracy, and where the time went (ftgui: `train --profile`; plain: its own timestamps).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIGITS = (3, 8)


def digits_dataset(root: Path, per_class: tuple[int, int, int]) -> Path:
    """Two digit classes of scikit-learn's `load_digits` as 8×8 PNGs in the book layout."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    for digit in DIGITS:
        indices = np.flatnonzero(digits.target == digit)
        start = 0
        for split, count in zip(("train", "validation", "test"), per_class, strict=True):
            folder = root / split / f"digit_{digit}"
            folder.mkdir(parents=True, exist_ok=True)
            for index in indices[start : start + count]:
                pixels = (digits.images[index] * (255 / 16)).astype(np.uint8)
                Image.fromarray(pixels).convert("RGB").save(folder / f"{index}.png")
            start += count
        if start > len(indices):
            raise SystemExit(f"digit {digit} has only {len(indices)} images")
    return root


def command(variant: str, data: Path, out: Path, size: int, epochs: list[int]) -> list[str]:
    if variant.startswith("plain"):
        script = str(ROOT / "benchmarks" / "plain_keras.py")
        args = [sys.executable, script, str(data), str(size), "20", *map(str, epochs), "7"]
        return args + (["--augment"] if variant == "plain-aug" else [])
    args = [sys.executable, str(ROOT / "main.py"), "train", "--data", str(data),
            "--weights", "none", "--image-size", str(size), "--batch-size", "20",
            "--epochs-head", str(epochs[0]), "--epochs-finetune", str(epochs[1]),
            "--seed", "7", "--out", str(out), "--profile"]  # fmt: skip
    if variant == "ftgui-aug":
        args.append("--augment")
    elif variant.startswith("ftgui-copies"):
        args += ["--augment", "--augment-copies", variant.removeprefix("ftgui-copies")]
    elif variant != "ftgui":
        raise SystemExit(f"unknown variant {variant}")
    return args


def run_once(variant: str, data: Path, out: Path, size: int, epochs: list[int]) -> dict:
    """Wall time from outside, final validation accuracy, and the time table."""
    started = time.perf_counter()
    result = subprocess.run(
        command(variant, data, out, size, epochs),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    wall = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"{variant} failed:\n{result.stderr[-2000:]}")
    if variant.startswith("plain"):
        values = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
        table = [
            ("Keras import", values["import_seconds"]),
            ("data set-up", values["data_seconds"]),
            ("model build", values["build_seconds"]),
            ("phase 1 (validation included)", values["phase1_seconds"]),
            ("  of which validation", values["phase1_validation_seconds"]),
            ("phase 2 (validation included)", values["phase2_seconds"]),
            ("  of which validation", values["phase2_validation_seconds"]),
        ]
        lines = [f"  {name:<32} {float(seconds):7.2f} s" for name, seconds in table]
        accuracy = float(values["final_val_accuracy"])
    else:
        lines = result.stdout.split("Where the time went (wall clock):\n", 1)[1].splitlines()
        with open(out / "history.csv", newline="", encoding="utf-8") as f:
            accuracy = float(list(csv.DictReader(f))[-1]["val_accuracy"])
    return {"wall": wall, "accuracy": accuracy, "lines": lines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", default="3,10", help="head,finetune")
    parser.add_argument("--images", default="100,40,30", help="per class: train,val,test")
    parser.add_argument("--variants", default="plain,ftgui")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--data", type=Path, help="a two-class book-layout folder instead")
    args = parser.parse_args()
    epochs = [int(n) for n in args.epochs.split(",")]
    variants = args.variants.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        per_class = tuple(int(n) for n in args.images.split(","))
        data = args.data or digits_dataset(Path(tmp) / "digits", per_class)  # type: ignore[arg-type]
        made = "" if args.data else f" ({args.images} images per class)"
        print(
            f"{args.size} px, epochs {epochs[0]} + {epochs[1]}, batch 20, data {data}{made}, "
            f"CPU cores: {os.cpu_count()}",
            flush=True,
        )
        runs: dict[str, list[dict]] = {v: [] for v in variants}
        for repeat in range(args.repeat):
            for variant in variants:
                out = Path(tmp) / f"{variant}-{repeat}"
                runs[variant].append(run_once(variant, data, out, args.size, epochs))
                wall = runs[variant][-1]["wall"]
                print(f"  {variant} run {repeat + 1}: {wall:.1f} s", flush=True)
        base = min(r["wall"] for r in runs[variants[0]])
        for variant in variants:
            best = min(runs[variant], key=lambda r: r["wall"])
            accuracies = ", ".join(f"{r['accuracy']:.3f}" for r in runs[variant])
            print(
                f"{variant}: {best['wall']:.1f} s (fastest of {args.repeat}), "
                f"×{base / best['wall']:.2f} the speed of {variants[0]}, final val_accuracy "
                f"{accuracies}"
            )
        for variant in variants:
            best = min(runs[variant], key=lambda r: r["wall"])
            print(f"\n{variant}, where the time went (fastest run):")
            print("\n".join(best["lines"]))


if __name__ == "__main__":
    main()
