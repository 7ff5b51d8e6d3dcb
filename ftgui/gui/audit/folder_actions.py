"""Apply to folder… and Undo: the dataset's decisions carried out on its files, and back.

Apply scans the folder off the GUI thread, lists what would move (`planned_moves`) in a
confirmation, then moves (`apply_to_folder`: excluded images to `_excluded/<class>/`,
relabelled ones into their class folder, an undo list written). Undo (`undo_apply`) is enabled
while the undo list holds moves. Nothing is ever deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from ftgui.core.data.dataset import Dataset, find_dataset
from ftgui.core.data.decisions import EXCLUDED_DIR, Move, apply_to_folder, planned_moves, read_undo
from ftgui.core.data.decisions import undo_apply as undo_moves
from ftgui.core.errors import UserError
from ftgui.gui.shared.tasks import BackgroundTask

LISTED = 12  # moves named in the confirmation itself; all of them are in its details


def confirmation_text(root: Path, moves: list[Move]) -> tuple[str, str, str]:
    """(question, the first moves, every move) for the confirmation."""
    excluded = sum(1 for m in moves if m.target.startswith(EXCLUDED_DIR + "/"))
    question = (
        f"Move {len(moves)} image{'s' * (len(moves) != 1)} in {root}? {excluded} excluded "
        f"go to {EXCLUDED_DIR}/, {len(moves) - excluded} relabelled go into their new class "
        f"folder. Nothing is deleted; Undo moves every file back."
    )
    lines = [f"{m.source} → {m.target}" for m in moves]
    more = f"\n… and {len(lines) - LISTED} more (Show Details…)" if len(lines) > LISTED else ""
    return question, "\n".join(lines[:LISTED]) + more, "\n".join(lines)


class FolderActions(QObject):
    """Owns the two buttons; `done(sentence)` after files moved, `errored` when they could not."""

    done = Signal(str)
    errored = Signal(object, object)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.root: Path | None = None
        self.apply_button = QPushButton("Apply to folder…")
        self.apply_button.setToolTip(
            f"Move excluded images to {EXCLUDED_DIR}/<class>/ and relabelled ones into their "
            "class folder, after listing them; Undo moves them back"
        )
        self.undo_button = QPushButton("Undo apply")
        self.undo_button.setToolTip("Move every file the last Apply moved back where it was")
        self.confirm: Callable[[Path, list[Move]], bool] = self.ask  # tests answer for the person
        self._plan, self._move = BackgroundTask(self), BackgroundTask(self)
        self.apply_button.clicked.connect(self.apply)
        self.undo_button.clicked.connect(self.undo)
        self._plan.succeeded.connect(self._planned)
        self._move.succeeded.connect(self._moved)
        for task in (self._plan, self._move):
            task.failed.connect(self._failed)
        self.refresh()

    def set_root(self, root: Path | None) -> None:
        self.root = root
        self.refresh()

    def busy(self) -> bool:
        return self._plan.is_running() or self._move.is_running()

    def refresh(self) -> None:
        """Apply needs a dataset folder; Undo needs moves in its undo list."""
        idle = self.root is not None and not self.busy()
        self.apply_button.setEnabled(idle)
        self.undo_button.setEnabled(idle and self.root is not None and bool(_undo_list(self.root)))

    def apply(self) -> None:
        """Scan the folder, list what moves, and move it once confirmed."""
        root = self.root
        if root is None or self.busy():
            return
        self._plan.start(lambda state: _plan(root))
        self.refresh()

    def undo(self) -> None:
        root = self.root
        if root is None or self.busy():
            return
        self._move.start(lambda state: f"Moved {undo_moves(root)} files back into {root}.")
        self.refresh()

    def _planned(self, planned: tuple[Dataset, list[Move]]) -> None:
        dataset, moves = planned
        self.refresh()
        if not moves:
            self.done.emit("Nothing to move: no image is excluded or relabelled to another class.")
        elif self.confirm(Path(dataset.root), moves):
            self._move.start(lambda state: _applied(dataset))
            self.refresh()

    def _moved(self, sentence: str) -> None:
        self.refresh()
        self.done.emit(sentence)

    def _failed(self, error: BaseException) -> None:
        self.refresh()
        reason = str(error) if isinstance(error, UserError) else f"Cannot move the files: {error}"
        self.errored.emit(reason, "")

    def ask(self, root: Path, moves: list[Move]) -> bool:
        question, first, every = confirmation_text(root, moves)
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Apply to folder",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setInformativeText(first)
        box.setDetailedText(every)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes


def _plan(root: Path) -> tuple[Dataset, list[Move]]:
    dataset = find_dataset(root)  # the split does not change what moves
    return dataset, planned_moves(dataset)


def _applied(dataset: Dataset) -> str:
    moved = apply_to_folder(dataset)
    return (
        f"Moved {len(moved)} image{'s' * (len(moved) != 1)} in {dataset.root}; nothing was "
        f"deleted, and Undo apply moves them back. Audit again to see the folder as it is now."
    )


def _undo_list(root: Path) -> list[Move]:
    try:
        return read_undo(root)
    except (OSError, KeyError, ValueError):
        return []
