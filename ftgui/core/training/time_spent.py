"""Where a run's wall time goes: named parts that add up to the whole (`train --profile`)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

OTHER = "other (events, phase set-up, Python)"


def process_age() -> float | None:
    """Seconds since this process started (Linux), or None where it cannot be read."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class TimeSpent:
    """Wall time per part of a run, in the order parts first appear."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.started = clock()
        self.parts: dict[str, float] = {}

    def add(self, part: str, seconds: float) -> None:
        self.parts[part] = self.parts.get(part, 0.0) + seconds

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        """Time the block as `name` (added to what `name` already has)."""
        started = self.clock()
        try:
            yield
        finally:
            self.add(name, self.clock() - started)

    def table(self, before: float = 0.0) -> list[tuple[str, float]]:
        """Every part, "other" for the rest of the time since `started`, and `before` (time
        spent before this object existed, e.g. Python and ftgui starting) first when given."""
        total = self.clock() - self.started
        rows = [("start-up (Python, ftgui imports)", before)] if before else []
        rows += list(self.parts.items())
        rows.append((OTHER, max(total - sum(self.parts.values()), 0.0)))
        return rows


def table_lines(rows: list[tuple[str, float]]) -> list[str]:
    """The rows as aligned text lines with shares of the total, and the total last."""
    total = sum(seconds for _, seconds in rows) or 1.0
    width = max(len(name) for name, _ in rows)
    lines = [
        f"  {name:<{width}}  {seconds:7.2f} s  {100 * seconds / total:5.1f}%"
        for name, seconds in rows
    ]
    lines.append(f"  {'whole run':<{width}}  {total:7.2f} s")
    return lines
