"""`--tensorboard`: event files on one epoch axis across phases, read with TensorBoard's reader."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QCheckBox

from ftgui.cli.args import config_from_args
from ftgui.cli.train import train_parser
from ftgui.core.events import EpochEnded, HealthMeasured
from ftgui.core.run.whole_run import run
from ftgui.core.settings.config import RunConfig, book_phases
from ftgui.core.settings.fields import RUN
from ftgui.core.training.health_file import read_health
from ftgui.core.training.run_folder import read_history
from ftgui.core.training.tensorboard_log import (
    EPOCH_METRICS,
    PHASE_TAG,
    TENSORBOARD_DIR,
    epoch_tag,
    first_steps,
    health_tag,
    phase_text,
)
from ftgui.gui.train.settings_panel import SettingsPanel
from tests.commands import ftgui
from tests.images import make_book_dataset

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator",
    reason="the test extra installs tensorboard (pip install -e '.[test]')",
)
from tensorboard.util import tensor_util  # noqa: E402  (after the importorskip)

pytestmark = pytest.mark.slow  # every test here reads a run trained for this module


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tb") / "data"
    return make_book_dataset(root, classes=("cats", "dogs"), per_split=(8, 4, 4))


def _config(data: Path, out: Path, tensorboard: bool = True, epochs=(2, 2)) -> RunConfig:
    config = RunConfig(
        data_dir=str(data),
        out_dir=str(out),
        weights="none",
        image_size=32,
        batch_size=8,
        seed=5,
        tensorboard=tensorboard,
    )
    for phase, count in zip(config.phases, epochs, strict=True):
        phase.epochs, phase.learning_rate = count, 1e-3
    return config


@pytest.fixture(scope="module")
def finished(dataset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tb-run") / "run"
    run(_config(dataset, out), lambda event: None)
    return out


def _read(run_dir: Path):
    """TensorBoard's own reader over every event file in RUN/tensorboard/."""
    accumulator = event_accumulator.EventAccumulator(
        str(run_dir / TENSORBOARD_DIR), size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    return accumulator


def _values(accumulator, tag: str) -> list[tuple[int, object]]:
    return [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in accumulator.Tensors(tag)]


def _assert_matches_history(run_dir: Path) -> None:
    """Steps 1..4 once each, on one axis, equal to history.csv's rows."""
    accumulator = _read(run_dir)
    rows = read_history(run_dir / "history.csv")
    assert len(rows) == 4
    for metric in EPOCH_METRICS:
        tag = epoch_tag(metric)
        assert accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"
        points = _values(accumulator, tag)
        assert [step for step, _ in points] == [1, 2, 3, 4], tag
        for (_, value), row in zip(points, rows, strict=True):
            assert float(value) == pytest.approx(float(row[metric]), abs=1e-6), tag


def test_every_epoch_is_a_scalar_on_one_step_axis_equal_to_history(finished):
    _assert_matches_history(finished)


def test_each_phase_leaves_its_name_layers_and_rate_at_its_first_step(finished):
    accumulator = _read(finished)
    assert accumulator.SummaryMetadata(PHASE_TAG).plugin_data.plugin_name == "text"
    texts = _values(accumulator, PHASE_TAG)
    assert [step for step, _ in texts] == [1, 3]
    first, second = (value.item().decode() for _, value in texts)
    assert "Phase 1 of 2: Train classifier" in first
    assert "the classifier only" in first and "rmsprop, learning rate 0.001" in first
    assert "Phase 2 of 2: Fine-tune" in second and "Run epochs 3–4" in second
    assert "block5_conv1, block5_conv2, block5_conv3, block5_pool and the classifier" in second
    assert "block4_conv3" not in second


def test_the_test_metrics_sit_at_the_last_step(finished):
    accumulator = _read(finished)
    points = _values(accumulator, "test/accuracy")
    assert [step for step, _ in points] == [4]
    assert 0.0 <= float(points[0][1]) <= 1.0


def test_a_resumed_run_continues_the_axis_without_writing_finished_epochs_twice(dataset, tmp_path):
    out, stop = tmp_path / "run", threading.Event()

    def stop_after_phase_2_epoch_1(event: object) -> None:
        if isinstance(event, EpochEnded) and (event.phase, event.epoch) == (1, 0):
            stop.set()

    assert run(_config(dataset, out), stop_after_phase_2_epoch_1, stop).stopped
    run(_config(dataset, out), lambda event: None, resume=True)
    assert len(list((out / TENSORBOARD_DIR).iterdir())) == 2  # one event file per session
    _assert_matches_history(out)
    assert [step for step, _ in _values(_read(out), PHASE_TAG)] == [1, 3]


def test_without_the_flag_there_is_no_tensorboard_folder(cats_run):
    """The shared finished run (conftest `cats_run`), trained without the flag."""
    assert RunConfig.load(cats_run / "config.json").tensorboard is False
    assert len(read_history(cats_run)) == 2
    assert not (cats_run / TENSORBOARD_DIR).exists()


def test_the_book_recipe_starts_fine_tuning_at_step_31():
    phases = book_phases()
    assert first_steps(phases) == [1, 31]
    text = phase_text(1, phases)
    assert "Fine-tune" in text and "Run epochs 31–130 (100 epochs)" in text
    assert "learning rate 1e-05" in text


def test_the_flag_is_in_help_and_in_config_json(tmp_path):
    result = ftgui("train", "--help")
    assert result.returncode == 0, result.stderr
    assert "--tensorboard" in result.stdout
    config = config_from_args(train_parser().parse_args(["--data", "d", "--tensorboard"]))
    assert config.tensorboard is True
    assert RunConfig().to_dict()["tensorboard"] is False


def test_the_window_has_an_unchecked_tensorboard_box(qtbot):
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    box = panel.fields["tensorboard"]
    assert isinstance(box, QCheckBox) and not box.isChecked()
    assert box.toolTip() == RUN["tensorboard"].help and "TensorBoard" in box.text()
    panel.load(RunConfig(data_dir="d", tensorboard=True))
    assert box.isChecked()
    shown = RunConfig()
    panel.apply_to(shown)
    assert shown.tensorboard is True


def test_values_are_float32_scalars(finished):
    value = _values(_read(finished), epoch_tag("loss"))[0][1]
    assert value.shape == () and value.dtype == np.float32


def test_each_layers_update_ratio_is_a_scalar_equal_to_layer_health_csv(finished):
    accumulator = _read(finished)
    rows = read_health(finished)
    for layer in ("dense", "predictions", "block5_conv1", "block5_conv3"):
        points = _values(accumulator, health_tag(layer))
        mine = [r for r in rows if r.layer == layer]
        steps = [1 + 2 * r.phase + r.epoch for r in mine]  # 2 + 2 epochs on one axis
        assert [step for step, _ in points] == steps, layer
        for (_, value), row in zip(points, mine, strict=True):
            assert float(value) == pytest.approx(row.update_ratio, rel=1e-6)
    assert [s for s, _ in _values(accumulator, health_tag("block5_conv1"))] == [3, 4]


def test_a_resumed_runs_layer_health_equals_the_uninterrupted_runs(dataset, tmp_path, finished):
    """Stopped after phase 1, resumed: no epoch's rows twice, and the same numbers as the run
    that was never stopped (the sampled steps follow the restored optimizer's iterations)."""
    out, stop = tmp_path / "run", threading.Event()

    def stop_after_phase_1(event: object) -> None:
        if isinstance(event, EpochEnded) and (event.phase, event.epoch) == (0, 1):
            stop.set()

    assert run(_config(dataset, out, tensorboard=False), stop_after_phase_1, stop).stopped
    replayed: list[HealthMeasured] = []
    run(_config(dataset, out, tensorboard=False), replayed.append, resume=True)
    resumed, whole = read_health(out), read_health(finished)
    assert [(r.phase, r.epoch, r.layer) for r in resumed] == [
        (r.phase, r.epoch, r.layer) for r in whole
    ]
    for mine, theirs in zip(resumed, whole, strict=True):
        assert mine.weight_norm == pytest.approx(theirs.weight_norm, rel=1e-6)
        assert mine.update_ratio == pytest.approx(theirs.update_ratio, rel=1e-5)
        assert mine.grad_norm == pytest.approx(theirs.grad_norm, rel=1e-5)
    events = [e for e in replayed if isinstance(e, HealthMeasured)]
    assert [(e.phase, e.epoch, e.replayed) for e in events] == [
        (0, 0, True), (0, 1, True), (1, 0, False), (1, 1, False),
    ]  # fmt: skip
