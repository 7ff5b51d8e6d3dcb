"""The report's figures as inline SVG: the curves on one timeline with phase bands, and the
reliability diagram before and after calibration. Plain strings, no plotting library."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from ftgui.core.analysis.calibration import Bin

TRAIN, VALIDATION = "#1f77b4", "#ff7f0e"
BEFORE, AFTER = "#d62728", "#2ca02c"
BANDS = ("#f4f6fb", "#fbf6ef")
WIDTH, HEIGHT = 440, 250
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 30, 38


def _svg(body: list[str], title: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round numbers from low to high."""
    span = high - low or 1.0
    step = 10 ** math.floor(math.log10(span / count))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= count:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(int((high - first) / step + 1e-9) + 1)]


class _Frame:
    """Maps data to the plot area of one panel and draws its axes."""

    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range

    def x(self, value: float) -> float:
        share = (value - self.x0) / ((self.x1 - self.x0) or 1.0)
        return LEFT + share * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        share = (value - self.y0) / ((self.y1 - self.y0) or 1.0)
        return HEIGHT - BOTTOM - share * (HEIGHT - TOP - BOTTOM)

    def axes(self, x_label: str, y_label: str, x_ticks: Sequence[float]) -> list[str]:
        parts = [
            f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
            f'height="{HEIGHT - TOP - BOTTOM}" fill="none" stroke="#888"/>'
        ]
        for value in _ticks(self.y0, self.y1):
            y = self.y(value)
            parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="#ddd"/><text x="{LEFT - 5}" y="{y + 4:.1f}" '
                f'text-anchor="end">{value:g}</text>'
            )
        for value in x_ticks:
            x = self.x(value)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">'
                f"{value:g}</text>"
            )
        parts.append(
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
            f'<text x="14" y="{(TOP + HEIGHT - BOTTOM) / 2}" text-anchor="middle" '
            f'transform="rotate(-90 14 {(TOP + HEIGHT - BOTTOM) / 2})">{escape(y_label)}</text>'
        )
        return parts

    def line(self, points: Sequence[tuple[float, float]], colour: str, dash: str = "") -> str:
        kept = [(x, y) for x, y in points if not (math.isnan(x) or math.isnan(y))]
        if not kept:
            return ""
        path = " ".join(f"{self.x(x):.1f},{self.y(y):.1f}" for x, y in kept)
        dots = "".join(
            f'<circle cx="{self.x(x):.1f}" cy="{self.y(y):.1f}" r="2.5" fill="{colour}"/>'
            for x, y in kept
        )
        style = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.8"{style}/>'
            + dots
        )


def _legend(entries: Sequence[tuple[str, str]], x: float = LEFT + 8) -> str:
    parts = []
    for name, colour in entries:
        parts.append(
            f'<rect x="{x:.0f}" y="10" width="14" height="4" fill="{colour}"/>'
            f'<text x="{x + 18:.0f}" y="15">{escape(name)}</text>'
        )
        x += 24 + 6.5 * len(name)
    return "".join(parts)


def curve_svg(rows: Sequence[dict], metric: str, title: str) -> str:
    """`metric` (loss or accuracy) and its validation twin per run epoch, phases as bands."""
    epochs = list(range(1, len(rows) + 1))
    values = [float(row[key]) for row in rows for key in (metric, f"val_{metric}")]
    finite = [v for v in values if not math.isnan(v)] or [0.0, 1.0]
    y_range = (0.0, 1.0) if metric == "accuracy" else (0.0, max(finite) * 1.05 or 1.0)
    frame = _Frame((0.5, len(rows) + 0.5), y_range)
    body = [_bands(rows, frame)]
    epoch_ticks = [t for t in _ticks(1, max(len(rows), 1)) if t == int(t)]
    body += frame.axes("epoch (whole run)", metric, epoch_ticks)
    body.append(
        frame.line([(e, float(r[metric])) for e, r in zip(epochs, rows, strict=True)], TRAIN)
    )
    body.append(
        frame.line(
            [(e, float(r[f"val_{metric}"])) for e, r in zip(epochs, rows, strict=True)], VALIDATION
        )
    )
    body.append(_legend([("train", TRAIN), ("validation", VALIDATION)]))
    return _svg(body, title)


def _bands(rows: Sequence[dict], frame: _Frame) -> str:
    """One shaded band per phase across its epochs, named at its top."""
    parts, start = [], 1
    for index, (phase, name) in enumerate(_phases(rows)):
        count = sum(1 for row in rows if row["phase"] == phase)
        x0, x1 = frame.x(start - 0.5), frame.x(start + count - 0.5)
        parts.append(
            f'<rect x="{x0:.1f}" y="{TOP}" width="{x1 - x0:.1f}" height="{HEIGHT - TOP - BOTTOM}" '
            f'fill="{BANDS[index % 2]}"/><text x="{x0 + 4:.1f}" y="{TOP + 13 + 12 * (index % 2)}" '
            f'fill="#555">{escape(f"{phase}. {name}")}</text>'
        )
        start += count
    return "".join(parts)


def _phases(rows: Sequence[dict]) -> list[tuple[int, str]]:
    seen: dict[int, str] = {}
    for row in rows:
        seen.setdefault(int(row["phase"]), str(row["phase_name"]))
    return list(seen.items())


def reliability_svg(bins: Sequence[Bin], title: str) -> str:
    """Accuracy against mean confidence per bin, before and after calibration, and the
    diagonal of perfect calibration; a dot's area follows its bin's image count."""
    frame = _Frame((0.0, 1.0), (0.0, 1.0))
    body = frame.axes("confidence", "accuracy", [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    body.append(frame.line([(0.0, 0.0), (1.0, 1.0)], "#999", dash="4 3"))
    total = max(sum(b.count for b in bins), 1)
    for colour, pick in (
        (BEFORE, lambda b: (b.count, b.confidence, b.accuracy)),
        (AFTER, lambda b: (b.count_calibrated, b.confidence_calibrated, b.accuracy_calibrated)),
    ):
        points = [pick(b)[1:] for b in bins if pick(b)[0]]
        body.append(frame.line(points, colour))
        for b in bins:
            count, confidence, accuracy = pick(b)
            if count:
                radius = 2.5 + 9 * math.sqrt(count / total)
                body.append(
                    f'<circle cx="{frame.x(confidence):.1f}" cy="{frame.y(accuracy):.1f}" '
                    f'r="{radius:.1f}" fill="{colour}" fill-opacity="0.35"/>'
                )
    body.append(_legend([("before", BEFORE), ("after calibration", AFTER)]))
    return _svg(body, title)
