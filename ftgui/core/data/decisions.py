"""A dataset's own decisions about its images: `DIR/ftgui-decisions.csv` (`path,action,label`).

`path` is relative to DIR with `/`; `action` is keep, exclude or relabel (`label`: the new
class). Training honours the file (excluded images left out, relabelled ones trained as their
new class) unless told to ignore it; the user's files are moved only by `apply_to_folder`
(excluded ones to `DIR/_excluded/<class>/`, relabelled ones into their class folder), which
writes an undo list that `undo_apply` follows back. Nothing is ever deleted. No TensorFlow.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ftgui.core.data.dataset import NOT_CLASSES, SPLITS, Dataset, Split
from ftgui.core.errors import UserError
from ftgui.core.files import write_atomically

DECISIONS_FILE = "ftgui-decisions.csv"
UNDO_FILE = "ftgui-undo.csv"  # from,to of every file "Apply to folder" moved, relative to DIR
EXCLUDED_DIR = NOT_CLASSES[0]
FIELDS = ("path", "action", "label")
KEEP, EXCLUDE, RELABEL = "keep", "exclude", "relabel"
ACTIONS = (KEEP, EXCLUDE, RELABEL)


@dataclass(frozen=True)
class Decision:
    path: str  # relative to the dataset folder, with /
    action: str  # keep | exclude | relabel
    label: str = ""  # the new class of a relabel


@dataclass(frozen=True)
class Applied:
    """What a dataset's decisions changed when it was read for a run."""

    excluded: int = 0
    relabelled: int = 0
    digest: str | None = None  # sha256 of the decisions file, None without one

    def note(self) -> str:
        if self.digest is None:
            return ""
        return (
            f"Dataset decisions ({DECISIONS_FILE}): {self.excluded} image"
            f"{'s' * (self.excluded != 1)} excluded, {self.relabelled} relabelled"
        )


def relative(root: Path, path: str | Path) -> str:
    """`path` relative to the dataset folder, with `/` (as the decisions file stores it)."""
    return Path(os.path.relpath(Path(path), root)).as_posix()


def read_decisions(root: str | Path) -> dict[str, Decision]:
    """The decisions in `root`'s file by relative path (the last one of a path wins)."""
    path = Path(root) / DECISIONS_FILE
    if not path.is_file():
        return {}
    found: dict[str, Decision] = {}
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            if tuple(reader.fieldnames or ()) != FIELDS:
                raise ValueError(f"its header is not {','.join(FIELDS)}")
            for number, row in enumerate(reader, start=2):
                decision = Decision(
                    row["path"].strip(), row["action"].strip(), row["label"].strip()
                )
                if decision.action not in ACTIONS or not decision.path:
                    raise ValueError(f"line {number} has action '{decision.action}'")
                if decision.action == RELABEL and not decision.label:
                    raise ValueError(f"line {number} relabels without a label")
                found[decision.path] = decision
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(
            f"{path} cannot be read ({' '.join(str(exc).split())[:100]}); fix or remove it, or "
            f"train with --ignore-decisions."
        ) from None
    return found


def write_decisions(root: str | Path, decisions: Iterable[Decision]) -> Path:
    """Write the decisions file atomically (sorted by path; keep rows are kept too)."""
    path = Path(root) / DECISIONS_FILE
    rows = sorted({d.path: d for d in decisions}.values(), key=lambda d: d.path)

    def write(target: Path) -> None:
        with target.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(FIELDS)
            writer.writerows(
                (d.path, d.action, d.label if d.action == RELABEL else "") for d in rows
            )

    try:
        write_atomically(path, write)
    except OSError as exc:
        raise UserError(f"Cannot write {path} ({exc.strerror or exc}); check the folder.") from None
    return path


def decide(root: str | Path, decisions: Iterable[Decision]) -> Path:
    """Add or replace these decisions in the file."""
    merged = read_decisions(root)
    merged.update({d.path: d for d in decisions})
    return write_decisions(root, merged.values())


