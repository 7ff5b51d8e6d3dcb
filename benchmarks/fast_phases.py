"""ftgui's CLI against a plain Keras script of the book's two phases, same data and settings.

    python benchmarks/fast_phases.py [--sizes 64,150] [--train 200] [--validation 80]
                                     [--epochs 3,10] [--augment-epochs 2,2]

Both run in fresh processes on the same synthetic book-layout dataset (random weights, seed 7,
batch 20). Phase times are wall-clock from the start of a phase to the start of the next (ftgui's
include computing frozen outputs and saving the model). Prints one row per comparison.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.measure import measured_train_command  # noqa: E402
from tests.images import make_book_dataset  # noqa: E402

MEASURE = [sys.executable, str(ROOT / "benchmarks" / "measure.py")]


def plain(data: Path, size: int, epochs: tuple[int, int], augment: bool) -> dict[str, float]:
    args = [
        *MEASURE,
        str(ROOT / "benchmarks" / "plain_keras.py"),
        str(data),
        str(size),
        "20",
        str(epochs[0]),
        str(epochs[1]),
        "7",
    ] + (["--augment"] if augment else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    values = dict(line.split(maxsplit=1) for line in out.splitlines() if " " in line)
    return {
        "phase1": float(values["phase1_seconds"]),
        "phase2": float(values["phase2_seconds"]),
        "rss": float(values["peak_rss_mb"]),
    }


def ftgui(
    data: Path, out: Path, size: int, epochs: tuple[int, int], augment: bool
) -> dict[str, float]:
    args = measured_train_command(data, out, size, epochs)
    if augment:
        args.append("--augment")
    marks: dict[str, float] = {}
    values: dict[str, str] = {}
    cache = ""
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT) as process:
        for line in process.stdout:
            now = time.perf_counter()
            if line.startswith("Phase 1/"):
                marks["phase1"] = now
            elif line.startswith("Phase 2/"):
                marks["phase2"] = now
            elif line.startswith(("Evaluating", "Model saved")) and "end" not in marks:
                marks["end"] = now
            elif "computed once" in line:
                cache += line.strip() + "; "
            elif " " in line:
                key, _, value = line.partition(" ")
                values[key] = value.strip()
    if process.returncode:
        raise SystemExit(f"ftgui failed: {args}")
    return {
        "phase1": marks["phase2"] - marks["phase1"],
        "phase2": marks["end"] - marks["phase2"],
        "rss": float(values["peak_rss_mb"]),
        "cache": cache,
    }  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="64,150")
    parser.add_argument("--train", type=int, default=200)
    parser.add_argument("--validation", type=int, default=80)
    parser.add_argument("--epochs", default="3,10", help="head,finetune (book ratio 30:100)")
    parser.add_argument("--augment-epochs", default="2,2", help="'' to skip the augmented run")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    args = parser.parse_args()
    epochs = tuple(int(n) for n in args.epochs.split(","))
    aug_epochs = (
        tuple(int(n) for n in args.augment_epochs.split(",")) if args.augment_epochs else ()
    )
    with tempfile.TemporaryDirectory() as tmp:
        per_class = (args.train // 2, args.validation // 2, 0)
        data = make_book_dataset(Path(tmp) / "data", ("cats", "dogs"), per_class)
        print(
            f"dataset: {args.train} train + {args.validation} validation images, 2 classes; "
            f"epochs head,finetune = {epochs}; batch 20; CPU cores: {os.cpu_count()}"
        )
        sizes = [int(size) for size in args.sizes.split(",") if size]
        runs = [(size, epochs, False) for size in sizes]
        if aug_epochs:
            runs.append((64, aug_epochs, True))
        for size, run_epochs, augment in runs:
            bases, ours_runs = [], []
            for i in range(args.repeat):  # alternate, so drifts in machine load hit both
                bases.append(plain(data, size, run_epochs, augment))
                out = Path(tmp) / f"run{size}{augment}{i}"
                ours_runs.append(ftgui(data, out, size, run_epochs, augment))
            base = {k: min(r[k] for r in bases) for k in ("phase1", "phase2", "rss")}
            ours = {k: min(r[k] for r in ours_runs) for k in ("phase1", "phase2", "rss")}
            ours["cache"] = ours_runs[0]["cache"]
            label = f"{size} px{' augmented' if augment else ''}, epochs {run_epochs}"
            for phase in ("phase1", "phase2"):
                print(
                    f"{label}: {phase} plain {base[phase]:.1f} s, ftgui {ours[phase]:.1f} s, "
                    f"speed-up ×{base[phase] / ours[phase]:.2f}"
                )
            total = (base["phase1"] + base["phase2"]) / (ours["phase1"] + ours["phase2"])
            print(
                f"{label}: fastest of {args.repeat}; both phases speed-up ×{total:.2f}; "
                f"peak RSS plain "
                f"{base['rss']:.0f} MB, ftgui {ours['rss']:.0f} MB; {ours['cache'] or 'no cache'}"
            )


if __name__ == "__main__":
    main()
