"""The likely label errors as a list model: one row per flagged image, most likely first, with
the decision taken on it (keep, exclude, relabel) and its out-of-sample probability per class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from ftgui.core.audit.files import IssueRow
from ftgui.core.data.decisions import EXCLUDE, KEEP, RELABEL, Decision, relative
from ftgui.gui.shared.thumbnails import ThumbnailLoader

IssueRole = Qt.ItemDataRole.UserRole + 1
DecisionRole = Qt.ItemDataRole.UserRole + 2
ProbabilitiesRole = Qt.ItemDataRole.UserRole + 3


def decision_text(decision: Decision | None) -> str:
    """What the item's badge says: "keep", "exclude", "→ dog", or nothing."""
    if decision is None:
        return ""
    if decision.action == RELABEL:
        return f"→ {decision.label}"
    return {KEEP: "keep", EXCLUDE: "exclude"}.get(decision.action, decision.action)


class IssueModel(QAbstractListModel):
    """Rows are IssueRows in rank order; `decisions` by path relative to the dataset folder."""

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.issues: list[IssueRow] = []
        self.classes: list[str] = []
        self.root: Path | None = None
        self.probabilities: dict[str, list[float]] = {}
        self.decisions: dict[str, Decision] = {}
        self._rows: dict[str, int] = {}
        loader.ready.connect(self._thumbnail_ready)

    def set_audit(
        self,
        issues: list[IssueRow],
        classes: list[str],
        root: Path | None,
        probabilities: dict[str, list[float]],
        decisions: dict[str, Decision],
    ) -> None:
        self.beginResetModel()
        self.issues = sorted(issues, key=lambda issue: issue.rank)
        self.classes, self.root = list(classes), root
        self.probabilities, self.decisions = probabilities, dict(decisions)
        self._rows = {issue.path: row for row, issue in enumerate(self.issues)}
        self.endResetModel()

    def relative_path(self, issue: IssueRow) -> str:
        """The image's path as the decisions file names it."""
        return relative(self.root, issue.path) if self.root is not None else issue.path

    def decision_of(self, row: int) -> Decision | None:
        return self.decisions.get(self.relative_path(self.issues[row]))

    def set_decisions(self, decisions: list[Decision]) -> None:
        """Show these decisions (already written) on their rows."""
        self.decisions.update({d.path: d for d in decisions})
        paths = {d.path for d in decisions}
        for row, issue in enumerate(self.issues):
            if self.relative_path(issue) in paths:
                index = self.index(row)
                self.dataChanged.emit(index, index, [DecisionRole])

    def decided_count(self) -> int:
        return sum(1 for issue in self.issues if self.relative_path(issue) in self.decisions)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.issues)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        issue = self.issues[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"#{issue.rank} {issue.label} → {issue.suggested}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self.loader.thumbnail(issue.path) or self.loader.loading
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(issue)
        if role == IssueRole:
            return issue
        if role == DecisionRole:
            return self.decision_of(index.row())
        if role == ProbabilitiesRole:
            return self.probabilities.get(issue.path, [])
        return None

    def _tooltip(self, issue: IssueRow) -> str:
        shares = self.probabilities.get(issue.path, [])
        bars = ", ".join(f"{name} {p:.2f}" for name, p in zip(self.classes, shares, strict=False))
        decided = decision_text(self.decision_of(self._rows[issue.path]))
        return (
            f"{issue.path}\n{issue.split}: labelled {issue.label}, suggested {issue.suggested}, "
            f"self-confidence {issue.self_confidence:.3f}\nout-of-sample: {bars}"
            + (f"\ndecided: {decided}" if decided else "")
        )

    def _thumbnail_ready(self, path: str) -> None:
        row = self._rows.get(path)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
