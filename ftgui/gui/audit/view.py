"""The Audit tab: a dataset's likely label errors and duplicates, and the decisions on them.

A header line with the counts and the imbalance; the likely label errors as a review gallery
(most likely first) with Keep / Exclude / Relabel ▸ for the selection and keys for each; the
duplicate pairs beside it, leaks first; Apply to folder… and Undo apply below. An audit runs in
the analysis process (TensorFlow) with its status and Cancel; each decision is written at once
into the dataset's `ftgui-decisions.csv`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ftgui.cli.audit import AUDIT_DIR
from ftgui.core.audit.files import AUDIT_JSON, IssueRow, PairRow, StoredAudit, read_audit
from ftgui.core.data.decisions import EXCLUDE, KEEP, RELABEL, Decision, decide, read_decisions
from ftgui.core.errors import UserError
from ftgui.core.paths import new_run_dir
from ftgui.core.service.analysis_process import AuditRequest
from ftgui.core.settings.config import RunConfig
from ftgui.gui.analysis_client import failure_text
from ftgui.gui.audit.folder_actions import FolderActions
from ftgui.gui.audit.issue_list import IssueList
from ftgui.gui.audit.pair_list import PairList
from ftgui.gui.shared.tasks import BackgroundTask

KEYS = "Keys: K keep · E exclude · R then a class's number relabel · arrows move"
EMPTY = (
    "No audit shown. Audit the Train tab's dataset (Audit… beside the Dataset field) or an "
    "open run's (Results tab), or open a run that has one."
)


@dataclass(frozen=True)
class Loaded:
    """An audit read back, with the dataset's decisions at that moment."""

    audit: StoredAudit
    decisions: dict[str, Decision]


def header_text(summary: dict[str, Any], issues: list[IssueRow], pairs: list[PairRow]) -> str:
    """One line: images, likely label errors, leaks (test↔train), duplicates, imbalance."""
    leaks = [p for p in pairs if p.leak]
    test_train = sum(1 for p in leaks if {p.split_a, p.split_b} == {"test", "train"})
    counts = summary.get("counts", {})
    per_split = ", ".join(f"{name} {sum(c)}" for name, c in counts.items())
    imbalance = summary.get("imbalance", {})
    ratio = imbalance.get("ratio", 1.0)
    return (
        f"{summary.get('images', '?')} images ({per_split}) · <b>{len(issues)}</b> likely label "
        f"error{'s' * (len(issues) != 1)} · <b>{len(leaks)}</b> leak{'s' * (len(leaks) != 1)} "
        f"between splits ({test_train} test↔train) · {len(pairs) - len(leaks)} duplicate "
        f"pair{'s' * (len(pairs) - len(leaks) != 1)} within a split · imbalance: largest class "
        f"{imbalance.get('largest', '?')}, smallest {imbalance.get('smallest', '?')} "
        f"(×{ratio:.1f})"
    )


def read_loaded(folder: Path) -> Loaded | None:
    """The audit in `folder` and its dataset's decisions; None when the folder holds none."""
    if not (folder / AUDIT_JSON).is_file():
        return None
    audit = read_audit(folder)
    root = audit.summary.get("dataset")
    return Loaded(audit, read_decisions(root) if root else {})


