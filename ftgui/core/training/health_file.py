"""`layer_health.csv`: each trainable layer's health at each finished epoch, appended with the
epoch's history row (the same crash safety) and cut back with it when a run resumes.

Header `phase,epoch,layer,weight_norm,update_ratio,grad_norm`; phase and epoch are 1-based as
in history.csv. `weight_norm` is the norm of the layer's trainable weights (kernel and bias
together) at the epoch's end, as saved; `update_ratio` and `grad_norm` are the means over the
epoch's sampled steps (`layer_health.py`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import numpy as np

from ftgui.core.errors import UserError
from ftgui.core.events import LayerHealth
from ftgui.core.files import sync_file, write_failure, write_run_file

HEALTH_FILE = "layer_health.csv"
HEALTH_FIELDS = ("phase", "epoch", "layer", "weight_norm", "update_ratio", "grad_norm")


def weight_norms(arrays: Mapping[str, np.ndarray], layers: Iterable[str]) -> dict[str, float]:
    """The norm of each layer's arrays together (keys are Keras paths "layer/kernel"), in
    float64 from the saved values."""
    squares = dict.fromkeys(layers, 0.0)
    for path, array in arrays.items():
        layer = path.rsplit("/", 1)[0]
        if layer in squares:
            flat = np.asarray(array, dtype=np.float64).ravel()
            squares[layer] += float(np.dot(flat, flat))
    return {layer: math.sqrt(total) for layer, total in squares.items()}


def append_health(folder: Path, rows: Iterable[LayerHealth]) -> None:
    """Append an epoch's rows (the header first when the file is new), synced to disk."""
    path = folder / HEALTH_FILE
    lines = [_line(row) for row in rows]
    if not lines:
        return
    try:
        new = not path.exists() or path.stat().st_size == 0
        with open(path, "a", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(HEALTH_FIELDS)
            writer.writerows(lines)
            sync_file(f)
    except OSError as exc:
        raise UserError(write_failure(path, exc)) from None


def read_health(folder: str | Path) -> list[LayerHealth]:
    """A run's layer_health.csv (empty when the run has none: older runs, or nothing trained);
    rows that do not parse (a line cut by a crash) are skipped."""
    path = Path(folder) / HEALTH_FILE
    try:
        with open(path, newline="", encoding="utf-8") as f:
            records = list(csv.DictReader(f))
    except (OSError, csv.Error, UnicodeDecodeError):
        return []
    rows = []
    for record in records:
        try:
            rows.append(
                LayerHealth(
                    int(record["phase"]) - 1,
                    int(record["epoch"]) - 1,
                    str(record["layer"]),
                    float(record["weight_norm"]),
                    float(record["update_ratio"]),
                    float(record["grad_norm"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return rows


def keep_health(folder: Path, epochs: Collection[tuple[int, int]]) -> None:
    """Keep only the rows of `epochs` ((phase, epoch), 0-based): those history.csv kept."""
    path = folder / HEALTH_FILE
    rows = read_health(folder)
    kept = [row for row in rows if (row.phase, row.epoch) in epochs]
    if len(kept) == len(rows):
        return

    def write(partial: Path) -> None:
        with open(partial, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(HEALTH_FIELDS)
            writer.writerows(_line(row) for row in kept)

    write_run_file(path, write)


def _line(row: LayerHealth) -> list[object]:
    """A row as written: 1-based phase and epoch, numbers in full precision."""
    numbers = (row.weight_norm, row.update_ratio, row.grad_norm)
    return [row.phase + 1, row.epoch + 1, row.layer, *(repr(float(n)) for n in numbers)]
