"""A run's folder: config.json, history.csv, model.keras, test_metrics.json.

Every file but the appended history.csv is replaced atomically (`files.write_run_file`).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from ftgui.core.errors import UserError
from ftgui.core.files import cannot_write, sync_file, sync_folder, write_failure, write_run_file
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.health_file import keep_health

HISTORY_FIELDS = (
    "phase",
    "phase_name",
    "epoch",
    "loss",
    "accuracy",
    "val_loss",
    "val_accuracy",
    "seconds",
)
CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
MODEL_FILE = "model.keras"
TEST_METRICS_FILE = "test_metrics.json"


class RunFolder:
    """Writes one run's files; history is appended and flushed after every epoch."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()

    def holds_a_run(self) -> bool:
        """True when the folder has a saved model or at least one finished epoch."""
        if self.model_path.exists():
            return True
        try:
            with open(self.history_path, encoding="utf-8") as f:
                return sum(1 for _ in f) > 1
        except OSError:
            return False

    def check_free(self) -> None:
        """Refuse a folder that already holds a run (never overwrite work) or is a file."""
        if self.path.exists() and not self.path.is_dir():
            raise UserError(f"Output path {self.path} is a file; choose a folder for --out.")
        if self.holds_a_run():
            raise UserError(
                f"Output folder {self.path} already holds a run; choose another --out or remove it."
            )

    def create(self) -> None:
        """Make the folder and start history.csv with its header."""
        self.check_free()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise cannot_write(self.path, exc, "--out", folder=True) from None
        self._start_history()

    def _start_history(self) -> None:
        with open(self.history_path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerow(HISTORY_FIELDS)
            sync_file(f)
        sync_folder(self.path)

    def keep_history(self, rows: int) -> None:
        """Keep the header and the first `rows` epochs of history.csv (dropping an epoch that
        finished after the last checkpoint, which a resumed run trains again), and the rows of
        layer_health.csv of the epochs kept."""
        try:
            with open(self.history_path, newline="", encoding="utf-8") as f:
                lines = f.readlines()
        except FileNotFoundError:
            lines = []
        if not lines:  # removed by hand: start it again
            self._start_history()
        elif len(lines) > rows + 1:
            kept = "".join(lines[: rows + 1])
            write_run_file(self.history_path, lambda p: p.write_bytes(kept.encode("utf-8")))
        epochs = {(int(r["phase"]) - 1, int(r["epoch"]) - 1) for r in read_history(self.path)}
        keep_health(self.path, epochs)

    @property
    def history_path(self) -> Path:
        return self.path / HISTORY_FILE

    @property
    def model_path(self) -> Path:
        return self.path / MODEL_FILE

    def start(self, config: RunConfig, recorded: dict[str, object] | None = None) -> None:
        """Create the folder and save the resolved configuration (and `recorded` facts) before
        any training."""
        self.create()
        config.out_dir = str(self.path)
        self.write_config(config, recorded)

    def write_config(self, config: RunConfig, recorded: dict[str, object] | None = None) -> None:
        """config.json: every resolved setting, written by `RunConfig.save` (atomically), and
        the `recorded` facts (`config.RECORDED`)."""
        path = self.path / CONFIG_FILE
        try:
            config.save(path, recorded)
        except OSError as exc:
            raise UserError(write_failure(path, exc)) from None

    def append_history(
        self, phase: int, phase_name: str, epoch: int, logs: dict[str, float], seconds: float
    ) -> None:
        """Append one finished epoch (phase and epoch 1-based in the file)."""
        row = [phase + 1, phase_name, epoch + 1]
        row += [_number(logs.get(key)) for key in HISTORY_FIELDS[3:7]]
        row.append(f"{seconds:.3f}")
        try:
            with open(self.history_path, "a", newline="", encoding="utf-8") as f:
                csv.writer(f).writerow(row)
                sync_file(f)  # a power cut keeps every row announced as finished
        except OSError as exc:
            raise UserError(write_failure(self.history_path, exc)) from None

    def write_test_metrics(self, metrics: dict[str, float]) -> None:
        text = json.dumps({"loss": metrics["loss"], "accuracy": metrics["accuracy"]}, indent=2)
        _write_text(self.path / TEST_METRICS_FILE, text + "\n")


def _write_text(path: Path, text: str) -> None:
    write_run_file(path, lambda partial: partial.write_text(text, encoding="utf-8"))


def read_history(path: str | Path) -> list[dict[str, float | int | str]]:
    """Rows of a run's history.csv with numbers parsed (phase and epoch stay 1-based)."""
    file = Path(path)
    if file.is_dir():
        file = file / HISTORY_FILE
    if not file.exists():
        raise UserError(f"{file.parent} is not a run folder (it has no {HISTORY_FILE}).")
    rows = []
    with open(file, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            parsed: dict[str, float | int | str] = {"phase_name": row["phase_name"]}
            parsed["phase"] = int(row["phase"])
            parsed["epoch"] = int(row["epoch"])
            for key in HISTORY_FIELDS[3:]:
                parsed[key] = float(row[key]) if row.get(key) else math.nan
            rows.append(parsed)
    return rows


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))
