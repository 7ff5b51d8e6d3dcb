"""The summary shown when a run ends: each phase's best epoch, the test metrics, the run folder."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.events import EpochEnded, PhaseStarted, RunEnded, RunStarted
from ftgui.core.training.run_summary import PhaseBest, RunSummary, SummaryCollector
from ftgui.gui.shared.event_handlers import EventView, handles

COLUMNS = ("Phase", "Best epoch", "Val accuracy", "Val loss")
PATH_WIDTH = 440  # pixels; a longer run folder is elided in the middle (full path in the tooltip)


class RunSummaryDialog(EventView, QDialog):
    """A non-blocking window that opens when a run ends; `handle` takes the run's events."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run summary")
        self.setModal(False)
        self.collector = SummaryCollector()
        self.summary: RunSummary | None = None
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        bold = QFont(self.outcome.font())
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.15)
        self.outcome.setFont(bold)
        self.table = QGridLayout()
        self.table.setHorizontalSpacing(18)
        self.test_caption, self.test = _caption("Test split"), QLabel()
        self.folder = QLabel()
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder.setMinimumWidth(PATH_WIDTH)
        self.open_button = QPushButton("Open folder")
        self.copy_button = QPushButton("Copy path")
        self.open_button.clicked.connect(self.open_folder)
        self.copy_button.clicked.connect(self.copy_path)
        self._build_layout()

    def _build_layout(self) -> None:
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.outcome)
        layout.addLayout(self.table)
        layout.addWidget(self.test_caption)
        layout.addWidget(self.test)
        layout.addWidget(_caption("Run folder"))
        layout.addWidget(self.folder)
        layout.addWidget(buttons)

    @handles(RunStarted, PhaseStarted, EpochEnded)
    def _collect(self, event: RunStarted | PhaseStarted | EpochEnded) -> None:
        self.collector(event)

    @handles(RunEnded)
    def _run_ended(self, event: RunEnded) -> None:
        self.collector(event)
        parent = self.parentWidget()
        closing = parent is not None and getattr(parent, "close_when_stopped", False)
        if self.collector.summary and not closing:
            self.show_summary(self.collector.summary)

    def show_summary(self, summary: RunSummary) -> None:
        """Fill the dialog with `summary` and show it without blocking the window."""
        self.summary = summary
        self.outcome.setText(summary.outcome())
        self._fill_table(summary.phases)
        metrics = summary.test_metrics or {}
        self.test.setText("  ·  ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items())))
        self.test_caption.setVisible(bool(metrics))
        self.test.setVisible(bool(metrics))
        metrics_font = self.folder.fontMetrics()
        self.folder.setText(
            metrics_font.elidedText(summary.run_dir, Qt.TextElideMode.ElideMiddle, PATH_WIDTH)
        )
        self.folder.setToolTip(summary.run_dir)
        self.show()
        self.raise_()

    def _fill_table(self, phases: list[PhaseBest]) -> None:
        while self.table.count():
            item = self.table.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        rows = [(_caption(title) for title in COLUMNS)] if phases else []
        rows += [(QLabel(text) for text in _cells(phase)) for phase in phases]
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row, labels in enumerate(rows):
            for column, label in enumerate(labels):
                if column:  # numbers line up on the right
                    label.setAlignment(right)
                self.table.addWidget(label, row, column)

    def cell_text(self, row: int, column: int) -> str:
        """The text at (`row`, `column`) of the phase table; row 0 holds the titles."""
        item = self.table.itemAtPosition(row, column)
        return item.widget().text() if item is not None else ""

    def open_folder(self) -> None:
        if self.summary is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.summary.run_dir))

    def copy_path(self) -> None:
        if self.summary is not None:
            QGuiApplication.clipboard().setText(self.summary.run_dir)


def _cells(phase: PhaseBest) -> tuple[str, str, str, str]:
    name = f"{phase.phase + 1}. {phase.name}"
    best = "–" if phase.epoch is None else str(phase.epoch + 1)
    # "3 · stopped after 3 of 20" for a phase cut short; "3 of 20" for a finished one
    epochs = (
        f"{best} · {phase.stop_note()}"
        if phase.stopped_early()
        else f"{best} of {phase.epochs_done}"
    )
    if phase.epoch is None or phase.val_loss is None:
        return name, epochs, "–", "–"
    accuracy = "–" if phase.val_accuracy is None else f"{phase.val_accuracy:.4f}"
    return name, epochs, accuracy, f"{phase.val_loss:.4f}"


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: palette(mid); font-weight: 600;")
    return label
