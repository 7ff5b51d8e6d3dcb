"""File → Export model…: a run's model as SavedModel, TFLite or ONNX (verified), or the script.

The export runs in the analysis process; the dialog stays usable and shows what was written,
its size and how far the exported model's outputs are from Keras's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.export.artifacts import ExportResult, default_output
from ftgui.gui.analysis_client import AnalysisClient
from ftgui.gui.results_view import RunContents

FORMAT_LABELS = (
    ("savedmodel", "TensorFlow SavedModel (folder)"),
    ("tflite", "TensorFlow Lite / LiteRT (.tflite)"),
    ("onnx", "ONNX (.onnx, for ONNX Runtime)"),
    ("script", "The recipe as a Keras script (.py)"),
)


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.1f} kB"


def result_text(result: ExportResult | Path) -> str:
    """What an export wrote, for a person."""
    if isinstance(result, Path):
        return f"✓ Wrote {result}: run it with python {result.name} --epochs 1 to try it."
    return (
        f"✓ Wrote {result.artifact} ({megabytes(result.size)}) in {result.seconds:.1f} s, with "
        f"labels.txt. Checked with {result.runtime} on {result.source}: largest difference "
        f"from Keras {result.difference:.2g}."
    )


class ExportDialog(QDialog):
    """Chooses model, format and destination; `set_run(folder, models)` says which run."""

    errored = Signal(object, object)

    def __init__(self, client: AnalysisClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ftgui: export model")
        self.client = client
        self.run_dir: str | None = None
        self.model_combo = QComboBox()
        self.format_combo = QComboBox()
        for key, label in FORMAT_LABELS:
            self.format_combo.addItem(label, key)
        self.out_edit = QLineEdit()
        self.browse_button = QPushButton("…")
        self.browse_button.setFixedWidth(28)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self._build()
        self.format_combo.currentIndexChanged.connect(self._suggest_output)
        self.browse_button.clicked.connect(self._browse)
        self.buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(self.start_export)
        client.exported.connect(self._exported)
        client.export_failed.connect(self._failed)
        client.export_status.connect(self.message.setText)

    def _build(self) -> None:
        destination = QHBoxLayout()
        destination.addWidget(self.out_edit, 1)
        destination.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Model", self.model_combo)
        form.addRow("Format", self.format_combo)
        form.addRow("Write to", destination)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(620, 220)

    def open_for(self, contents: RunContents | None) -> None:
        """Show the dialog for the run the Results tab shows (it must have a model)."""
        if contents is None or not contents.models:
            self.errored.emit("Open a run that has a model first (File → Open run folder…).", "")
            return
        self.set_run(contents.run_dir, contents.models)
        self.show()

    def set_run(self, run_dir: str, models: list[str]) -> None:
        self.run_dir = run_dir
        self.model_combo.clear()
        self.model_combo.addItems(models)
        self.message.setText("Each model export is checked by running it in its own runtime.")
        self._suggest_output()

    def chosen_format(self) -> str:
        return str(self.format_combo.currentData())

    def _suggest_output(self) -> None:
        if self.run_dir is not None:
            self.out_edit.setText(str(default_output(Path(self.run_dir), self.chosen_format())))

    def _browse(self) -> None:
        if self.chosen_format() == "script":
            path, _ = QFileDialog.getSaveFileName(
                self, "Recipe script", self.out_edit.text(), "Python (*.py)"
            )
        else:
            path = QFileDialog.getExistingDirectory(self, "An empty folder for the export")
        if path:
            self.out_edit.setText(path)

    def start_export(self) -> None:
        """Export in the analysis process; the answer arrives as `exported` or `export_failed`."""
        if self.run_dir is None or self.client.is_exporting():
            return
        out = self.out_edit.text().strip()
        if not out:
            self.message.setText("Choose where to write the export.")
            return
        self.export_button.setEnabled(False)
        self.message.setText("Exporting… (loading TensorFlow and the model first)")
        self.client.export(self.run_dir, self.model_combo.currentText(), self.chosen_format(), out)

    def _exported(self, result: ExportResult | Path) -> None:
        self.export_button.setEnabled(True)
        self.message.setText(result_text(result))

    def _failed(self, reason: str, details: str) -> None:
        self.export_button.setEnabled(True)
        self.message.setText(f"✗ {reason}")