def digest(root: str | Path) -> str | None:
    path = Path(root) / DECISIONS_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def apply_decisions(dataset: Dataset) -> Applied:
    """Leave out excluded images and give relabelled ones their class, in every split."""
    decisions = read_decisions(dataset.root)
    if not decisions:
        return Applied(digest=digest(dataset.root))
    classes = {name: k for k, name in enumerate(dataset.class_names)}
    for decision in decisions.values():
        if decision.action == RELABEL and decision.label not in classes:
            raise UserError(
                f"{Path(dataset.root) / DECISIONS_FILE} relabels {decision.path} to "
                f"'{decision.label}', which is not a class of this dataset "
                f"({', '.join(dataset.class_names)}); fix that line or use --ignore-decisions."
            )
    excluded = relabelled = 0
    for name in SPLITS:
        split: Split = getattr(dataset, name)
        kept = Split()
        for file, label in zip(split.files, split.labels, strict=True):
            decision = decisions.get(relative(dataset.root, file))
            if decision is not None and decision.action == EXCLUDE:
                excluded += 1
                continue
            if decision is not None and decision.action == RELABEL:
                relabelled += classes[decision.label] != label
                label = classes[decision.label]
            kept.files.append(file)
            kept.labels.append(label)
        setattr(dataset, name, kept)
    return Applied(excluded, relabelled, digest(dataset.root))


@dataclass(frozen=True)
class Move:
    source: str  # relative to the dataset folder, with /
    target: str


def planned_moves(dataset: Dataset) -> list[Move]:
    """What "Apply to folder" would move: excluded images to `_excluded/<class>/`, relabelled
    ones into their new class's folder of the same split (relative paths)."""
    decisions = read_decisions(dataset.root)
    moves = []
    for name in SPLITS:
        split: Split = getattr(dataset, name)
        for file, label in zip(split.files, split.labels, strict=True):
            rel = relative(dataset.root, file)
            decision = decisions.get(rel)
            if decision is None or decision.action == KEEP:
                continue
            parts = rel.split("/")
            if decision.action == EXCLUDE:
                target = "/".join(
                    [EXCLUDED_DIR, *parts[:-2], dataset.class_names[label], parts[-1]]
                )
            elif decision.label != dataset.class_names[label]:
                target = "/".join([*parts[:-2], decision.label, parts[-1]])
            else:
                continue
            moves.append(Move(rel, target))
    return moves


def apply_to_folder(dataset: Dataset) -> list[Move]:
    """Move the files as `planned_moves` says and record each move in the undo list. Nothing
    is deleted or overwritten: a name already taken in the target folder gets `-2`, `-3`, …
    before its suffix. The decisions file stays as it is (its moved paths match no file any
    more; after an undo they apply again)."""
    root = Path(dataset.root)
    done: list[Move] = []
    try:
        for planned in planned_moves(dataset):
            move = Move(planned.source, _free_name(root, planned.target))
            (root / move.target).parent.mkdir(parents=True, exist_ok=True)
            os.rename(root / move.source, root / move.target)
            done.append(move)
    finally:
        _record_undo(root, [*read_undo(root), *done])
    return done


def _free_name(root: Path, target: str) -> str:
    path, n = Path(target), 1
    while (root / path).exists():
        n += 1
        path = Path(target).with_name(f"{Path(target).stem}-{n}{Path(target).suffix}")
    return path.as_posix()


def read_undo(root: str | Path) -> list[Move]:
    path = Path(root) / UNDO_FILE
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        return [Move(row["from"], row["to"]) for row in csv.DictReader(file)]


def _record_undo(root: Path, moves: list[Move]) -> None:
    def write(target: Path) -> None:
        with target.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(("from", "to"))
            writer.writerows((m.source, m.target) for m in moves)

    write_atomically(root / UNDO_FILE, write)


def undo_apply(root: str | Path) -> int:
    """Move every file the undo list names back, newest first; returns how many moved back.
    The undo list is removed once it is empty."""
    root = Path(root)
    moves = read_undo(root)
    restored = 0
    while moves:
        move = moves[-1]
        source, target = root / move.target, root / move.source
        if source.exists() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(source, target)
            restored += 1
        elif not source.exists() and not target.exists():
            raise UserError(f"{source} is gone; it cannot be moved back to {target}.")
        moves.pop()
        _record_undo(root, moves)
    (root / UNDO_FILE).unlink(missing_ok=True)
    return restored
