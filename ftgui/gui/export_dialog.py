"""File → Export model…: a run's model as SavedModel, TFLite or ONNX (verified), or the script.

The export runs in the analysis process; the dialog stays usable and shows what was written,
its size and how far the exported model's outputs are from Keras's. That line belongs to the
run, model and format it was written for: choosing another shows that one's own last result.
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
from ftgui.gui.results.view import RunContents
from ftgui.gui.shared.app_settings import remember_folder, start_folder

FORMAT_LABELS = (
    ("savedmodel", "TensorFlow SavedModel (folder)"),
    ("tflite", "TensorFlow Lite / LiteRT (.tflite)"),
    ("onnx", "ONNX (.onnx, for ONNX Runtime)"),
    ("script", "The recipe as a Keras script (.py)"),
)
HINT = "Each model export is checked by running it in its own runtime."
Key = tuple[str, str, str]  # (run folder, model, format)


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
        self._lines: dict[Key, str] = {}  # the last status or result of each export
        self._exporting: Key | None = None
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
        self.format_combo.currentIndexChanged.connect(self._show_line)
        self.model_combo.currentIndexChanged.connect(self._show_line)
        self.browse_button.clicked.connect(self._browse)
        self.buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(self.start_export)
        client.exported.connect(self._exported)
        client.export_failed.connect(self._failed)
        client.export_status.connect(self._status)

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
        self._suggest_output()
        self._show_line()

    def chosen_format(self) -> str:
        return str(self.format_combo.currentData())

    def _key(self) -> Key:
        return (str(self.run_dir), self.model_combo.currentText(), self.chosen_format())

    def _show_line(self) -> None:
        """The chosen run, model and format's last export line, else the hint."""
        self.message.setText(self._lines.get(self._key(), HINT))

    def _set_line(self, key: Key, text: str) -> None:
        self._lines[key] = text
        if key == self._key():
            self.message.setText(text)

    def _suggest_output(self) -> None:
        if self.run_dir is not None:
            self.out_edit.setText(str(default_output(Path(self.run_dir), self.chosen_format())))

    def _browse(self) -> None:
        """Opens where the last export was chosen to go (the runs folder or home before any)."""
        start = start_folder("export")
        if self.chosen_format() == "script":
            name = Path(self.out_edit.text().strip() or "recipe.py").name
            path, _ = QFileDialog.getSaveFileName(
                self, "Recipe script", str(Path(start) / name), "Python (*.py)"
            )
        else:
            path = QFileDialog.getExistingDirectory(self, "An empty folder for the export", start)
        if path:
            remember_folder("export", str(Path(path).parent))  # the next goes beside, not in it
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
        self._exporting = self._key()
        self._status("Exporting… (loading TensorFlow and the model first)")
        self.client.export(self.run_dir, self.model_combo.currentText(), self.chosen_format(), out)

    def _status(self, text: str) -> None:
        if self._exporting is not None:
            self._set_line(self._exporting, text)

    def _exported(self, result: ExportResult | Path) -> None:
        self._finished(result_text(result))

    def _failed(self, reason: str, details: str) -> None:
        self._finished(f"✗ {reason}")

    def _finished(self, text: str) -> None:
        self.export_button.setEnabled(True)
        self._set_line(self._exporting or self._key(), text)
        self._exporting = None
