"""What a phase leaves in the run folder as it trains: history, checkpoint, best model.

`PhaseRecorder` is plain Python over Keras variables; `ProgressCallback` is the Keras callback
that `fit` calls around it (forwarding batches as events and honouring stop requests).
"""

from __future__ import annotations

import math
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ftgui.core.events import BatchEnded, EpochEnded, HealthMeasured, Listener
from ftgui.core.files import write_run_file
from ftgui.core.training.checkpoint import (
    Arrays,
    Best,
    Checkpoint,
    OptimizerState,
    assign_arrays,
    best_model_name,
    variable_arrays,
)
from ftgui.core.training.health_file import append_health
from ftgui.core.training.health_watch import HealthWatch, health_rows
from ftgui.core.training.keras_hooks import KerasHooks
from ftgui.core.training.layer_health import HealthProbe, StepMeans
from ftgui.core.training.record_writer import RecordWriter
from ftgui.core.training.run_folder import RunFolder
from ftgui.core.training.time_spent import TimeSpent

# Saving the whole model for a new best epoch takes ~0.3 s at 60 MB (measured here); cached
# classifier epochs can take 0.1 s. Between the start of `fit` or the last save and the next
# save pass at least BEST_SAVE_SPACING save-durations (so ≤ 2.5% of the time goes to them,
# leaving room for the per-epoch state copy within 5% of an epoch; 20 measured 6% at 64 px);
# a newer best waits in the checkpoint (a kill loses nothing) and is written when the phase ends.
BEST_SAVE_SPACING = 40
FIRST_SAVE_GUESS_SECONDS = 0.3

# Called with (phase, epoch, logs) once a finished epoch is in the checkpoint (e.g. TensorBoard).
EpochLog = Callable[[int, int, dict[str, float]], None]


def save_model(model: Any, path: Path) -> None:
    """Save a .keras file atomically; a full disk or a locked folder is one sentence."""
    write_run_file(path, model.save)


class PhaseRecorder:
    """Records each finished epoch of one phase; restores the last one after a stop."""

    def __init__(
        self,
        phase: int,
        name: str,
        epochs: int,
        folder: RunFolder,
        full_model: Any,
        listener: Listener,
        epochs_done: int = 0,
        best: Best | None = None,
        epoch_log: EpochLog | None = None,
        health: HealthWatch | None = None,
    ) -> None:
        self.phase, self.name, self.epochs = phase, name, epochs
        self.folder, self.full_model, self.listener = folder, full_model, listener
        self.epochs_done = epochs_done
        self.best = best or Best()
        self.epoch_log = epoch_log
        self.health = health or HealthWatch()
        self.best_path = folder.path / best_model_name(phase, name)
        self._weights: Arrays = {}
        self._optimizer = OptimizerState()
        self._resumed_optimizer: OptimizerState | None = None  # put back once fit has built it
        self._next_best_save = math.inf  # set when training starts
        self.writer = RecordWriter()

    def resume_from(self, checkpoint: Checkpoint) -> None:
        """Continue after the checkpoint's last epoch: its weights, best and optimizer state."""
        assign_arrays(self.full_model.trainable_weights, checkpoint.weights, "weights")
        self.epochs_done, self.best = checkpoint.epochs_done, checkpoint.best
        self._resumed_optimizer = checkpoint.optimizer

    def training_started(self, model: Any) -> None:
        """Restore a resumed optimizer state, remember the starting state; the spacing of best
        saves counts from now. `model.optimizer` must be built (the runner builds it)."""
        if self._resumed_optimizer is not None:
            self._resumed_optimizer.load_into(model.optimizer)
            self._resumed_optimizer = None
        self.remember(model)
        self._next_best_save = time.perf_counter() + BEST_SAVE_SPACING * FIRST_SAVE_GUESS_SECONDS

    def remember(self, model: Any) -> None:
        """Copy the trained model's trainable weights and optimizer state (this epoch's end)."""
        self._weights = variable_arrays(model.trainable_weights)
        self._optimizer = OptimizerState.of(model.optimizer)

    def restore(self, model: Any) -> None:
        """Put back the state of the last finished epoch (after a stop mid-epoch)."""
        assign_arrays(model.trainable_weights, self._weights, "weights")
        self._optimizer.load_into(model.optimizer)

    def epoch_finished(
        self,
        model: Any,
        epoch: int,
        logs: dict[str, float],
        seconds: float,
        steps: Mapping[str, StepMeans] | None = None,
    ) -> None:
        """Copy the state, save a due best model, then write the layers' health rows (from
        the probe's `steps` and the copied weights), the history row and the checkpoint in the
        background (in that order: rows the checkpoint does not cover are dropped on resume);
        the epoch log and the events follow once all are on disk (`settle`, or the next
        `poll`)."""
        self.epochs_done += 1
        self.remember(model)
        if self.best.improves(logs.get("val_loss")):
            self.best = Best(logs["val_loss"], epoch, self._weights)
            last = self.epochs_done == self.epochs  # then `finish` copies model.keras instead
            if not last and time.perf_counter() >= self._next_best_save:
                self.writer.wait()
                self._save_best_now()
        checkpoint = Checkpoint(
            self.phase, self.epochs_done, self._weights, self._optimizer, replace(self.best)
        )
        row = (self.phase, self.name, epoch, logs, seconds)
        weights, health = self._weights, []

        def write() -> None:
            health.extend(health_rows(self.phase, epoch, weights, steps or {}))
            append_health(self.folder.path, health)
            self.folder.append_history(*row)
            checkpoint.write(self.folder.path)

        def announce() -> None:
            if health:
                measured = HealthMeasured(self.phase, epoch, tuple(health))
                self.health.announce(measured, self.listener)
            if self.epoch_log is not None:
                self.epoch_log(self.phase, epoch, logs)
            self.listener(EpochEnded(self.phase, epoch, self.epochs, logs, seconds))

        self.writer.submit(write, announce)

    def settle(self) -> None:
        """Wait until the last finished epoch is on disk and announced."""
        self.writer.wait()

    def finish(self, model_path: Path) -> None:
        """At the phase's end (or a stop), after `model_path` was saved: write a waiting best.

        When the best epoch is the last finished one, the saved model is that epoch: copy it.
        """
        self.settle()
        if self.best.weights is None:
            return
        if self.best.epoch == self.epochs_done - 1:
            write_run_file(self.best_path, lambda p: shutil.copyfile(model_path, p))
            self.best.weights = None
            return
        trainable = self.full_model.trainable_weights
        current = variable_arrays(trainable)
        assign_arrays(trainable, self.best.weights, "weights")
        try:
            self._save_best_now()
        finally:
            assign_arrays(trainable, current, "weights")

    def _save_best_now(self) -> None:
        started = time.perf_counter()
        save_model(self.full_model, self.best_path)
        finished = time.perf_counter()
        self._next_best_save = finished + BEST_SAVE_SPACING * (finished - started)
        self.best.weights = None


