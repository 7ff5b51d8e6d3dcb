"""What a sweep costs against ONE plain Keras run of the recipe with the same epochs.

    python benchmarks/sweep_cost.py [--size 64] [--epochs 2,4] [--images 100,40,30] [--repeat 1]

Every variant is a fresh process timed from outside (start to exit), on two classes of
scikit-learn's digits in the book layout (benchmarks/whole_run.py's data), random weights,
batch 20, seed 7:
- `plain`: benchmarks/plain_keras.py, one run of the recipe;
- `sweep4`: `python main.py sweep --vary lr-finetune=1e-5,1e-4 --vary
  unfreeze-from=block5_conv1,block5_conv3` (4 trials);
- `sweep9-halving`: 3 learning rates × 3 unfreeze points with `--halving` (9 trials).
Prints each one's wall time and its ratio to `plain`, and what four plain scripts would cost.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.whole_run import ROOT, command, digits_dataset

SWEEPS = {
    "sweep4": [
        "--vary", "lr-finetune=1e-5,1e-4", "--vary", "unfreeze-from=block5_conv1,block5_conv3",
    ],
    "sweep9-halving": [
        "--vary", "lr-finetune=3e-6,1e-5,1e-4",
        "--vary", "unfreeze-from=block5_conv1,block5_conv2,block5_conv3", "--halving",
    ],
}  # fmt: skip


def sweep_command(name: str, data: Path, out: Path, size: int, epochs: list[int]) -> list[str]:
    return [sys.executable, str(ROOT / "main.py"), "sweep", "--data", str(data),
            "--weights", "none", "--image-size", str(size), "--batch-size", "20",
            "--epochs-head", str(epochs[0]), "--epochs-finetune", str(epochs[1]),
            "--seed", "7", "--out", str(out), *SWEEPS[name]]  # fmt: skip


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        args,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    if result.returncode:
        raise SystemExit(f"{args[1:3]} failed:\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", default="2,4", help="head,finetune")
    parser.add_argument("--images", default="100,40,30", help="per class: train,val,test")
    parser.add_argument("--variants", default="plain,sweep4,sweep9-halving")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the runs and sweeps here and keep them")
    args = parser.parse_args()
    epochs = [int(n) for n in args.epochs.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        per_class = tuple(int(n) for n in args.images.split(","))
        data = digits_dataset(Path(tmp) / "digits", per_class)  # type: ignore[arg-type]
        print(f"{args.size} px, epochs {epochs[0]} + {epochs[1]}, batch 20, {args.images} "
              f"images per class, CPU cores: {os.cpu_count()}", flush=True)  # fmt: skip
        walls: dict[str, list[float]] = {}
        for repeat in range(args.repeat):
            for name in args.variants.split(","):
                out = (args.keep or Path(tmp)) / f"{name}-{repeat}"
                if name == "plain":
                    wall = timed(command("plain", data, out, args.size, epochs))
                else:
                    wall = timed(sweep_command(name, data, out, args.size, epochs))
                walls.setdefault(name, []).append(wall)
                print(f"  {name} run {repeat + 1}: {wall:.1f} s", flush=True)
        plain = min(walls["plain"])
        for name, times in walls.items():
            print(f"{name}: {min(times):.1f} s, ×{min(times) / plain:.2f} one plain run")
        if "sweep4" in walls:
            print(f"four plain scripts: {4 * plain:.1f} s, ×{4 * plain / min(walls['sweep4']):.2f} "
                  "the sweep4's time")  # fmt: skip


if __name__ == "__main__":
    main()
