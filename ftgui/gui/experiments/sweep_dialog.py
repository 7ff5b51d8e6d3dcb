"""Sweep…: pick settings of the Train tab to vary and their values, see how many trials and how
long, Start. The sweep is planned by `plan_sweep` from the same arguments as
`python main.py sweep`, so a bad value gets the command line's own sentence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ftgui.cli.sweep import NOT_VARIED, plan_sweep
from ftgui.core.data.sample import resolve_dataset
from ftgui.core.errors import UserError
from ftgui.core.paths import new_run_dir, runs_dir
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.flag_values import flag_args, flag_values, switch_values, value_flags
from ftgui.core.settings.vgg16 import layer_names
from ftgui.core.sweep.record import SweepRecord
from ftgui.core.views.sweep_estimate import (
    Speed,
    epochs_to_train,
    estimate_seconds,
    measured_speed,
)
from ftgui.gui.shared.tasks import BackgroundTask, TaskState
from ftgui.gui.train.run_progress import clock_text

PREFILLED = ("lr-finetune", "unfreeze-from")  # the rows the dialog opens with
CHECK_AFTER_MS = 150  # typing pauses this long before the values are checked
NEIGHBOURS = (1 / 3, 1.0, 3.0)  # a learning rate's neighbours
REASON_STYLE = "color: #c0392b;"


def varied_flags() -> list[str]:
    """The train flags that take a value and a sweep may vary."""
    return [flag for flag in value_flags() if flag not in NOT_VARIED]


def neighbours(flag: str, current: str | None) -> str:
    """Sensible values around `current`: a learning rate ×⅓, ×1, ×3; epochs ×½, ×1, ×2; the
    unfreeze point and the first layer of the block below it; otherwise the value itself."""
    if current is None:
        return ""
    if flag.startswith("lr-"):
        return ", ".join(f"{float(current) * k:.3g}" for k in NEIGHBOURS)
    if flag.startswith("epochs-"):
        n = int(current)
        return ", ".join(str(v) for v in dict.fromkeys((max(n // 2, 1), n, 2 * n)))
    if flag == "unfreeze-from":
        block = current.split("_")[0]
        names = layer_names()
        blocks = list(dict.fromkeys(name.split("_")[0] for name in names))
        if block in blocks and blocks.index(block) > 0:
            lower = blocks[blocks.index(block) - 1]
            first = next(name for name in names if name.startswith(lower + "_"))
            return f"{current}, {first}"
    return current


@dataclass(frozen=True)
class SweepPlan:
    """A checked sweep: its record, the training images, this machine's speed."""

    record: SweepRecord
    images: int
    speed: Speed


def _check(argv: list[str], root: Path, speed: Speed | None, _: TaskState) -> SweepPlan:
    record = plan_sweep(argv)
    images = len(resolve_dataset(RunConfig.from_dict(dict(record.base))).train)
    return SweepPlan(record, images, speed if speed is not None else measured_speed(root))


