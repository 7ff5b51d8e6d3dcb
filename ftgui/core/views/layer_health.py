"""Numbers behind the layer table's Health column (no Qt): each layer's measured health by
phase and epoch, its latest value, its update ratios on the run's timeline, and their words."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ftgui.core.events import LayerHealth
from ftgui.core.training.health_bands import BANDS, band_of

BAR_LOW, BAR_HIGH = 1e-6, 1.0  # the bar's log scale: empty at BAR_LOW, full at BAR_HIGH


@dataclass(frozen=True)
class RatioSeries:
    """One layer's update ratio at every measured epoch, in run order (x: the run epoch,
    1-based, on the curves' timeline: each phase starts after the previous phase's epochs)."""

    x: list[float]
    ratio: list[float]
    phase: list[int]


class HealthHistory:
    """The health of a run's layers as it arrives (a resent epoch replaces its rows); the
    phases' names and planned epochs lay the epochs out on one timeline."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._rows: dict[tuple[int, int, str], LayerHealth] = {}
        self._latest: dict[str, dict[int, LayerHealth]] = {}  # layer -> phase -> latest
        self._phases: dict[int, tuple[str, int]] = {}  # phase -> (name, planned epochs)

    def __bool__(self) -> bool:
        return bool(self._rows)

    def plan_phase(self, phase: int, name: str, epochs: int) -> None:
        """A phase's name and planned epochs (from RunStarted or PhaseStarted)."""
        self._phases[phase] = (name, max(epochs, 0))

    def add(self, rows: Iterable[LayerHealth]) -> None:
        for row in rows:
            self._rows[(row.phase, row.epoch, row.layer)] = row
            by_phase = self._latest.setdefault(row.layer, {})
            kept = by_phase.get(row.phase)
            if kept is None or kept.epoch <= row.epoch:
                by_phase[row.phase] = row

    def has(self, layer: str) -> bool:
        return layer in self._latest

    def latest(self, layer: str, phase: int | None = None) -> LayerHealth | None:
        """The layer's last measured epoch in `phase`; in the latest phase that measured it
        when `phase` is None or has none."""
        by_phase = self._latest.get(layer)
        if not by_phase:
            return None
        if phase in by_phase:
            return by_phase[phase]
        return by_phase[max(by_phase)]

    def phase_name(self, phase: int) -> str:
        """The phase's name, or "" when no event named it."""
        return self._phases.get(phase, ("", 0))[0]

    def phase_starts(self) -> list[tuple[int, float]]:
        """Each known phase (planned or measured) with the x where it starts."""
        phases = set(self._phases) | {phase for phase, _, _ in self._rows}
        starts, x = [], 0.0
        for phase in range(max(phases, default=-1) + 1):
            if phase in phases:
                starts.append((phase, x))
            x += self._extent(phase)
        return starts

    def extent(self) -> float:
        """Where the timeline ends: every planned (or measured) epoch."""
        return sum(self._extent(phase) for phase, _ in self.phase_starts())

    def series(self, layer: str) -> RatioSeries:
        starts = dict(self.phase_starts())
        rows = sorted(
            (row for row in self._rows.values() if row.layer == layer),
            key=lambda row: (row.phase, row.epoch),
        )
        return RatioSeries(
            [starts[row.phase] + row.epoch + 1 for row in rows],
            [row.update_ratio for row in rows],
            [row.phase for row in rows],
        )

    def _extent(self, phase: int) -> int:
        """A phase's planned epochs, or the epochs it measured when its plan is unknown."""
        if phase in self._phases:
            return self._phases[phase][1]
        return max((epoch + 1 for p, epoch, _ in self._rows if p == phase), default=0)


def ratio_text(ratio: float) -> str:
    """An update ratio as the column writes it: "3.2e-04"."""
    return f"{ratio:.1e}"


def bar_fraction(ratio: float) -> float:
    """How much of the bar a ratio fills, on a log scale from BAR_LOW (0) to BAR_HIGH (1)."""
    if not ratio > 0:  # zero, negative or NaN
        return 0.0
    span = math.log10(BAR_HIGH) - math.log10(BAR_LOW)
    return min(max((math.log10(ratio) - math.log10(BAR_LOW)) / span, 0.0), 1.0)


def band_words(ratio: float) -> str:
    """The band and its meaning: "healthy (1e-04 to 1e-02)"."""
    band = band_of(ratio)
    meaning = dict(BANDS)[band]
    return f"{band} ({meaning})"


def health_tooltip(row: LayerHealth, phase_name: str) -> str:
    """Everything measured for a layer at one epoch, and what its ratio means."""
    return (
        f"{row.layer}: phase {row.phase + 1}{f' ({phase_name})' if phase_name else ''}, "
        f"epoch {row.epoch + 1}\n"
        f"update ratio per step {ratio_text(row.update_ratio)}: {band_words(row.update_ratio)}\n"
        f"weight norm {row.weight_norm:.4g} · gradient norm {row.grad_norm:.4g}\n"
        "Click the layer to see its ratio across epochs."
    )
