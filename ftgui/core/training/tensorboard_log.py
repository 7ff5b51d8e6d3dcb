"""TensorBoard event files of a run (`--tensorboard`): one epoch axis across every phase.

One writer for the whole run in `RUN/tensorboard/`. Step = the run's epoch number (1-based), so
phase 2 of the book's 30 + 100 epochs starts at step 31; each phase leaves a text summary at its
first step. Keras's TensorBoard callback is not used: it restarts its step at every `fit`.

`tf.summary.scalar` and `tf.summary.text` refuse to run without the `tensorboard` package; the
same records are written here with `tf.summary.write` and the plugins' metadata, so training
needs only TensorFlow (viewing needs `pip install tensorboard`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ftgui.core.events import HealthMeasured
from ftgui.core.settings.config import PhaseConfig

TENSORBOARD_DIR = "tensorboard"
EPOCH_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
PHASE_TAG = "phases"


def epoch_tag(metric: str) -> str:
    """The scalar's tag: `epoch/loss`, `epoch/val_accuracy`…"""
    return f"epoch/{metric}"


def health_tag(layer: str) -> str:
    """The scalar's tag of a layer's update ratio: `update_ratio/block5_conv1`…"""
    return f"update_ratio/{layer}"


def first_steps(phases: Sequence[PhaseConfig]) -> list[int]:
    """The step of each phase's first epoch (1-based run epoch numbers)."""
    steps, done = [], 0
    for phase in phases:
        steps.append(done + 1)
        done += phase.epochs
    return steps


def phase_text(index: int, phases: Sequence[PhaseConfig]) -> str:
    """Markdown naming the phase, its run epochs, optimizer, learning rate and trainable layers."""
    phase = phases[index]
    first = first_steps(phases)[index]
    layers = (
        ", ".join(phase.trainable_layers) + " and the classifier (the rest of the base frozen)"
        if phase.trainable_layers
        else "the classifier only (the conv base frozen)"
    )
    return (
        f"### Phase {index + 1} of {len(phases)}: {phase.name}\n\n"
        f"Run epochs {first}–{first + phase.epochs - 1} ({phase.epochs} epochs); "
        f"optimizer {phase.optimizer}, learning rate {phase.learning_rate:g}.\n\n"
        f"Trainable layers: {layers}."
    )


class TensorBoardLog:
    """Writes each finished epoch's metrics (and a phase's text at its first epoch), flushed at
    once so a killed run keeps what finished. Epochs replayed on resume are never passed here."""

    def __init__(self, directory: Path, phases: Sequence[PhaseConfig]) -> None:
        import tensorflow as tf

        self.directory = directory
        self._phases = list(phases)
        self._first_steps = first_steps(self._phases)
        self._writer = tf.summary.create_file_writer(str(directory))

    def epoch_finished(self, phase: int, epoch: int, logs: Mapping[str, float]) -> None:
        """Record epoch `epoch` (0-based) of phase `phase` at its run step."""
        step = self._first_steps[phase] + epoch
        if epoch == 0:
            self._write_text(PHASE_TAG, phase_text(phase, self._phases), step)
        for metric in EPOCH_METRICS:
            if metric in logs:
                self._write_scalar(epoch_tag(metric), logs[metric], step)
        self._writer.flush()

    def layer_health(self, measured: HealthMeasured) -> None:
        """Each layer's update ratio as `update_ratio/<layer>` at the epoch's run step."""
        step = self._first_steps[measured.phase] + measured.epoch
        for row in measured.layers:
            self._write_scalar(health_tag(row.layer), row.update_ratio, step)
        self._writer.flush()

    def test_metrics(self, metrics: Mapping[str, float]) -> None:
        """The test split's metrics as `test/<name>` at the run's last step."""
        step = sum(phase.epochs for phase in self._phases)
        for name, value in metrics.items():
            self._write_scalar(f"test/{name}", value, step)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def _write_scalar(self, tag: str, value: float, step: int) -> None:
        import tensorflow as tf

        with self._writer.as_default():
            tf.summary.write(tag, tf.constant(value, tf.float32), step, _metadata("scalars"))

    def _write_text(self, tag: str, text: str, step: int) -> None:
        import tensorflow as tf

        with self._writer.as_default():
            tf.summary.write(tag, tf.constant(text), step, _metadata("text"))


def _metadata(plugin: str) -> Any:
    """What TensorBoard's own scalar and text summaries attach (their plugin data, version 0,
    serialises to nothing)."""
    import tensorflow as tf

    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = plugin
    return metadata


def open_tensorboard_log(run_dir: Path, phases: Sequence[PhaseConfig]) -> TensorBoardLog:
    """The run's log in `run_dir/tensorboard/` (a resumed run adds a new event file there)."""
    return TensorBoardLog(run_dir / TENSORBOARD_DIR, phases)
