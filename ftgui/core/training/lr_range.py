"""The learning-rate range test, as fastai's `lr_find` runs it: from the phase's starting
state, one optimizer step per batch with the learning rate growing exponentially from
`START_LR` to `END_LR` over at most `MAX_STEPS` steps, stopping once the smoothed loss passes
`DIVERGED` times its minimum; the weights and the optimizer are put back afterwards.

Suggestions (fastai's `valley`, `minimum`, `steep`) are read from the smoothed losses with
fastai's trim (the first tenth of the planned steps and the last five dropped).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ftgui.core.errors import UserError
from ftgui.core.files import write_run_file

START_LR, END_LR, MAX_STEPS = 1e-7, 10.0, 100
DIVERGED = 4.0  # stop once the smoothed loss exceeds this multiple of its minimum
SMOOTHING = 0.98  # fastai's exponential moving average of the loss, bias-corrected
CURVE_FIELDS = ("lr", "loss", "smoothed_loss")
SUGGESTIONS = ("valley", "minimum/10", "steepest")


@dataclass(frozen=True)
class LrCurve:
    """The range test's steps: learning rate, the batch's loss, the smoothed loss."""

    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed: tuple[float, ...]

    def suggestions(self) -> dict[str, float]:
        """`valley`, `minimum/10` and `steepest` (fastai's three), in that order; all inside
        the tested range (minimum/10 of a minimum in the first steps is START_LR)."""
        lrs, losses = _trimmed(self.lrs, self.smoothed)
        if not lrs:
            raise UserError(
                "The learning-rate finder took no step (the phase has no training images)."
            )
        lowest = min(range(len(losses)), key=losses.__getitem__)
        return {
            "valley": lrs[_valley(losses)],
            "minimum/10": max(lrs[lowest] / 10, START_LR),  # never below the tested range
            "steepest": lrs[_steepest(lrs, losses)],
        }

    def write_table(self, out: TextIO, line_end: str = "\r\n") -> None:
        """`lr,loss,smoothed_loss`, then one row per step in full precision."""
        writer = csv.writer(out, lineterminator=line_end)
        writer.writerow(CURVE_FIELDS)
        for row in zip(self.lrs, self.losses, self.smoothed, strict=True):
            writer.writerow([repr(float(value)) for value in row])

    def write_csv(self, path: Path) -> None:
        """The table as a CSV file (replaced atomically)."""

        def write(partial: Path) -> None:
            with open(partial, "w", newline="", encoding="utf-8") as f:
                self.write_table(f)

        write_run_file(path, write)


def planned_lr(step: int, steps: int = MAX_STEPS) -> float:
    """The learning rate of step `step` (0-based) of `steps`: exponential, START_LR to END_LR."""
    return START_LR * (END_LR / START_LR) ** (step / max(steps - 1, 1))


def _trimmed(lrs: tuple[float, ...], losses: tuple[float, ...]) -> tuple[list[float], list[float]]:
    """fastai's window for suggestions: drop the first tenth of the planned steps and the last
    five; a short test (it diverged early) keeps everything."""
    start, end = MAX_STEPS // 10, len(lrs) - 5
    if end - start < 3:
        return list(lrs), list(losses)
    return list(lrs[start:end]), list(losses[start:end])


def _valley(losses: list[float]) -> int:
    """fastai's `valley`: two thirds down the longest strictly decreasing run of losses."""
    longest = [1] * len(losses)
    end = 0
    for i in range(1, len(losses)):
        for j in range(i):
            if losses[i] < losses[j] and longest[i] < longest[j] + 1:
                longest[i] = longest[j] + 1
        if longest[end] < longest[i]:
            end = i
    start = end - longest[end] + 1
    sections = (end - start) / 3
    return min(start + int(sections) + int(sections / 2), len(losses) - 1)


def _steepest(lrs: list[float], losses: list[float]) -> int:
    """fastai's `steep`: where the loss falls fastest against log(lr)."""
    if len(lrs) < 2:
        return 0
    slopes = [
        (losses[i + 1] - losses[i]) / (math.log(lrs[i + 1]) - math.log(lrs[i]))
        for i in range(len(lrs) - 1)
    ]
    return min(range(len(slopes)), key=slopes.__getitem__)


def range_test(
    model: Any,
    batches: Iterable[Any],
    stop: Callable[[], bool] = lambda: False,
    progress: Callable[[int], None] | None = None,
) -> LrCurve:
    """Run the test on a compiled `model` over `batches` ((x, y) pairs, repeated as needed);
    its trainable weights and optimizer state are the same afterwards."""
    import numpy as np

    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    weights = [np.array(v.numpy()) for v in model.trainable_weights]
    state = [np.array(v.numpy()) for v in optimizer.variables]
    rate = float(np.asarray(optimizer.learning_rate))
    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    average, best = 0.0, math.inf
    try:
        for step, (x, y) in enumerate(_repeated(batches)):
            if step >= MAX_STEPS or stop():
                break
            lr = planned_lr(step)
            optimizer.learning_rate = lr
            loss = float(np.asarray(model.train_on_batch(x, y, return_dict=True)["loss"]))
            average = SMOOTHING * average + (1 - SMOOTHING) * loss
            smooth = average / (1 - SMOOTHING ** (step + 1))
            lrs.append(lr)
            losses.append(loss)
            smoothed.append(smooth)
            if progress is not None:
                progress(step + 1)
            best = min(best, smooth)
            if not math.isfinite(smooth) or smooth > DIVERGED * best:
                break
    finally:
        for variable, value in zip(model.trainable_weights, weights, strict=True):
            variable.assign(value)
        for variable, value in zip(optimizer.variables, state, strict=True):
            variable.assign(value)
        optimizer.learning_rate = rate
    return LrCurve(tuple(lrs), tuple(losses), tuple(smoothed))


def _repeated(batches: Iterable[Any]) -> Iterable[Any]:
    """The batches over and over (an epoch can be shorter than the test)."""
    while True:
        empty = True
        for batch in batches:
            empty = False
            yield batch
        if empty:
            return
