"""Run a Python script or module in this process and report its wall time and peak memory.

python benchmarks/measure.py SCRIPT.py ARGS…     prints `wall_seconds` and `peak_rss_mb` at exit
"""

import atexit
import resource
import runpy
import sys
import time

started = time.perf_counter()


@atexit.register
def report() -> None:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wall_seconds {time.perf_counter() - started:.2f}", flush=True)
    print(f"peak_rss_mb {peak_mb:.0f}", flush=True)


if __name__ == "__main__":
    script, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_path(script, run_name="__main__")
