"""How much the learning-rate finder's suggestions move with the seed: `python main.py lr-find`
on the sample dataset for several seeds and phases.

    python benchmarks/lr_find_spread.py [--seeds 1,2,3] [--phases 1,2] [FLAGS…]

FLAGS go to lr-find (default: `--sample --weights none`). Prints, per phase, each seed's three
suggestions, the range test's steps and seconds, and the spread (largest / smallest) of each
suggestion over the seeds.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOK = re.compile(r"(?P<steps>\d+) steps on (?P<where>.+?) in (?P<seconds>[\d.]+) s")


def find(phase: int, seed: int, flags: list[str]) -> tuple[dict[str, float], str]:
    """One lr-find: its suggestions and its closing line's steps, inputs and seconds."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "lr-find", *flags, "--seed", str(seed),
         "--phase", str(phase)],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    found = {}
    for line in done.stdout.splitlines():
        if line.startswith("suggestion\t"):
            _, name, lr = line.split("\t")
            found[name] = float(lr)
    took = TOOK.search(done.stderr)
    return found, f"{took['steps']} steps, {took['seconds']} s ({took['where']})" if took else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--phases", default="1,2")
    args, flags = parser.parse_known_args()
    flags = flags or ["--sample", "--weights", "none"]
    print(f"lr-find {' '.join(flags)}")
    for phase in (int(p) for p in args.phases.split(",")):
        results = []
        for seed in (int(s) for s in args.seeds.split(",")):
            found, took = find(phase, seed, flags)
            results.append(found)
            values = "  ".join(f"{name} {lr:.2e}" for name, lr in found.items())
            print(f"phase {phase} seed {seed}: {values}  [{took}]", flush=True)
        spread = "  ".join(
            f"{name} ×{max(r[name] for r in results) / min(r[name] for r in results):.1f}"
            for name in results[0]
        )
        print(f"phase {phase} spread over the seeds (largest / smallest): {spread}", flush=True)


if __name__ == "__main__":
    main()
