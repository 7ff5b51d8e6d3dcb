"""What the training process runs for a sweep the window starts: `SweepRun` on a sweep folder,
its outcome as a last status line. Qt-free: it runs in the training process (a `Job`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ftgui.core.errors import UserError
from ftgui.core.events import Status
from ftgui.core.sweep.record import DONE, SweepRecord, ranked


def sweep_outcome(record: SweepRecord, folder: Path, stopped: bool) -> str:
    """One line on how a sweep ended: trials done, the best one, or how to continue."""
    done = sum(t.state == DONE for t in record.trials)
    count = f"{done} of {len(record.trials)} trials done"
    if stopped:
        return f"Sweep stopped, {count}: Resume on its line in the Experiments tab continues it"
    best = next(((t, r) for t, r in ranked(record, folder) if t.status == DONE), None)
    if best is None:
        return f"Sweep ended, {count}"
    trial, results = best
    return (
        f"Sweep finished, {count}: best trial {trial.number} (validation loss "
        f"{float(results['best_val_loss']):.4f}) in {folder / trial.run}"
    )


def run_sweep(folder: str, listener: Callable[[object], None], stop: threading.Event) -> None:
    """Run the sweep saved in `folder` (new, or stopped: its pending trials) to its end or a
    stop. Raises UserError when it ended without any finished trial, naming the first error."""
    from ftgui.core.sweep.engine import SweepRun  # TensorFlow loads from here on

    path = Path(folder)
    record = SweepRecord.load(path)
    SweepRun(path, record, listener, stop).run()
    listener(Status(sweep_outcome(record, path, stop.is_set())))
    if not stop.is_set() and not any(t.state == DONE for t in record.trials):
        first = next((t for t in record.trials if t.error), None)
        why = f"; trial {first.number}: {first.error}" if first else ""
        raise UserError(f"No trial of the sweep finished{why}")
