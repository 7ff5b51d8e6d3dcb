"""What per-layer health costs an epoch, measured inside one run: `train --profile`, with the
step functions timed.

    python benchmarks/health_overhead.py [--sizes 64,150] [--epochs 2,2] [--images 100,40,30]
                                         [--kinds cached,uncached]

On sampled steps Keras runs the probe's measuring train function, on the others its own one,
interleaved in the same epochs, so machine load hits both alike (two separate runs on this
shared 2-core machine differ by up to 30% from load alone). Per phase: the median time of a
plain step and of a measured step (the measuring function's first call, its tracing, left
out and shown apart), the sampled steps per epoch, the per-epoch work (reset and read of the
sums), the phase's steady epoch (history.csv's seconds after its first epoch) and the overhead:
(measured − plain median) × sampled steps + per-epoch work, in percent of the epoch. Data:
two classes of scikit-learn's digits, batch 20, random weights.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.whole_run import digits_dataset  # noqa: E402


class StepClock:
    """Times the probe's two train functions and its per-epoch work, by phase (one clock per
    process: it patches the probe's class)."""

    def __init__(self) -> None:
        from ftgui.core.training.layer_health import HealthProbe

        self.phase = 0
        self.plain: dict[int, list[float]] = defaultdict(list)
        self.measured: dict[int, list[float]] = defaultdict(list)
        self.epoch_work: dict[int, list[float]] = defaultdict(list)
        clock = self
        before_batch = HealthProbe.before_batch

        def timed_before_batch(probe: Any, batch: int) -> None:
            before_batch(probe, batch)
            plain = probe._plain
            if plain is not None and not getattr(plain, "_timed", False):
                probe._plain = timed(plain, lambda: clock.plain[clock.phase])
                if probe.model.train_function is plain:
                    probe.model.train_function = probe._plain

        HealthProbe.before_batch = timed_before_batch  # type: ignore[method-assign]
        HealthProbe._measured_step = timed(  # type: ignore[method-assign]
            HealthProbe._measured_step, lambda: clock.measured[clock.phase]
        )
        for name in ("reset", "take"):
            work = timed(getattr(HealthProbe, name), lambda: clock.epoch_work[clock.phase])
            setattr(HealthProbe, name, work)


def timed(function: Callable[..., Any], samples: Callable[[], list[float]]) -> Any:
    """`function`, appending each call's seconds to the list `samples()` gives at its end."""

    def call(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args)
        finally:
            samples().append(time.perf_counter() - started)

    call._timed = True  # type: ignore[attr-defined]
    return call


def measure(data: Path, size: int, epochs: list[int], cached: bool) -> list[str]:
    """One run in this process; a line per phase."""
    from ftgui.core.events import PhaseStarted
    from ftgui.core.run.whole_run import run
    from ftgui.core.settings.config import RunConfig

    clock = StepClock()
    steps_per_epoch: dict[int, int] = {}

    def listen(event: object) -> None:
        if isinstance(event, PhaseStarted):
            clock.phase = event.phase
            steps_per_epoch[event.phase] = event.steps_per_epoch

    with tempfile.TemporaryDirectory() as out:
        config = RunConfig(
            data_dir=str(data), out_dir=f"{out}/run", weights="none", image_size=size,
            batch_size=20, seed=7, cache_features=cached,
        )  # fmt: skip
        for phase, count in zip(config.phases, epochs, strict=True):
            phase.epochs = count
        run(config, listen)
        epoch_seconds: dict[int, list[float]] = defaultdict(list)
        with open(Path(out) / "run" / "history.csv", newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if int(row["epoch"]) > 1:
                    epoch_seconds[int(row["phase"]) - 1].append(float(row["seconds"]))
    lines = []
    for phase, steps in steps_per_epoch.items():
        every = max(1, steps // 5)
        sampled = len(range(0, steps, every))
        plain = statistics.median(clock.plain[phase])
        measured = clock.measured[phase]
        extra = statistics.median(measured[1:]) - plain
        work = sum(clock.epoch_work[phase]) / epochs[phase]
        epoch = statistics.mean(epoch_seconds[phase])
        overhead = (max(extra, 0.0) * sampled + work) / epoch
        kind = "cached" if cached else "uncached"
        lines.append(
            f"{size:>4} {kind:<8} {phase + 1:>5} {steps:>5} {sampled:>7} {1000 * plain:>8.1f} "
            f"{1000 * (plain + extra):>8.1f} {1000 * work:>6.1f} {epoch:>7.2f} "
            f"{100 * overhead:>7.2f}% {measured[0] - plain:>6.2f}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,150")
    parser.add_argument("--epochs", default="2,2")
    parser.add_argument("--images", default="100,40,30")
    parser.add_argument("--kinds", default="cached,uncached")
    args = parser.parse_args()
    epochs = [int(n) for n in args.epochs.split(",")]
    images = tuple(int(n) for n in args.images.split(","))
    with tempfile.TemporaryDirectory() as root:
        data = digits_dataset(Path(root) / "digits", images)  # type: ignore[arg-type]
        print(f"digits 3/8, {images} images per class, epochs {epochs}, batch 20")
        print("size phases   phase steps sampled plain ms measured  work ms epoch s overhead "
              "trace s")  # fmt: skip
        for size in (int(s) for s in args.sizes.split(",")):
            for kind in args.kinds.split(","):
                done = subprocess.run(
                    [sys.executable, __file__, "--one", str(data), str(size), args.epochs, kind],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                print(done.stdout.strip(), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:  # one run per process: one TensorFlow, one clock
        data, size, counts, kind = sys.argv[2:6]
        run_epochs = [int(n) for n in counts.split(",")]
        print("\n".join(measure(Path(data), int(size), run_epochs, kind == "cached")))
    else:
        main()
