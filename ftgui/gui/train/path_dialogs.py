"""The settings panel's file dialogs: where each opens, and what a chosen path fills in."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QFileDialog, QLineEdit, QPushButton

from ftgui.core.paths import runs_dir
from ftgui.gui.shared.app_settings import remember_folder, start_folder

BROWSE_TIPS = {
    "data": "Pick the dataset folder",
    "weights": "Pick a VGG16 conv-base weights file (.h5 or .weights.h5)",
    "out": "Pick the Run folder (an empty or new folder)",
}


class PathDialogs:
    """Mixin of `SettingsPanel`: the "…" buttons beside its dataset, weights and run folder."""

    sample: bool
    data_edit: QLineEdit
    weights_combo: QComboBox
    weights_edit: QLineEdit
    out_edit: QLineEdit

    def _browse_button(self, slot: object, tip: str) -> QPushButton:
        button = QPushButton("…")
        button.setFixedWidth(28)
        button.setToolTip(BROWSE_TIPS[tip])
        button.clicked.connect(slot)
        return button

    @staticmethod
    def _start_folder(text: str, kind: str) -> str:
        """Where a dialog opens: the field's own path when it exists, else that dialog's last
        folder (the runs folder or home before any)."""
        path = Path(text.strip()).expanduser() if text.strip() else None
        return str(path) if path is not None and path.exists() else start_folder(kind)

    def _browse_data(self) -> None:
        start = "" if self.sample else self.data_edit.text()
        start = self._start_folder(start, "data")
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder", start)
        if folder:
            remember_folder("data", folder)
            self.sample = False
            self.data_edit.setText(folder)
            self.check_dataset()

    def _browse_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "VGG16 conv-base weights",
            self._start_folder(self.weights_edit.text(), "weights"),
            "Keras weights (*.h5 *.hdf5 *.weights.h5)",
        )
        if path:
            remember_folder("weights", path)
            self.weights_combo.setCurrentIndex(self.weights_combo.findData("file"))
            self.weights_edit.setText(path)

    def _browse_out(self) -> None:
        text = self.out_edit.text().strip()
        start = text if text and Path(text).expanduser().exists() else str(runs_dir())
        folder = QFileDialog.getExistingDirectory(self, "Run folder", start)
        if folder:
            self.out_edit.setText(folder)
