"""Running `python main.py …` from the tests, as a person would."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A quick two-phase run on the tiny test datasets: 2 + 1 epochs at 32 px.
TINY_RUN = ("--weights", "none", "--image-size", "32", "--batch-size", "8", "--epochs-head", "2",
            "--epochs-finetune", "1")  # fmt: skip


def ftgui(*args: str, cpus: int = 1, **kwargs) -> subprocess.CompletedProcess:
    """`python main.py ARGS` in a fresh process; `cpus` > 1 splits the CPU into logical devices."""
    env = {**os.environ, "FTGUI_CPU_DEVICES": str(cpus)}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
        **kwargs,
    )


def ftgui_here(capsys, *args: str) -> subprocess.CompletedProcess:
    """`python main.py ARGS` run in this process (no new process, no second TensorFlow import):
    the same `main()`, its exit status and the stdout and stderr it wrote (through `capsys`)."""
    from ftgui.app import main

    capsys.readouterr()  # only what this command writes
    try:
        code = main(list(args))
    except SystemExit as exited:  # argparse's own errors
        code = exited.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["main.py", *args], code, out, err)
