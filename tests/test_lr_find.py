"""The learning-rate finder: fastai's schedule and suggestions, the range test restoring the
model, and `python main.py lr-find` on a finished run's settings leaving that run untouched."""

from __future__ import annotations

import hashlib
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from ftgui.core.training.lr_range import (
    CURVE_FIELDS,
    END_LR,
    MAX_STEPS,
    START_LR,
    LrCurve,
    _steepest,
    _valley,
    planned_lr,
)
from tests.commands import ftgui, ftgui_here


def test_the_rate_grows_exponentially_from_1e_7_to_10() -> None:
    rates = [planned_lr(step) for step in range(MAX_STEPS)]
    assert rates[0] == pytest.approx(START_LR) and rates[-1] == pytest.approx(END_LR)
    ratios = {round(b / a, 9) for a, b in itertools.pairwise(rates)}
    assert len(ratios) == 1 and ratios.pop() > 1


def test_valley_is_two_thirds_down_the_longest_descent() -> None:
    losses = [5.0, 6.0, 4.0, 3.0, 2.0, 1.5, 1.0, 0.9, 3.0, 9.0]
    # longest strictly decreasing run: 6.0 → … → 0.9 (indices 1..7, 7 points); fastai's index
    start, end = 1, 7
    sections = (end - start) / 3
    assert _valley(losses) == start + int(sections) + int(sections / 2) == 4


def test_steepest_is_the_fastest_fall_against_log_lr() -> None:
    lrs = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    losses = [2.0, 1.9, 1.0, 0.9, 5.0]
    assert _steepest(lrs, losses) == 1  # from 1e-4 to 1e-3 the loss falls most


def test_suggestions_come_from_the_trimmed_smoothed_curve() -> None:
    """A bowl over 100 steps: minimum/10 is a tenth of the rate at the lowest point; valley and
    steepest lie before it; all three inside the tested range."""
    lrs = tuple(planned_lr(step) for step in range(MAX_STEPS))
    smoothed = tuple((math.log10(lr) + 3) ** 2 + 1 for lr in lrs)  # lowest at 1e-3
    curve = LrCurve(lrs, smoothed, smoothed)
    found = curve.suggestions()
    assert list(found) == ["valley", "minimum/10", "steepest"]
    assert found["minimum/10"] == pytest.approx(1e-4, rel=0.2)
    assert START_LR <= found["steepest"] <= found["valley"] <= 1e-3 * 1.2
    assert all(START_LR <= value <= END_LR for value in found.values())


def test_the_curve_is_written_as_lr_loss_smoothed_loss(tmp_path: Path) -> None:
    LrCurve((1e-7, 1e-6), (2.0, 1.5), (2.0, 1.75)).write_csv(tmp_path / "lr.csv")
    lines = (tmp_path / "lr.csv").read_text().splitlines()
    assert lines == [",".join(CURVE_FIELDS), "1e-07,2.0,2.0", "1e-06,1.5,1.75"]


@pytest.mark.slow
def test_the_range_test_stops_on_divergence_and_puts_the_model_back() -> None:
    import keras

    from ftgui.core.training.lr_range import range_test

    keras.utils.set_random_seed(1)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(inputs))
    model.compile(keras.optimizers.Adam(3e-4), keras.losses.SparseCategoricalCrossentropy(True))
    model.optimizer.build(model.trainable_variables)
    weights = [v.numpy().copy() for v in model.trainable_weights]
    state = [v.numpy().copy() for v in model.optimizer.variables]
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    batches = [(x[:8], np.arange(8) % 2), (x[8:], np.arange(8) % 2)]  # repeated as needed
    curve = range_test(model, batches)
    assert 3 < len(curve.lrs) <= MAX_STEPS
    assert list(curve.lrs) == sorted(curve.lrs) and curve.lrs[0] == pytest.approx(START_LR)
    if len(curve.lrs) < MAX_STEPS:  # ended by divergence: the last smoothed loss is > 4× the least
        assert curve.smoothed[-1] > 4 * min(curve.smoothed) or not math.isfinite(curve.smoothed[-1])
    for variable, value in zip(model.trainable_weights, weights, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)
    for variable, value in zip(model.optimizer.variables, state, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(3e-4)


def _digests(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_lr_find_of_phase_2_prints_the_curve_and_three_suggestions(cats_run, tmp_path) -> None:
    """On a finished run's settings (`--config RUN/config.json`): phase 1 trains again in a
    temporary folder, the run folder is untouched, stdout is the CSV then the suggestions."""
    before = _digests(cats_run)
    out = tmp_path / "curve.csv"
    result = ftgui("lr-find", "--config", str(cats_run / "config.json"), "--phase", "2",
                   "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _digests(cats_run) == before
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "lr,loss,smoothed_loss"
    table = [line for line in lines[1:] if not line.startswith("suggestion")]
    lrs = [float(line.split(",")[0]) for line in table]
    assert len(lrs) >= 10 and lrs == sorted(lrs) and len(set(lrs)) == len(lrs)
    suggestions = [line.split("\t") for line in lines if line.startswith("suggestion")]
    assert [name for _, name, _ in suggestions] == ["valley", "minimum/10", "steepest"]
    assert lines[-3:] == ["\t".join(s) for s in suggestions]  # after the table
    assert all(1e-7 <= float(lr) <= 10 for _, _, lr in suggestions)
    assert out.read_text().splitlines() == lines[: len(table) + 1]
    assert "Range test of phase 2 'Fine-tune'" in result.stderr
    assert "cached frozen-layer outputs" in result.stderr


def test_a_phase_the_configuration_lacks_is_one_sentence(capsys, small_book_dataset) -> None:
    result = ftgui_here(capsys, "lr-find", "--data", str(small_book_dataset), "--phase", "3")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ftgui: error: --phase 3 is not a phase of this configuration: it has 2 (choose 1–2)."
    )


def test_a_minimum_at_the_start_still_suggests_a_rate_inside_the_range() -> None:
    """A loss that only rises (the rate was too high from the first steps): fastai's minimum/10
    would fall below 1e-7; it is clamped to the range's start."""
    lrs = tuple(planned_lr(step) for step in range(MAX_STEPS))
    rising = tuple(1.0 + step for step in range(MAX_STEPS))
    found = LrCurve(lrs, rising, rising).suggestions()
    assert found["minimum/10"] == START_LR
    assert all(START_LR <= value <= END_LR for value in found.values())
