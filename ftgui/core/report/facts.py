"""What the report says about a run, read from its folder without TensorFlow."""

from __future__ import annotations

import csv
import json
import shlex
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ftgui.core.analysis.calibration import Calibration
from ftgui.core.analysis.evaluation_files import Evaluation
from ftgui.core.analysis.models import RunInfo
from ftgui.core.data.scan import REPORT_FILE
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.flag_values import flag_args, flag_values, switch_values
from ftgui.core.training.run_folder import CONFIG_FILE, read_history
from ftgui.core.views.opened_run import read_run

AUDIT_FILES = {  # title → file in RUN/audit/
    "Likely label errors": "label_issues.csv",
    "Duplicate pairs (leaks across splits first)": "duplicates.csv",
}
AUDIT_ROWS = 10


@dataclass(frozen=True)
class PhaseRow:
    name: str
    epochs: int
    learning_rate: float
    optimizer: str
    trainable: str


@dataclass
class ReportFacts:
    """Everything the page shows except the pictures (`hardest.py`)."""

    run_name: str
    folder: Path
    config: RunConfig
    class_names: list[str]
    history: list[dict[str, Any]]
    best_lines: list[str]
    phases: list[PhaseRow]
    settings: list[tuple[str, str]]
    config_command: str
    flag_command: str
    evaluation: Evaluation | None = None
    calibration: Calibration | None = None
    counts: dict[str, list[int]] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    audit: dict[str, tuple[list[str], list[list[str]], int]] = field(default_factory=dict)
    versions: dict[str, str | None] = field(default_factory=dict)
    device: str = ""
    written: str = ""
    run_date: str = ""
    dataset_root: str = ""  # the folder the dataset scan read (dataset_report.json's root)

    @property
    def dataset_name(self) -> str:
        return "the bundled sample dataset" if self.config.sample else str(self.config.data_dir)

    @property
    def seconds(self) -> float:
        return sum(float(row["seconds"]) for row in self.history)

    @property
    def time_rows(self) -> list[tuple[str, int, str, str]]:
        """Per phase: epochs run, seconds of training and validation, seconds per epoch."""
        rows = []
        for phase in self.phases:
            spent = [float(r["seconds"]) for r in self.history if r["phase_name"] == phase.name]
            if spent:
                total = sum(spent)
                rows.append((phase.name, len(spent), f"{total:.1f}", f"{total / len(spent):.2f}"))
        return rows

    def summary_line(self) -> str:
        phases = ", ".join(f"{p.name} ({p.epochs} epochs)" for p in self.phases)
        test = (
            f"test accuracy {self.evaluation.accuracy:.4f} ({self.evaluation.accuracy:.1%})"
            if self.evaluation and self.evaluation.split == "test"
            else "no test split"
        )
        best = "; ".join(self.best_lines) or "no finished epoch"
        return (
            f"Dataset {self.dataset_name} ({len(self.class_names)} classes); base VGG16 "
            f"(weights: {self.config.weights}), {self.config.image_size} px; phases: {phases}; "
            f"{best}; {test}; {self.seconds:.0f} s of training; run of {self.run_date}."
        )

    def limits(self) -> list[str]:
        """A model card's short 'limits' section from what the run knows."""
        train = self.counts.get("train") or []
        test = sum(self.counts.get("test") or [])
        lines = [
            f"Trained on {sum(train)} images of {len(self.class_names)} classes "
            f"({', '.join(self.class_names)}); the smallest class has {min(train or [0])} "
            f"training images. It can only answer with one of these classes, even for an image "
            f"of none of them.",
            f"Images are read at {self.config.image_size}×{self.config.image_size} pixels: "
            f"detail finer than that is invisible to it.",
        ]
        if test:
            lines.append(
                f"Tested on {test} held-out images from the same folder; images from another "
                f"source (camera, lighting, framing) were not tested and may score lower."
            )
        else:
            lines.append("The dataset has no test split: no accuracy here was measured on "
                         "images held out from choosing the model.")  # fmt: skip
        if self.calibration is not None:
            held = self.calibration.validation.images
            lines.append(
                f"Confidences were calibrated on {held} validation images; with few images "
                f"the temperature is uncertain."
            )
        if self.config.weights == "none":
            lines.append("The base started from random weights (not ImageNet): the accuracy "
                         "says little about what the recipe can reach.")  # fmt: skip
        return lines


def read_facts(info: RunInfo) -> ReportFacts:
    """The report's facts of a run folder (evaluation and calibration are added by the caller)."""
    folder = info.folder
    config, _, summary = read_run(str(folder))
    config = config or info.config
    history = read_history(folder)
    report = _json(folder / REPORT_FILE)
    facts = ReportFacts(
        run_name=folder.name,
        folder=folder,
        config=config,
        class_names=info.class_names,
        history=history,
        best_lines=[phase.line() for phase in summary.phases],
        phases=[_phase_row(p) for p in config.phases],
        settings=_settings(config),
        config_command=_command(["train", "--config", str(folder / CONFIG_FILE)]),
        flag_command=_command(["train", *flag_args(flag_values(config) | switch_values(config))]),
        counts={k: [int(n) for n in v] for k, v in (report.get("counts") or {}).items()},
        skipped=list(report.get("skipped") or []),
        warnings=[str(w) for w in report.get("warnings") or []],
        audit=_audit(folder / "audit"),
        written=datetime.now().strftime("%Y-%m-%d %H:%M"),
        run_date=_modified(folder / CONFIG_FILE),
        dataset_root=str(report.get("root") or ""),
    )
    return facts


def _phase_row(phase: Any) -> PhaseRow:
    layers = list(phase.trainable_layers)
    trains = "the classifier" + (f" and {', '.join(layers)}" if layers else " only")
    return PhaseRow(phase.name, phase.epochs, phase.learning_rate, phase.optimizer, trains)


def _settings(config: RunConfig) -> list[tuple[str, str]]:
    from dataclasses import asdict

    values = asdict(config)
    values.pop("phases")
    return [(name, "" if value is None else str(value)) for name, value in values.items()]


def _command(args: list[str]) -> str:
    return (
        shlex.join(["python", "main.py", *args])
        if sys.platform != "win32"
        else " ".join(["python", "main.py", *args])
    )


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _modified(path: Path) -> str:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except OSError:
        return "unknown date"


def _audit(folder: Path) -> dict[str, tuple[list[str], list[list[str]], int]]:
    """Each audit file's header, first rows and row count, when the run has an audit."""
    found = {}
    for title, name in AUDIT_FILES.items():
        try:
            with (folder / name).open(newline="", encoding="utf-8") as file:
                rows = list(csv.reader(file))
        except OSError:
            continue
        if rows:
            found[title] = (rows[0], rows[1 : 1 + AUDIT_ROWS], len(rows) - 1)
    return found
