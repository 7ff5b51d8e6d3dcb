"""The time left in a run, from each phase's own measured speed (no Qt: tests need no window)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ftgui.core.events import PhaseOutline


class RemainingTime:
    """Seconds left in a run from each phase's own measured seconds per batch (no Qt here).

    A phase not measured yet takes the rate of a measured phase that trains the same layers;
    failing that, of the one whose trainable parameter count is nearest, and the estimate is
    marked a guess (a phase on cached frozen-layer outputs runs many times faster than one
    that passes every image through the convolutional base).
    """

    def __init__(self, outlines: Sequence[PhaseOutline]) -> None:
        self.outlines = list(outlines)
        self.seconds = [0.0] * len(self.outlines)
        self.batches = [0] * len(self.outlines)
        self._tick: tuple[float, int, int] | None = None  # (clock, phase, run batches done)

    def starts(self, phase: int) -> int:
        """Batches of the run before `phase`."""
        return sum(p.epochs * p.steps_per_epoch for p in self.outlines[:phase])

    def total(self) -> int:
        return self.starts(len(self.outlines))

    def replayed(self, phase: int, seconds: float) -> None:
        """An epoch finished before a resume, timed in history.csv."""
        if phase < len(self.outlines) and seconds > 0:
            self.seconds[phase] += seconds
            self.batches[phase] += self.outlines[phase].steps_per_epoch

    def pause(self) -> None:
        """Time until the next batch (setup, cached features) is no phase's batch time."""
        self._tick = None

    def batch_ended(self, phase: int, done: int, now: float) -> None:
        """`done` batches of the run are done at `now`; a phase's first batch only starts the
        clock (it carries tracing and set-up)."""
        tick = self._tick
        if tick is not None and tick[1] == phase and done > tick[2]:
            self.seconds[phase] += now - tick[0]
            self.batches[phase] += done - tick[2]
        self._tick = (now, phase, done)

    def rate(self, phase: int) -> tuple[float | None, bool]:
        """(seconds per batch, guessed) for `phase`; None when no phase was measured."""
        if self.batches[phase]:
            return self.seconds[phase] / self.batches[phase], False
        measured = [i for i, n in enumerate(self.batches) if n]
        if not measured:
            return None, True
        kind = self._kind(phase)
        same = [i for i in measured if self._kind(i) == kind]
        if same:
            nearest, guessed = max(same, key=lambda i: self.batches[i]), False
        else:
            nearest, guessed = min(measured, key=lambda i: self._distance(i, phase)), True
        return self.seconds[nearest] / self.batches[nearest], guessed

    def _kind(self, phase: int) -> tuple[int, int]:
        outline = self.outlines[phase]
        return outline.trainable_params, outline.non_trainable_params

    def _distance(self, one: int, other: int) -> float:
        a, b = (max(self.outlines[i].trainable_params, 1) for i in (one, other))
        return abs(math.log(a / b))

    def left(self, done: int, now: float) -> tuple[float | None, bool]:
        """(seconds left, guessed) once `done` batches of the run are done, at `now`."""
        total, guessed = 0.0, False
        for phase, outline in enumerate(self.outlines):
            start = self.starts(phase)
            planned = outline.epochs * outline.steps_per_epoch
            remaining = planned - min(max(done - start, 0), planned)
            if not remaining:
                continue
            rate, guess = self.rate(phase)
            if rate is None:
                return None, True
            total, guessed = total + remaining * rate, guessed or guess
            if self._tick is not None and self._tick[2] == done and start <= done < start + planned:
                total -= min(now - self._tick[0], rate)  # part of the next batch is done
        return max(total, 0.0), guessed
