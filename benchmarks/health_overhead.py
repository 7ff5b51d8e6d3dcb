"""What per-layer health costs an epoch: `train --profile` with the probe and without it.

    python benchmarks/health_overhead.py [--sizes 64,150] [--epochs 3,4] [--images 100,40,30]
                                         [--kinds cached,uncached] [--repeat 2]

For each image size, cached phases (the default) and uncached ones (`--no-cache`) are trained
with the probe (as every run is) and without it (`unmeasurable` says no: the only
difference), as fresh processes, alternating within each repeat. Two
measures per phase, the fastest repeat of each counting: `epoch` is the steady epoch, the mean
of history.csv's `seconds` (training steps and validation) over the epochs after the phase's
first; `+first` is the phase's training steps + validation + records from `train --profile`
divided by its epochs, so the first epoch's tracing of the measuring ops is in it. Prints the
seconds without and with the probe and the overhead in percent. Data: two classes of
scikit-learn's digits.
"""

from __future__ import annotations

import argparse
import csv
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
        from ftgui.core.training import phase_fit

        phase_fit.unmeasurable = lambda model, replicas: "off for the benchmark"
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


def steady_seconds(history: Path) -> dict[str, float]:
    """Each phase's mean epoch seconds in history.csv, its first epoch left out."""
    seconds: dict[str, list[float]] = {}
    with open(history, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if int(row["epoch"]) > 1:
                seconds.setdefault(row["phase_name"], []).append(float(row["seconds"]))
    return {phase: sum(values) / len(values) for phase, values in seconds.items()}


def train(
    data: Path, size: int, epochs: list[int], cached: bool, probe: str
) -> dict[str, tuple[float, float]]:
    """Each phase's (steady epoch, epoch with the first's tracing) seconds."""
    with tempfile.TemporaryDirectory() as out:
        args = ["train", "--data", str(data), "--weights", "none", "--image-size", str(size),
                "--batch-size", "20", "--epochs-head", str(epochs[0]), "--epochs-finetune",
                str(epochs[1]), "--seed", "7", "--out", f"{out}/run", "--profile",
                *([] if cached else ["--no-cache"])]  # fmt: skip
        done = subprocess.run(
            [sys.executable, __file__, "--child", probe, *args],
            capture_output=True, text=True, cwd=ROOT, check=True,
        )  # fmt: skip
        steady = steady_seconds(Path(out) / "run" / "history.csv")
    whole = epoch_seconds(done.stdout, epochs)
    return {phase: (steady[phase], whole[phase]) for phase in whole}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,150")
    parser.add_argument("--epochs", default="3,4")
    parser.add_argument("--images", default="100,40,30")
    parser.add_argument("--kinds", default="cached,uncached")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    epochs = [int(n) for n in args.epochs.split(",")]
    images = tuple(int(n) for n in args.images.split(","))
    with tempfile.TemporaryDirectory() as root:
        data = digits_dataset(Path(root) / "digits", images)  # type: ignore[arg-type]
        print(f"digits 3/8, {images} images per class, epochs {epochs}, batch 20")
        print(f"{'size':>4} {'phases':<8} {'phase':<18} {'epoch off':>9} {'on':>7} "
              f"{'overhead':>8}   {'+first off':>10} {'on':>7} {'overhead':>8}")  # fmt: skip
        for size in (int(s) for s in args.sizes.split(",")):
            for cached in [kind == "cached" for kind in args.kinds.split(",")]:
                best: dict[str, dict[str, tuple[float, float]]] = {"off": {}, "on": {}}
                for _ in range(args.repeat):
                    for probe in ("off", "on"):
                        for phase, pair in train(data, size, epochs, cached, probe).items():
                            kept = best[probe].get(phase, pair)
                            best[probe][phase] = (min(kept[0], pair[0]), min(kept[1], pair[1]))
                kind = "cached" if cached else "uncached"
                for phase, off in best["off"].items():
                    on = best["on"][phase]
                    cells = "   ".join(
                        f"{off[i]:>{w}.3f} {on[i]:>7.3f} {100 * (on[i] - off[i]) / off[i]:>7.1f}%"
                        for i, w in ((0, 9), (1, 10))
                    )
                    print(f"{size:>4} {kind:<8} {phase:<18} {cells}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
    else:
        main()
