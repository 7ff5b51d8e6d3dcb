"""A whole run, as the window, the CLI and the tests start it: the image check, every phase,
scoring the saved models after the run, and the run folder."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

from ftgui.core.analysis.evaluation import evaluate_finished_run
from ftgui.core.data.sample import resolve_dataset
from ftgui.core.errors import UserError
from ftgui.core.events import Listener, RunEnded, Status
from ftgui.core.run.shared_inputs import SharedInputs
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.run_folder import RunFolder
from ftgui.core.training.runner import PhaseRunner
from ftgui.core.training.time_spent import TimeSpent

SCORING_PART = "scoring the saved models (evaluation/)"


class WholeRun:
    """Runs one configuration from its images to its scores (see `run`).

    `inputs` shares the image check, decoded pixels and frozen outputs with other runs in
    this process; without it the run keeps its own in its folder's `cache/` and frees them
    at the end. `pause_after` ends the run, as a stop does, after that many run epochs (a
    sweep branches trials there). `model` is the Keras model once built, for tests."""

    def __init__(
        self,
        config: RunConfig,
        listener: Listener,
        stop: threading.Event | None = None,
        resume: bool = False,
        inputs: SharedInputs | None = None,
        pause_after: int | None = None,
    ) -> None:
        self.config, self.listener = config, listener
        self.stop = stop or threading.Event()
        self.resume = resume
        self.inputs = inputs
        self.time = TimeSpent()  # where the run's wall time goes (`train --profile`)
        self.trainer = PhaseRunner(config, listener, self.stop, resume, self.time)
        self.trainer.pause_after = pause_after

    @property
    def model(self) -> Any:
        return self.trainer.model

    def run(self) -> RunEnded:
        """Validate, check the images, train every phase, score the saved models; return the
        final event. Bad input raises UserError before any training. However the run ends,
        what it alone held is freed, and a run folder it created but never started goes."""
        created: Path | None = None
        own_inputs: SharedInputs | None = None
        try:
            self.config.validate()
            folder = self.trainer.open_folder()
            created = None if folder.path.exists() else folder.path
            if self.inputs is None:
                own_inputs = SharedInputs(folder.path / "cache", between_runs=False)
            return self._run(folder, self.inputs or own_inputs)
        finally:
            self.trainer.close()
            if own_inputs is not None:
                own_inputs.close()
            elif self.inputs is not None:
                self.inputs.run_ended()
            if created is not None:
                with contextlib.suppress(OSError):  # not empty: the run started
                    created.rmdir()

    def _run(self, folder: RunFolder, inputs: SharedInputs) -> RunEnded:
        dataset = resolve_dataset(self.config)
        if not self.resume:
            folder.check_free()
        if dataset.decisions_note:
            self.listener(Status(dataset.decisions_note))
        key, report = inputs.checked(self.config, dataset, self.listener, self.time)
        self.trainer.prepare(dataset, report, inputs.features, key)
        stopped = self.trainer.train_phases()
        test_metrics = None
        if not stopped:
            self.trainer.completed()
            with self.time.part(SCORING_PART):
                test_metrics = self._score(folder)  # the final model's, on the test split
            if test_metrics is None and len(dataset.test):
                test_metrics = self.trainer.test_metrics()
        return self.trainer.finish(stopped, test_metrics)

    def _score(self, folder: RunFolder) -> dict[str, float] | None:
        """Score the saved models (see `score_saved_models`)."""
        if not folder.model_path.exists():
            return None
        pixels = self.trainer.images.pixels if self.trainer.images is not None else None
        known = self.trainer.known_validation()
        return score_saved_models(folder.path, self.model, self.listener, self.stop, known, pixels)


def score_saved_models(
    run_dir: Path,
    model: Any,
    listener: Listener,
    stop: threading.Event,
    known: Any = None,
    pixels: Any = None,
) -> dict[str, float] | None:
    """Score a finished run's saved models (`evaluation/`) with `model` (the final weights)
    and return the final model's test metrics, None without them; bad input there is a
    status line, never a lost run. `known`, `pixels`: see `evaluate_finished_run`."""

    def status(text: str) -> None:
        listener(Status(text))

    try:
        return evaluate_finished_run(run_dir, model, status, stop.is_set, known, pixels)
    except UserError as exc:
        status(f"Evaluation skipped: {exc}")
        return None


def run(
    config: RunConfig,
    listener: Listener,
    stop: threading.Event | None = None,
    resume: bool = False,
    inputs: SharedInputs | None = None,
    pause_after: int | None = None,
) -> RunEnded:
    """Run every phase of `config` and score the result, or continue it with `resume` (see
    `WholeRun.run`); `inputs` shares decoded images and frozen outputs with other runs;
    `pause_after` ends it, resumable, after that many run epochs."""
    return WholeRun(config, listener, stop, resume, inputs, pause_after).run()
