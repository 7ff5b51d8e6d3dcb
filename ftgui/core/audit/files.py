"""An audit's three files, written atomically and read back without TensorFlow:
`label_issues.csv`, `duplicates.csv` and `audit.json`."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftgui.core.errors import UserError
from ftgui.core.files import write_run_file

LABEL_ISSUES = "label_issues.csv"
DUPLICATES = "duplicates.csv"
AUDIT_JSON = "audit.json"
ISSUE_FIELDS = ("path", "split", "label", "suggested", "self_confidence", "rank")
PAIR_FIELDS = ("path_a", "split_a", "path_b", "split_b", "similarity", "kind")
LEAK_ORDER = {  # which split pairs come first: test↔train, test↔validation, validation↔train
    frozenset({"test", "train"}): 0,
    frozenset({"test", "validation"}): 1,
    frozenset({"train", "validation"}): 2,
}


@dataclass(frozen=True)
class IssueRow:
    path: str
    split: str
    label: str
    suggested: str
    self_confidence: float
    rank: int


@dataclass(frozen=True)
class PairRow:
    path_a: str
    split_a: str
    path_b: str
    split_b: str
    similarity: float
    kind: str

    @property
    def leak(self) -> bool:
        return self.split_a != self.split_b


def pair_order(row: PairRow) -> tuple[int, int, float]:
    """Leaks first (test↔train first), then pairs within a split; exact before near."""
    group = LEAK_ORDER.get(frozenset({row.split_a, row.split_b}), 3) if row.leak else 3
    return group, row.kind != "exact", -row.similarity


def write_audit(
    folder: Path, issues: list[IssueRow], pairs: list[PairRow], summary: dict[str, Any]
) -> None:
    """The three files, the JSON last (an audit counts as written once it exists)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"Cannot make the audit folder {folder} ({exc.strerror}); use --out."
        ) from None
    _write_csv(folder / LABEL_ISSUES, ISSUE_FIELDS, [
        (r.path, r.split, r.label, r.suggested, f"{r.self_confidence:.6f}", r.rank) for r in issues
    ])  # fmt: skip
    _write_csv(folder / DUPLICATES, PAIR_FIELDS, [
        (r.path_a, r.split_a, r.path_b, r.split_b, f"{r.similarity:.6f}", r.kind) for r in pairs
    ])  # fmt: skip
    text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    write_run_file(folder / AUDIT_JSON, lambda path: path.write_text(text, encoding="utf-8"))


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    def write(target: Path) -> None:
        with target.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            writer.writerows(rows)

    write_run_file(path, write)


@dataclass(frozen=True)
class StoredAudit:
    """An audit as written (or read back): its folder, audit.json and the two tables."""

    folder: Path
    summary: dict[str, Any]
    issues: list[IssueRow]
    pairs: list[PairRow]

    def lines(self) -> list[str]:
        """The printed summary: label errors, leaks (test↔train), duplicates, imbalance."""
        leaks = [p for p in self.pairs if p.leak]
        test_train = sum(1 for p in leaks if {p.split_a, p.split_b} == {"test", "train"})
        within = len(self.pairs) - len(leaks)
        imbalance = self.summary["imbalance"]
        return [
            f"{len(self.issues)} likely label error{'s' * (len(self.issues) != 1)} "
            f"(of {self.summary['images']} images; cleanlab, {self.summary['folds']}-fold "
            f"out-of-sample probabilities)",
            f"{len(leaks)} leak{'s' * (len(leaks) != 1)} between splits ({test_train} test↔train), "
            f"{within} duplicate pair{'s' * (within != 1)} within a split",
            f"imbalance: largest training class {imbalance['largest']} images, smallest "
            f"{imbalance['smallest']} (×{imbalance['ratio']:.1f})",
            f"audited in {self.summary['seconds']:.1f} s; files in {self.folder}",
        ]


def read_audit(folder: str | Path) -> StoredAudit:
    """A written audit; one sentence when the folder holds none or it is damaged."""
    folder = Path(folder).expanduser()
    try:
        summary = json.loads((folder / AUDIT_JSON).read_text(encoding="utf-8"))
        with (folder / LABEL_ISSUES).open(newline="", encoding="utf-8") as file:
            issues = [
                IssueRow(r["path"], r["split"], r["label"], r["suggested"],
                         float(r["self_confidence"]), int(r["rank"]))
                for r in csv.DictReader(file)
            ]  # fmt: skip
        with (folder / DUPLICATES).open(newline="", encoding="utf-8") as file:
            pairs = [
                PairRow(r["path_a"], r["split_a"], r["path_b"], r["split_b"],
                        float(r["similarity"]), r["kind"])
                for r in csv.DictReader(file)
            ]  # fmt: skip
    except FileNotFoundError:
        raise UserError(
            f"{folder} holds no audit (no {AUDIT_JSON}); run python main.py audit first."
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(
            f"The audit in {folder} is damaged ({' '.join(str(exc).split())[:80]}); audit again."
        ) from None
    return StoredAudit(folder, summary, issues, pairs)