class ProgressCallback(KerasHooks):
    """A Keras callback: batch events, stop at batch ends (rolling the epoch back), records.

    `epoch_beginning(epoch)` runs before the epoch's data is read (it sets the data order);
    `time_spent` receives the phase's validation and epoch-record (checkpoint) times. An
    epoch's `EpochEnded` goes out once its record is on disk and before the next epoch's first
    `BatchEnded`: that batch's end waits for the record (normally long written) first.
    """

    def __init__(
        self,
        recorder: PhaseRecorder,
        steps: int,
        listener: Listener,
        stop: threading.Event,
        epoch_beginning: Callable[[int], None],
        time_spent: TimeSpent | None = None,
    ) -> None:
        super().__init__()
        self.recorder, self.steps, self.listener, self.stop = recorder, steps, listener, stop
        self.epoch_beginning = epoch_beginning
        self.spent = time_spent or TimeSpent()
        self.validation_part = f"{recorder.name}: validation"
        self.records_part = f"{recorder.name}: checkpoints, history, best saves"
        self.interrupted = False
        self.probe: HealthProbe | None = None  # set once the phase's optimizer is built
        self._epoch = 0
        self._started = 0.0
        self._test_started = 0.0
        self._announced = True  # the previous epoch's end went out (or there was none)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.recorder.training_started(self.model)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch_beginning(epoch)
        if self.probe is not None:
            self.probe.reset()
        self._epoch = epoch
        self._started = time.perf_counter()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self.probe is not None:
            self.probe.before_batch(batch)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._announced:  # the previous epoch's end comes before this epoch's batches
            with self.spent.part(self.records_part):
                self.recorder.settle()
            self._announced = True
        event = BatchEnded(self.recorder.phase, self._epoch, batch + 1, self.steps, floats(logs))
        self.listener(event)
        self._check_stop()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.probe is not None:
            self.probe.training_ended()
        with self.spent.part(self.records_part):
            self.recorder.settle()

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._check_stop()
        self._test_started = self.spent.clock()

    def on_test_end(self, logs: dict | None = None) -> None:
        self.spent.add(self.validation_part, self.spent.clock() - self._test_started)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._check_stop()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        seconds = time.perf_counter() - self._started
        self._check_stop()  # a stop lands before this epoch is recorded, as at a batch end
        if self.interrupted:  # roll the unfinished epoch back: model and history agree
            self.recorder.restore(self.model)
            return
        steps = self.probe.take() if self.probe is not None else None
        with self.spent.part(self.records_part):
            self.recorder.epoch_finished(self.model, epoch, floats(logs), seconds, steps)
        self._announced = False

    def _check_stop(self) -> None:
        if self.stop.is_set():
            self.interrupted = True
            self.model.stop_training = True
            self.model.stop_evaluating = True


def floats(logs: dict | None) -> dict[str, float]:
    return {key: float(value) for key, value in (logs or {}).items()}
