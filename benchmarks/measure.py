"""Run a Python script or module in this process and report its wall time and peak memory.

python benchmarks/measure.py SCRIPT.py ARGS…     prints `wall_seconds` and `peak_rss_mb` at exit
"""

import atexit
import resource
import runpy
import sys
import time
from pathlib import Path

started = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]


def measured_train_command(
    data: Path, out: Path, size: int, epochs: tuple[int, int], *flags: str
) -> list[str]:
    """`main.py train` under this measuring wrapper, with the benchmarks' common settings."""
    return [sys.executable, __file__, str(ROOT / "main.py"), "train", "--data", str(data),
            "--weights", "none", "--image-size", str(size), "--batch-size", "20",
            "--epochs-head", str(epochs[0]), "--epochs-finetune", str(epochs[1]), "--seed", "7",
            "--out", str(out), *flags]  # fmt: skip


def report() -> None:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wall_seconds {time.perf_counter() - started:.2f}", flush=True)
    print(f"peak_rss_mb {peak_mb:.0f}", flush=True)


if __name__ == "__main__":
    atexit.register(report)
    script, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_path(script, run_name="__main__")