class SweepDialog(QDialog):
    """Emits `started(folder)` once the sweep's record is saved in a new `sweep-…` folder of
    the runs folder."""

    started = Signal(str)

    def __init__(self, config: RunConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sweep — ftgui")
        self.config = config
        self.current = flag_values(config)
        base = {k: v for k, v in self.current.items() if k != "out"}
        self.base_args = flag_args(base | switch_values(config))  # the Train tab's settings
        self.root = runs_dir()
        self.plan: SweepPlan | None = None
        self.speed: Speed | None = None
        self.rows: list[tuple[QComboBox, QLineEdit, QPushButton]] = []
        self.grid = QGridLayout()
        self.add_button = QPushButton("&Add setting")
        self.search = QComboBox()
        self.search.addItem("Grid: every combination", "grid")
        self.search.addItem("Random: draw some combinations", "random")
        self.trials = QSpinBox(minimum=1, maximum=999, value=4)
        self.halving = QCheckBox("Successive &halving: only the best third go on at each rung")
        self.trials_label = QLabel()
        self.estimate = QLabel(wordWrap=True)
        self.reason = QLabel(wordWrap=True)
        self.reason.setStyleSheet(REASON_STYLE)
        self.start_button = QPushButton("&Start sweep")
        self.cancel_button = QPushButton("Cancel")
        self.task = BackgroundTask(self)
        self._timer = QTimer(self, singleShot=True, interval=CHECK_AFTER_MS)
        self._build_layout()
        for flag in PREFILLED:
            self.add_row(flag)
        self._connect()
        self.schedule_check()

    def _build_layout(self) -> None:
        intro = QLabel(
            "Each trial is a whole run with the Train tab's settings, these values changed. "
            "Trials share the frozen-layer outputs and every phase they agree on."
        )
        intro.setWordWrap(True)
        self.grid.addWidget(QLabel("<b>Setting</b>"), 0, 0)
        self.grid.addWidget(QLabel("<b>Values</b> (comma-separated)"), 0, 1)
        self.grid.setColumnStretch(1, 1)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        form = QFormLayout()
        search_row = QHBoxLayout()
        search_row.addWidget(self.search)
        search_row.addWidget(QLabel("&Trials:", buddy=self.trials))
        search_row.addWidget(self.trials)
        search_row.addStretch(1)
        form.addRow(QLabel("Searc&h:", buddy=self.search), search_row)
        form.addRow("", self.halving)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(self.grid)
        layout.addLayout(add_row)
        layout.addLayout(form)
        layout.addWidget(self.trials_label)
        layout.addWidget(self.estimate)
        layout.addWidget(self.reason)
        layout.addLayout(buttons)
        self.start_button.setDefault(True)
        lines = self.fontMetrics().lineSpacing()
        self.estimate.setMinimumHeight(4 * lines)  # room for the sentence before it comes
        self.reason.setMinimumHeight(2 * lines)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # rows never overlap
        self.resize(640, 0)

    def _connect(self) -> None:
        self.add_button.clicked.connect(lambda: self.add_row())
        self.search.currentIndexChanged.connect(self.schedule_check)
        self.trials.valueChanged.connect(self.schedule_check)
        self.halving.toggled.connect(self.schedule_check)
        self._timer.timeout.connect(self._check)
        self.task.succeeded.connect(self._checked)
        self.task.failed.connect(self._failed)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.reject)

    # -- the rows of settings -------------------------------------------------------------
    def add_row(self, flag: str | None = None) -> None:
        """A setting to vary (the first one not varied yet), pre-filled with its neighbours."""
        used = {combo.currentText() for combo, _, _ in self.rows}
        flag = flag or next((f for f in varied_flags() if f not in used), varied_flags()[0])
        combo = QComboBox()
        combo.addItems(varied_flags())
        combo.setCurrentText(flag)
        edit = QLineEdit(neighbours(flag, self.current.get(flag)))
        remove = QPushButton("Remove")
        row = (combo, edit, remove)
        self.rows.append(row)
        line = len(self.rows)
        for column, widget in enumerate(row):
            self.grid.addWidget(widget, line, column)
        combo.currentTextChanged.connect(
            lambda name: (edit.setText(neighbours(name, self.current.get(name))), None)
        )
        edit.textChanged.connect(self.schedule_check)
        combo.currentTextChanged.connect(self.schedule_check)
        remove.clicked.connect(lambda: self.remove_row(row))
        self.schedule_check()

    def remove_row(self, row: tuple[QComboBox, QLineEdit, QPushButton]) -> None:
        self.rows.remove(row)
        for widget in row:
            self.grid.removeWidget(widget)
            widget.hide()  # gone at once, deleted when the event loop next runs
            widget.deleteLater()
        for line, kept in enumerate(self.rows, 1):  # close the gap
            for column, widget in enumerate(kept):
                self.grid.addWidget(widget, line, column)
        self.schedule_check()

    def varies(self) -> dict[str, str]:
        """flag → its values as typed."""
        return {combo.currentText(): edit.text().strip() for combo, edit, _ in self.rows}

    def argv(self) -> list[str]:
        """The `sweep` arguments of what the dialog shows (without --out)."""
        args = list(self.base_args)
        for combo, edit, _ in self.rows:
            args += ["--vary", f"{combo.currentText()}={edit.text().strip()}"]
        search = self.search.currentData()
        args += ["--search", search]
        if search == "random":
            args += ["--trials", str(self.trials.value())]
        return args + (["--halving"] if self.halving.isChecked() else [])

    # -- checking as the person types -----------------------------------------------------
    def schedule_check(self, *_: object) -> None:
        self.trials.setEnabled(self.search.currentData() == "random")
        self.plan = None
        self.start_button.setEnabled(False)
        self.start_button.setToolTip("Checking the values…")
        if not self.trials_label.text():
            self.trials_label.setText("Checking the values…")
        self._timer.start()

    def is_checking(self) -> bool:
        return self._timer.isActive() or self.task.is_running()

    def _check(self) -> None:
        argv, root, speed = self.argv(), self.root, self.speed
        self.task.start(lambda state: _check(argv, root, speed, state))

    def _checked(self, plan: SweepPlan) -> None:
        self.plan, self.speed = plan, plan.speed
        trials = len(plan.record.trials)
        phases = {len(t.config["phases"]) for t in plan.record.trials}
        self.trials_label.setText(
            f"<b>{trials} trial{'s' * (trials != 1)}</b> of "
            f"{' or '.join(str(p) for p in sorted(phases))} phases"
        )
        self.estimate.setText(self.estimate_text(plan))
        self.reason.setText("")
        self.start_button.setEnabled(True)
        self.start_button.setToolTip(
            f"Run the {trials} trials in a new sweep folder in {self.root}"
        )

    def _failed(self, error: Exception) -> None:
        sentence = (
            str(error) if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
        )
        self.trials_label.setText("")
        self.estimate.setText("")
        self.reason.setText(sentence)
        self.start_button.setEnabled(False)
        self.start_button.setToolTip(f"Start waits: {sentence}")

    def estimate_text(self, plan: SweepPlan) -> str:
        """The estimated time and what it is based on."""
        left = epochs_to_train(plan.record)
        epochs = sum(map(sum, left.values()))
        planned = sum(sum(p["epochs"] for p in t.config["phases"]) for t in plan.record.trials)
        shared = planned - epochs
        size = int(plan.record.base["image_size"])
        trains = f"{epochs} epochs to train"
        if shared:
            trains += f" ({shared} more that trials share are trained once)"
        speed = plan.speed
        seconds = estimate_seconds(left, speed, plan.images, size)
        if seconds is None or not speed.runs:
            return (
                f"{trains}. Estimated time: unknown, no run in {self.root} has finished an "
                "epoch yet (a short run there gives this machine's speed)."
            )
        most = "at most " if plan.record.halving else ""
        return (
            f"{trains}. Estimated time: {most}≈{clock_text(round(seconds))}, from the median "
            f"seconds per epoch of {speed.runs} recent run{'s' * (speed.runs != 1)} in "
            f"{self.root}, scaled to {plan.images:,} training images at {size} px."
        )

    # -- start ----------------------------------------------------------------------------
    def start(self) -> None:
        """Save the checked sweep in a new folder of the runs folder and hand it over."""
        if self.plan is None:
            return
        folder = new_run_dir("sweep-")
        try:
            folder.mkdir(parents=True)
            self.plan.record.save(folder)
        except (OSError, UserError) as exc:
            self.reason.setText(f"Cannot write the sweep folder {folder}: {exc}")
            return
        self.started.emit(str(folder))
        self.accept()
