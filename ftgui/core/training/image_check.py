"""A run's image check: every image checked and decoded once, on every core, while TensorFlow
imports on another thread; and, however the run ends, the decoded images freed."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from pathlib import Path

from ftgui.core.data.arrays import memory_budget_bytes
from ftgui.core.data.dataset import Dataset
from ftgui.core.data.pixels import PixelStore
from ftgui.core.data.scan import DecodeInto, ScanReport, scan_dataset
from ftgui.core.events import Listener, Status, quarterly
from ftgui.core.model.device import import_in_background
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.time_spent import TimeSpent


class ImageCheck:
    """Checks a run's images into its folder `run_dir` (decoded images beyond the RAM budget
    go to `run_dir/cache`); `clean_up` frees them and removes a run folder this check created
    that the run never started (it stayed empty)."""

    def __init__(self, run_dir: Path) -> None:
        self.decoded_in = run_dir / "cache"
        self.created = None if run_dir.exists() else run_dir
        self.pixels: PixelStore | None = None

    def run(
        self, config: RunConfig, dataset: Dataset, listener: Listener, time: TimeSpent
    ) -> tuple[ScanReport, PixelStore]:
        """Check and decode `dataset` (unusable files dropped from it); TensorFlow is loaded
        when this returns, or was being loaded when an error is raised."""
        budget = memory_budget_bytes(config.cache_budget_mb)
        decode = DecodeInto(config.image_size, budget, self.decoded_in)
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
        self.pixels = report.pixels
        listener(Status(report.summary()))
        listener(Status(self.pixels.describe()))
        listener(Status("Loading TensorFlow…"))
        with time.part("TensorFlow import and devices"):
            for wait in importing:
                wait()
        return report, self.pixels

    def clean_up(self) -> None:
        if self.pixels is not None:
            self.pixels.release()
        shutil.rmtree(self.decoded_in, ignore_errors=True)
        if self.created is not None:
            with contextlib.suppress(OSError):  # not empty: the run started
                self.created.rmdir()
