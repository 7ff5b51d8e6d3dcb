"""A run folder read back for the window: its settings, its history as events (with its layers'
health), its summary."""

from __future__ import annotations

from pathlib import Path

from ftgui.core.errors import UserError
from ftgui.core.events import EpochEnded, Event, HealthMeasured, LayerHealth, history_events
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.health_file import read_health
from ftgui.core.training.run_folder import CONFIG_FILE, read_history
from ftgui.core.training.run_summary import RunSummary, folder_summary


def read_run(folder: str) -> tuple[RunConfig | None, list[Event], RunSummary]:
    """A run folder's settings (None when it has no config.json), its history as events, and
    its summary as the window shows it after a run."""
    try:
        rows = read_history(folder)
        config_path = Path(folder) / CONFIG_FILE
        config = RunConfig.load(config_path) if config_path.exists() else None
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"{folder} has an unreadable history.csv ({exc}).") from None
    planned = [p.epochs for p in config.phases] if config else []
    events = history_events(rows, planned)
    return config, with_health(events, read_health(folder)), folder_summary(folder, events, planned)


def with_health(events: list[Event], health: list[LayerHealth]) -> list[Event]:
    """`events` with each epoch's `HealthMeasured` (replayed) just before its `EpochEnded`, as
    a live run sends them."""
    by_epoch: dict[tuple[int, int], list[LayerHealth]] = {}
    for row in health:
        by_epoch.setdefault((row.phase, row.epoch), []).append(row)
    merged: list[Event] = []
    for event in events:
        layers = by_epoch.get((event.phase, event.epoch)) if isinstance(event, EpochEnded) else None
        if layers:
            merged.append(HealthMeasured(event.phase, event.epoch, tuple(layers), replayed=True))
        merged.append(event)
    return merged
