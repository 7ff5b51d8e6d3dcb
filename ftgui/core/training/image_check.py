"""A run's image check: every image checked and decoded once, on every core, while TensorFlow
imports on another thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ftgui.core.data.arrays import memory_budget_bytes
from ftgui.core.data.dataset import Dataset
from ftgui.core.data.scan import DecodeInto, ScanReport, scan_dataset
from ftgui.core.events import Listener, Status, quarterly
from ftgui.core.model.device import import_in_background
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.time_spent import TimeSpent


def check_images(
    config: RunConfig, dataset: Dataset, listener: Listener, time: TimeSpent, decoded_in: Path
) -> ScanReport:
    """Check and decode `dataset` (unusable files dropped from it; decoded images beyond the
    RAM budget go to `decoded_in`); the pixels are in `report.pixels`. TensorFlow is loaded
    when this returns, or was being loaded when an error is raised."""
    budget = memory_budget_bytes(config.cache_budget_mb)
    decode = DecodeInto(config.image_size, budget, decoded_in)
    importing: list[Callable[[], None]] = []  # waits for the import, once started

    def import_meanwhile() -> None:
        importing.append(import_in_background())

    try:
        with time.part("image check and decode (TensorFlow loads meanwhile)"):
            progress = quarterly(lambda text: listener(Status(text)), "Checking images")
            report = scan_dataset(dataset, progress, decode, import_meanwhile)
    except BaseException:
        for wait in importing:  # TensorFlow's start-up chatter ends before the error
            wait()
        raise
    assert report.pixels is not None
    listener(Status(report.summary()))
    listener(Status(report.pixels.describe()))
    listener(Status("Loading TensorFlow…"))
    with time.part("TensorFlow import and devices"):
        for wait in importing:
            wait()
    return report