class AuditView(QWidget):
    """Shows one audit; `audit_config`, `audit_run` start one, `show_run` shows a run's."""

    errored = Signal(object, object)
    folder_changed = Signal()  # Apply or Undo moved files in the dataset folder
    _said = Signal(str)  # what the audit is doing, from the task's thread

    def __init__(self, client: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.loaded: Loaded | None = None
        self.run_dir: str | None = None  # the run audited (or to audit), else a configuration
        self.config: RunConfig | None = None
        self.out: Path | None = None  # the audit being written
        self._start_when_missing = False
        self.header = QLabel(EMPTY)
        self.status = QLabel()
        self.progress = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.audit_button = QPushButton("Audit again")
        self.issues = IssueList()
        self.pairs = PairList()
        self.issues_title, self.pairs_title = QLabel(), QLabel()
        self.hint = QLabel(KEYS)
        self.keep_button, self.exclude_button = QPushButton("Keep (K)"), QPushButton("Exclude (E)")
        self.relabel_button = QToolButton()
        self.relabel_menu = QMenu(self.relabel_button)
        self.folder = FolderActions(self)
        self._task, self._read = BackgroundTask(self), BackgroundTask(self)
        self._build()
        self._connect()
        self._set_running(False)

    def _build(self) -> None:
        for label in (self.header, self.status, self.hint):
            label.setWordWrap(True)
        self.progress.setRange(0, 0)  # busy: the audit says what it does in the status line
        self.progress.setMaximumWidth(160)
        self.relabel_button.setText("Relabel (R) ▸")
        self.relabel_button.setMenu(self.relabel_menu)
        self.relabel_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.keep_button.setToolTip("The label is right: keep the selected images as they are")
        self.exclude_button.setToolTip("Leave the selected images out of training")
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.audit_button)
        running = QHBoxLayout()
        for widget in (self.progress, self.cancel_button):
            running.addWidget(widget)
        running.addWidget(self.status, 1)
        left, right = QWidget(), QWidget()
        left_layout, right_layout = QVBoxLayout(left), QVBoxLayout(right)
        for layout in (left_layout, right_layout):
            layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.issues_title)
        buttons = QHBoxLayout()
        for widget in (self.keep_button, self.exclude_button, self.relabel_button):
            buttons.addWidget(widget)
        buttons.addWidget(self.hint, 1)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.issues, 1)
        right_layout.addWidget(self.pairs_title)
        right_layout.addWidget(self.pairs, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([700, 420])
        bottom = QHBoxLayout()
        bottom.addWidget(self.folder.apply_button)
        bottom.addWidget(self.folder.undo_button)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(running)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.audit_button.clicked.connect(self.audit_again)
        self.cancel_button.clicked.connect(self.cancel)
        self.keep_button.clicked.connect(lambda: self.decide(KEEP))
        self.exclude_button.clicked.connect(lambda: self.decide(EXCLUDE))
        self.issues.decision_keyed.connect(lambda action, label: self.decide(action, label, True))
        self.issues.relabel_armed.connect(self._show_armed)
        self._said.connect(self.status.setText)
        self._task.succeeded.connect(self._audited)
        self._task.failed.connect(self._failed)
        self._read.succeeded.connect(self._read_done)
        self._read.failed.connect(self._failed)
        self.folder.done.connect(self._folder_done)
        self.folder.errored.connect(self.errored)

    # -- which audit ----------------------------------------------------------------------
    def audit_config(self, config: RunConfig) -> None:
        """Audit the dataset `config` names into a new `audit-…` folder of the runs folder."""
        self.run_dir, self.config = None, copy.deepcopy(config)
        self._start(AuditRequest(str(new_run_dir("audit-")), config=self.config))

    def audit_run(self, run_dir: str) -> None:
        """Audit a run's dataset with its settings into `RUN/audit/`."""
        self.run_dir, self.config = run_dir, None
        self._start(AuditRequest(str(Path(run_dir) / AUDIT_DIR), run_dir=run_dir))

    def audit_again(self) -> None:
        if self.run_dir is not None:
            self.audit_run(self.run_dir)
        elif self.config is not None:
            self.audit_config(self.config)

    def show_run(self, run_dir: str, audit_if_missing: bool = False) -> None:
        """Show `RUN/audit/` when it exists; otherwise say so (or audit, when asked)."""
        if self.is_running():
            return  # the audit going on is shown when it ends
        self.run_dir, self.config = run_dir, None
        self._start_when_missing = audit_if_missing
        self._set_running(False)
        self.load(Path(run_dir) / AUDIT_DIR)

    def load(self, folder: Path) -> None:
        """Read an audit folder off the GUI thread, then show it."""
        self.status.setText(f"Reading {folder}…")
        self._read.start(lambda state: read_loaded(folder))

    def is_running(self) -> bool:
        return self._task.is_running()

    def _start(self, request: AuditRequest) -> None:
        if self.is_running():
            self.errored.emit(f"An audit is being written to {self.out}; cancel it first.", "")
            return
        self.out = Path(request.out)
        self._set_running(True)
        self.status.setText("Audit: loading TensorFlow and the base…")
        self.client.call_in(self._task, request, self._said.emit)

    def cancel(self) -> None:
        """Stop the audit; nothing is written (its files are written at the end)."""
        if self.is_running():
            self.client.cancel_call(self._task)
        self._set_running(False)
        self.status.setText("Audit cancelled; nothing written.")

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.audit_button.setEnabled(not running and (self.run_dir or self.config) is not None)
        self.audit_button.setText("Audit again" if self.loaded else "Audit")

    def _audited(self, outcome: Any) -> None:
        self._set_running(False)
        if outcome is None:
            self.status.setText("Audit cancelled; nothing written.")
            return
        self.load(Path(outcome.folder))

    def _failed(self, error: BaseException) -> None:
        self._set_running(False)
        reason, details = failure_text(error)
        self.status.setText(reason)
        self.errored.emit(reason, details)

    def _read_done(self, loaded: Loaded | None) -> None:
        if loaded is None:
            self.show_audit(None)
            if self._start_when_missing and self.run_dir is not None:
                self.audit_run(self.run_dir)
            else:
                self.status.setText(f"{self.run_dir} has no audit yet; press Audit to audit it.")
            return
        self.show_audit(loaded)
        self.status.setText(
            f"Audit of {loaded.audit.summary.get('dataset')} in {loaded.audit.folder}"
        )

    # -- what is shown --------------------------------------------------------------------
    def show_audit(self, loaded: Loaded | None) -> None:
        self.loaded = loaded
        audit = loaded.audit if loaded else None
        root = audit.summary.get("dataset") if audit else None
        self.issues.loader.cancel()
        self.issues.issue_model.set_audit(
            audit.issues if audit else [],
            audit.summary.get("classes", []) if audit else [],
            Path(root) if root else None,
            audit.summary.get("probabilities", {}) if audit else {},
            loaded.decisions if loaded else {},
        )
        self.pairs.loader.cancel()
        self.pairs.pair_model.set_pairs(audit.pairs if audit else [])
        self.header.setText(
            header_text(audit.summary, audit.issues, audit.pairs) if audit else EMPTY
        )
        self.folder.set_root(Path(root) if root else None)
        self._fill_relabel_menu(audit.summary.get("classes", []) if audit else [])
        self._update_titles()
        self._set_running(self.is_running())
        if audit and audit.issues:
            self.issues.setCurrentIndex(self.issues.issue_model.index(0))

    def _fill_relabel_menu(self, classes: list[str]) -> None:
        self.relabel_menu.clear()
        for number, name in enumerate(classes, start=1):
            action = self.relabel_menu.addAction(f"{number}  {name}" if number < 10 else name)
            action.triggered.connect(lambda _=False, n=name: self.decide(RELABEL, n))
        for button in (self.keep_button, self.exclude_button, self.relabel_button):
            button.setEnabled(bool(classes))

    def _update_titles(self) -> None:
        model, pairs = self.issues.issue_model, self.pairs.pair_model.pairs
        self.issues_title.setText(
            f"Likely label errors, most likely first: {model.rowCount()} "
            f"({model.decided_count()} decided) — worth a look, not certain"
        )
        leaks = sum(1 for p in pairs if p.leak)
        self.pairs_title.setText(f"Duplicate pairs, leaks first: {len(pairs)} ({leaks} leaks)")

    def _show_armed(self, armed: bool) -> None:
        classes = self.issues.issue_model.classes[:9]
        names = " · ".join(f"{n} {c}" for n, c in enumerate(classes, start=1))
        self.hint.setText(f"Relabel to: {names} (Esc: never mind)" if armed else KEYS)

    # -- decisions ------------------------------------------------------------------------
    def decide(self, action: str, label: str = "", by_key: bool = False) -> None:
        """Write the decision for the selected images now and show it on them."""
        model = self.issues.issue_model
        rows = self.issues.selected_rows()
        if model.root is None or not rows:
            return
        chosen = [Decision(model.relative_path(model.issues[r]), action, label) for r in rows]
        try:
            decide(model.root, chosen)
        except UserError as exc:
            self.errored.emit(str(exc), "")
            return
        model.set_decisions(chosen)
        self._update_titles()
        self.folder.refresh()
        if by_key and len(rows) == 1:
            self.issues.advance()

    def _folder_done(self, sentence: str) -> None:
        self.status.setText(sentence)
        self.folder_changed.emit()
