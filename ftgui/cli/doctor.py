"""`python main.py doctor`: versions, devices, why no GPU is used, caches and free disk space."""

from __future__ import annotations

import os
import sys

from ftgui.cli.args import OneLineParser
from ftgui.core.model.doctor import (
    Facts,
    diagnose,
    free_space,
    gather_facts,
    qt_platform,
    size_text,
)


def doctor_parser() -> OneLineParser:
    return OneLineParser(
        prog="ftgui doctor",
        description="Print the versions, the devices TensorFlow sees, why no GPU is used when "
        "an NVIDIA driver is present (and the command that fixes it), the weights cache, the "
        "runs folder and its free space, and Qt's display platform. Always exits 0.",
    )


def gpu_lines(facts: Facts) -> list[str]:
    """The GPU part of the report: what TensorFlow uses, the driver, and the diagnosis."""
    lines = [
        f"GPU: {gpu.name}" + (f", {gpu.memory_mb:,} MB" if gpu.memory_mb else "")
        for gpu in facts.gpus
    ] or ["GPU: none (TensorFlow trains on the CPU)"]
    lines.append(f"NVIDIA driver: {facts.driver or 'none found'}")
    diagnosis = diagnose(facts)
    if diagnosis:
        lines.append(f"Why no GPU: {diagnosis}")
    return lines


def cache_lines() -> list[str]:
    """The ImageNet weights file, the runs folder and the free space there."""
    from ftgui.core.model.build import imagenet_cache_path
    from ftgui.core.paths import runs_dir

    weights = imagenet_cache_path()
    if weights.is_file():
        cached = f"{weights} ({size_text(weights.stat().st_size)})"
    else:
        cached = f"not downloaded yet ({weights}; `--weights imagenet` fetches 58.9 MB once)"
    runs = runs_dir()
    return [
        f"ImageNet weights: {cached}",
        f"Runs folder: {runs}" + ("" if runs.is_dir() else " (not created yet)"),
        f"Disk: {free_space(runs)}",
        f"Qt display platform: {qt_platform()}",
    ]


def report(facts: Facts) -> list[str]:
    versions = [f"{name}: {value or 'not installed'}" for name, value in facts.versions.items()]
    devices = ["Devices TensorFlow sees: " + (", ".join(facts.devices) or "none")]
    return [*versions, *devices, *gpu_lines(facts), *cache_lines()]


def doctor_main(argv: list[str]) -> int:
    """Entry point of `doctor`; prints the report and returns 0."""
    doctor_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stdout.write("\n".join(report(gather_facts())) + "\n")
    return 0
