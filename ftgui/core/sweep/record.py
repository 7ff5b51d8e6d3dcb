"""A sweep's files: `sweep.json` (everything, to resume) and `trials.csv` (one row a trial)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ftgui.core.errors import UserError
from ftgui.core.files import write_atomically
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.run_folder import TEST_METRICS_FILE, read_history

SWEEP_FILE = "sweep.json"
TRIALS_FILE = "trials.csv"
RESULT_COLUMNS = ("best_val_loss", "best_val_accuracy", "best_epoch", "test_accuracy")

# A trial's state in sweep.json; trials.csv says done, failed, or stopped for the rest.
PENDING, DONE, FAILED, HALTED = "pending", "done", "failed", "halted"


@dataclass
class Trial:
    """One trial: its values, its run folder (relative to the sweep) and how it stands."""

    number: int  # 1-based
    values: dict[str, str]
    run: str
    config: dict[str, Any]  # the trial's whole RunConfig, as config.json holds it
    state: str = PENDING
    error: str | None = None
    seconds: float = 0.0  # its own share of the sweep's time
    shared: list[str] = field(default_factory=list)  # what it shares, in words

    @property
    def status(self) -> str:
        """The trials.csv status: done, failed, or stopped (halted, interrupted or not run)."""
        return self.state if self.state in (DONE, FAILED) else "stopped"

    def run_config(self, sweep: Path) -> RunConfig:
        config = RunConfig.from_dict(dict(self.config))
        config.out_dir = str(sweep / self.run)
        return config


@dataclass
class SweepRecord:
    """Everything `sweep --resume` needs: the base settings, what varies, how, the trials."""

    base: dict[str, Any]
    vary: list[dict[str, object]]
    search: str
    halving: bool
    trials: list[Trial]
    requested_trials: int | None = None
    lowest_level: str | None = None  # the frozen level whose outputs every trial reads

    def save(self, folder: Path) -> None:
        """Rewrite sweep.json and trials.csv atomically (after every trial)."""
        data = asdict(self)
        text = json.dumps(data, indent=2) + "\n"
        write_atomically(folder / SWEEP_FILE, lambda p: p.write_text(text, encoding="utf-8"))
        table = trials_table(self, folder)
        write_atomically(folder / TRIALS_FILE, lambda p: p.write_text(table, encoding="utf-8"))

    @classmethod
    def load(cls, folder: Path) -> SweepRecord:
        path = folder / SWEEP_FILE
        if not path.is_file():
            raise UserError(
                f"{folder} is not a sweep folder (it has no {SWEEP_FILE}); give the folder "
                "`python main.py sweep` wrote."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["trials"] = [Trial(**t) for t in data["trials"]]
            return cls(**data)
        except (ValueError, TypeError, KeyError) as exc:
            raise UserError(f"{path} cannot be read ({exc}); was it edited?") from None

    @property
    def flags(self) -> list[str]:
        return [str(v["flag"]) for v in self.vary]


def trial_results(run_dir: Path) -> dict[str, str]:
    """best_val_loss, best_val_accuracy, best_epoch (the run epoch: history.csv's row number)
    and test_accuracy of a trial's run folder; empty strings for what it does not have."""
    results = dict.fromkeys(RESULT_COLUMNS, "")
    try:
        rows = read_history(run_dir)
    except (OSError, ValueError, UserError):
        rows = []
    scored = [
        (float(r["val_loss"]), i, r)
        for i, r in enumerate(rows, 1)
        if r.get("val_loss") not in (None, "")
    ]
    if scored:
        loss, epoch, row = min(scored, key=lambda item: (item[0], item[1]))
        results["best_val_loss"] = f"{loss:.6g}"
        results["best_val_accuracy"] = f"{float(row['val_accuracy']):.6g}"
        results["best_epoch"] = str(epoch)
    try:
        metrics = json.loads((run_dir / TEST_METRICS_FILE).read_text(encoding="utf-8"))
        results["test_accuracy"] = f"{float(metrics['accuracy']):.6g}"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return results


def trials_table(record: SweepRecord, folder: Path) -> str:
    """trials.csv: `trial,status,<FLAG>…,best_val_loss,…,seconds,run`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["trial", "status", *record.flags, *RESULT_COLUMNS, "seconds", "run"])
    for trial in record.trials:
        results = trial_results(folder / trial.run)
        writer.writerow(
            [trial.number, trial.status, *(trial.values[f] for f in record.flags)]
            + [results[c] for c in RESULT_COLUMNS]
            + [f"{trial.seconds:.1f}", trial.run]
        )
    return out.getvalue()


def ranked(record: SweepRecord, folder: Path) -> list[tuple[Trial, dict[str, str]]]:
    """Trials with a validation loss, lowest best validation loss first."""
    rows = [(t, trial_results(folder / t.run)) for t in record.trials]
    scored = [(t, r) for t, r in rows if r["best_val_loss"]]
    return sorted(scored, key=lambda item: (float(item[1]["best_val_loss"]), item[0].number))
