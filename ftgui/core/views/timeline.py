"""Numbers behind the live curves: growing buffers per phase, smoothing, best epochs (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SMOOTHING = 0.8  # the book's smooth_curve factor


class GrowingArray:
    """A float array that doubles its capacity when full; `view()` is the filled part."""

    def __init__(self, capacity: int = 256) -> None:
        self._data = np.empty(capacity, dtype=np.float64)
        self._size = 0

    def append(self, value: float) -> None:
        if self._size == len(self._data):
            self._data = np.resize(self._data, 2 * len(self._data))
        self._data[self._size] = value
        self._size += 1

    def view(self) -> np.ndarray:
        return self._data[: self._size]

    def __len__(self) -> int:
        return self._size


def smooth_curve(points: np.ndarray, factor: float = SMOOTHING) -> np.ndarray:
    """The book's exponential moving average (listing 5.23)."""
    smoothed = np.empty_like(points)
    for i, point in enumerate(points):
        smoothed[i] = smoothed[i - 1] * factor + point * (1 - factor) if i else point
    return smoothed


METRICS = ("loss", "accuracy")


@dataclass
class PhaseSeries:
    """Everything plotted for one phase; x is in epochs on the run's continuous timeline."""

    name: str
    start: float  # x where the phase begins
    epochs: int
    batch_x: GrowingArray = field(default_factory=GrowingArray)
    batch: dict[str, GrowingArray] = field(
        default_factory=lambda: {m: GrowingArray() for m in METRICS}
    )
    epoch_x: GrowingArray = field(default_factory=lambda: GrowingArray(32))
    train: dict[str, GrowingArray] = field(
        default_factory=lambda: {m: GrowingArray(32) for m in METRICS}
    )
    val: dict[str, GrowingArray] = field(
        default_factory=lambda: {m: GrowingArray(32) for m in METRICS}
    )

    def add_batch(self, epoch: int, batch: int, steps: int, logs: dict[str, float]) -> None:
        self.batch_x.append(self.start + epoch + batch / steps)
        for metric in METRICS:
            self.batch[metric].append(logs.get(metric, np.nan))

    def add_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch_x.append(self.start + epoch + 1)
        for metric in METRICS:
            self.train[metric].append(logs.get(metric, np.nan))
            self.val[metric].append(logs.get("val_" + metric, np.nan))

    def best_epoch(self) -> int | None:
        """Index of the epoch saved as the phase's best model: the first lowest validation loss
        (the same rule as the run's best_<n>_<phase>.keras), marked on every plot."""
        values = self.val["loss"].view()
        if not len(values) or np.all(np.isnan(values)):
            return None
        return int(np.nanargmin(values))


class Timeline:
    """The phases of one run laid end to end (planned epochs set each phase's band)."""

    def __init__(self) -> None:
        self.phases: list[PhaseSeries] = []

    def start_phase(self, name: str, epochs: int) -> PhaseSeries:
        start = self.phases[-1].start + self.phases[-1].epochs if self.phases else 0.0
        self.phases.append(PhaseSeries(name, start, max(epochs, 0)))
        return self.phases[-1]


def stagger_rows(spans: list[tuple[float, float]], gap: float = 4.0) -> list[int]:
    """A row per (left, right) span, taken left to right: the first row where it clears the
    previous span by `gap` (phase labels that would overlap go one row down)."""
    ends: list[float] = []
    rows = []
    for left, right in spans:
        row = next((r for r, end in enumerate(ends) if end + gap <= left), len(ends))
        if row == len(ends):
            ends.append(right)
        else:
            ends[row] = right
        rows.append(row)
    return rows
