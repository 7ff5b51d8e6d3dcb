"""What per-layer health costs an epoch: `train --profile` with the probe and without it.

    python benchmarks/health_overhead.py [--sizes 64,150] [--epochs 2,4] [--images 100,40,30]
                                         [--repeat 2]

For each image size, cached phases (the default) and uncached ones (`--no-cache`) are trained
with the probe (as every run is) and with `HealthProbe.install` replaced by one that installs
nothing (the only difference), as fresh processes, alternating within each repeat. An epoch's
time is the phase's training steps + validation + records from the profile table, divided by
its epochs; the fastest repeat of each counts. Prints per phase the seconds per epoch without
and with the probe and the overhead in percent. Data: two classes of scikit-learn's digits.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.whole_run import digits_dataset  # noqa: E402

PARTS = ("training steps", "validation", "checkpoints, history, best saves")
LINE = re.compile(r"^\s+(?P<phase>[^:]+): (?P<part>.+?)\s+(?P<seconds>[\d.]+) s\s+[\d.]+%$")


def child(probe: str, argv: list[str]) -> None:
    """Run `main.py ARGS` in this process, without the probe when `probe` is "off"."""
    if probe == "off":
        from ftgui.core.training.layer_health import HealthProbe

        HealthProbe.install = classmethod(lambda cls, model, steps: None)  # type: ignore[assignment]
    from ftgui.app import main

    raise SystemExit(main(argv))


def epoch_seconds(profile: str, epochs: list[int]) -> dict[str, float]:
    """Each phase's seconds per epoch from `train --profile` output."""
    totals: dict[str, float] = {}
    for line in profile.splitlines():
        match = LINE.match(line)
        if match and match["part"] in PARTS:
            totals[match["phase"]] = totals.get(match["phase"], 0.0) + float(match["seconds"])
    return {
        phase: seconds / count
        for (phase, seconds), count in zip(totals.items(), epochs, strict=True)
    }


def train(data: Path, size: int, epochs: list[int], cached: bool, probe: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        args = ["train", "--data", str(data), "--weights", "none", "--image-size", str(size),
                "--batch-size", "20", "--epochs-head", str(epochs[0]), "--epochs-finetune",
                str(epochs[1]), "--seed", "7", "--out", f"{out}/run", "--profile",
                *([] if cached else ["--no-cache"])]  # fmt: skip
        done = subprocess.run(
            [sys.executable, __file__, "--child", probe, *args],
            capture_output=True, text=True, cwd=ROOT, check=True,
        )  # fmt: skip
    return epoch_seconds(done.stdout, epochs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,150")
    parser.add_argument("--epochs", default="2,4")
    parser.add_argument("--images", default="100,40,30")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    epochs = [int(n) for n in args.epochs.split(",")]
    images = tuple(int(n) for n in args.images.split(","))
    with tempfile.TemporaryDirectory() as root:
        data = digits_dataset(Path(root) / "digits", images)  # type: ignore[arg-type]
        print(f"digits 3/8, {images} images per class, epochs {epochs}, batch 20")
        print(f"{'size':>4} {'phases':<8} {'phase':<18} {'off s/epoch':>11} {'on s/epoch':>10} "
              f"{'overhead':>8}")  # fmt: skip
        for size in (int(s) for s in args.sizes.split(",")):
            for cached in (True, False):
                best: dict[str, dict[str, float]] = {"off": {}, "on": {}}
                for _ in range(args.repeat):
                    for probe in ("off", "on"):
                        for phase, seconds in train(data, size, epochs, cached, probe).items():
                            best[probe][phase] = min(best[probe].get(phase, seconds), seconds)
                for phase, off in best["off"].items():
                    on = best["on"][phase]
                    kind = "cached" if cached else "uncached"
                    print(f"{size:>4} {kind:<8} {phase:<18} {off:>11.3f} {on:>10.3f} "
                          f"{100 * (on - off) / off:>7.1f}%", flush=True)  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
    else:
        main()
