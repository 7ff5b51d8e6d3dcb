"""Dataset, weights, image and batch settings, checked as they are typed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ftgui.core.data.dataset import Dataset, find_dataset
from ftgui.core.data.sample import sample_dir
from ftgui.core.errors import UserError
from ftgui.core.model.build import imagenet_cache_path
from ftgui.core.settings.config import MAX_IMAGE_SIZE, WEIGHT_CHOICES, RunConfig
from ftgui.core.settings.vgg16 import MIN_IMAGE_SIZE
from ftgui.core.training.run_folder import RunFolder

WEIGHT_LABELS = (("imagenet", "ImageNet"), ("file", "File…"), ("none", "Random init"))
SAMPLE_TEXT = "✓ Sample: scikit-learn's handwritten digits, 10 classes, 1,797 images (no download)"
OK_STYLE = "color: #2b7a3d;"
BAD_STYLE = "color: #c0392b;"


class ReasonLabel(QLabel):
    """A small line under a field: green when fine, red with the reason when not."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.problem = ""
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.setFont(font)

    def show_ok(self, text: str) -> None:
        self.problem = ""
        self.setStyleSheet(OK_STYLE)
        self.setText(text)

    def show_problem(self, text: str) -> None:
        self.problem = text
        self.setStyleSheet(BAD_STYLE)
        self.setText(text)


class SettingsPanel(QGroupBox):
    """Edits the run-wide fields of a RunConfig; `changed` fires after every edit."""

    changed = Signal()
    dataset_scanned = Signal(object)  # Dataset or None
    sample_chosen = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Data and model", parent)
        self.sample = False
        self.dataset: Dataset | None = None
        self._scan_timer = QTimer(self, singleShot=True, interval=250)
        self._scan_timer.timeout.connect(self.check_dataset)

        self.data_edit = QLineEdit(
            placeholderText="folder with train/ and validation/, or class folders"
        )
        self.sample_button = QPushButton("Sample dataset")
        self.sample_button.setToolTip("scikit-learn's handwritten digits: no download, 32 px")
        self.data_reason = ReasonLabel()
        self.weights_combo = QComboBox()
        for key, label in WEIGHT_LABELS:
            self.weights_combo.addItem(label, key)
        self.weights_edit = QLineEdit(placeholderText=".h5 or .weights.h5 of the VGG16 conv base")
        self.weights_reason = ReasonLabel()
        self.image_size = QSpinBox(minimum=MIN_IMAGE_SIZE, maximum=MAX_IMAGE_SIZE, suffix=" px")
        self.batch_size = QSpinBox(minimum=1, maximum=4096)
        self.validation_split = QDoubleSpinBox(
            minimum=0.05, maximum=0.95, singleStep=0.05, decimals=2
        )
        self.validation_split.setToolTip(
            "Share of each class held out when the folder has no train/ and validation/ sub-folders"
        )
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.augment = QCheckBox("Augment (rotation, shifts, shear, zoom, flips)")
        self.cache = QCheckBox("Compute frozen layers once")
        self.cache.setToolTip(
            "Train on cached outputs of the frozen bottom layers (not while "
            "augmenting): same numbers, several times faster"
        )
        self.mixed_precision = _auto_combo("Mixed precision")
        self.xla = _auto_combo("XLA")
        self.out_edit = QLineEdit(placeholderText="a new time-stamped folder under ~/ftgui-runs")
        self.out_reason = ReasonLabel()

        grid = QGridLayout(self)
        grid.setVerticalSpacing(3)
        grid.addWidget(QLabel("Dataset"), 0, 0)
        grid.addLayout(
            _row(self.data_edit, self._browse_button(self._browse_data), self.sample_button),
            0,
            1,
            1,
            3,
        )
        grid.addWidget(self.data_reason, 1, 1, 1, 3)
        grid.addWidget(QLabel("Weights"), 2, 0)
        grid.addLayout(
            _row(self.weights_combo, self.weights_edit, self._browse_button(self._browse_weights)),
            2,
            1,
            1,
            3,
        )
        grid.addWidget(self.weights_reason, 3, 1, 1, 3)
        grid.addWidget(QLabel("Image size"), 4, 0)
        grid.addWidget(self.image_size, 4, 1)
        grid.addWidget(QLabel("Batch size"), 4, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.batch_size, 4, 3)
        grid.addWidget(QLabel("Validation"), 5, 0)
        grid.addWidget(self.validation_split, 5, 1)
        grid.addWidget(QLabel("Seed"), 5, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.seed, 5, 3)
        grid.addWidget(self.augment, 6, 1, 1, 3)
        grid.addWidget(QLabel("Speed"), 9, 0)
        grid.addLayout(_row(self.cache, self.mixed_precision, self.xla), 9, 1, 1, 3)
        grid.addWidget(QLabel("Run folder"), 7, 0)
        grid.addLayout(_row(self.out_edit, self._browse_button(self._browse_out)), 7, 1, 1, 3)
        grid.addWidget(self.out_reason, 8, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.data_edit.textEdited.connect(self._data_typed)
        self.sample_button.clicked.connect(self.use_sample)
        self.weights_combo.currentIndexChanged.connect(self._weights_changed)
        self.weights_edit.textChanged.connect(self._weights_changed)
        self.out_edit.textChanged.connect(self.check_out)
        for spin in (self.image_size, self.batch_size, self.seed):
            spin.valueChanged.connect(self.changed)
        self.validation_split.valueChanged.connect(self._scan_timer.start)
        self.augment.toggled.connect(self.changed)
        self.cache.toggled.connect(self.changed)

    # -- config <-> widgets ---------------------------------------------------------------
    def load(self, config: RunConfig) -> None:
        """Show `config`; `changed` and `dataset_scanned` fire once at the end."""
        self.blockSignals(True)
        try:
            self._fill(config)
        finally:
            self.blockSignals(False)
        self.dataset_scanned.emit(self.dataset)
        self.changed.emit()

    def _fill(self, config: RunConfig) -> None:
        self.sample = config.sample
        self.data_edit.setText(str(sample_dir()) if config.sample else (config.data_dir or ""))
        key = config.weights if config.weights in WEIGHT_CHOICES else "file"
        self.weights_combo.setCurrentIndex(self.weights_combo.findData(key))
        self.weights_edit.setText(config.weights if key == "file" else "")
        self.image_size.setValue(config.image_size)
        self.batch_size.setValue(config.batch_size)
        self.validation_split.setValue(config.validation_split)
        self.seed.setValue(config.seed)
        self.augment.setChecked(config.augment)
        self.cache.setChecked(config.cache_features)
        for combo, value in (
            (self.mixed_precision, config.mixed_precision),
            (self.xla, config.xla),
        ):
            combo.setCurrentIndex(combo.findData(value))
        self.out_edit.setText(config.out_dir or "")
        self._weights_changed()
        self.check_dataset()
        self.check_out()

    def apply_to(self, config: RunConfig) -> None:
        config.sample = self.sample
        config.data_dir = None if self.sample else (self.data_edit.text().strip() or None)
        key = self.weights_combo.currentData()
        config.weights = self.weights_edit.text().strip() if key == "file" else key
        config.image_size = self.image_size.value()
        config.batch_size = self.batch_size.value()
        config.validation_split = round(self.validation_split.value(), 4)
        config.seed = self.seed.value()
        config.augment = self.augment.isChecked()
        config.cache_features = self.cache.isChecked()
        config.mixed_precision = self.mixed_precision.currentData()
        config.xla = self.xla.currentData()
        config.out_dir = self.out_edit.text().strip() or None

    def problems(self) -> list[str]:
        return [
            r.problem for r in (self.data_reason, self.weights_reason, self.out_reason) if r.problem
        ]

    def set_running(self, running: bool) -> None:
        for child in self.findChildren(QWidget):
            child.setEnabled(not running)
        if not running:
            self._weights_changed()

    # -- checks as typed ------------------------------------------------------------------
    def use_sample(self) -> None:
        """Ask the window to switch to the sample dataset and its quick settings."""
        self.sample_chosen.emit()

    def _data_typed(self) -> None:
        self.sample = False
        self._scan_timer.start()

    def check_dataset(self) -> None:
        text = self.data_edit.text().strip()
        self.dataset = None
        if self.sample:
            self.data_reason.show_ok(SAMPLE_TEXT)
        elif not text:
            self.data_reason.show_problem("Choose a dataset folder or the sample dataset.")
        else:
            try:
                self.dataset = find_dataset(text, self.validation_split.value(), self.seed.value())
                self.data_reason.show_ok("✓ " + self.dataset.summary())
            except UserError as exc:
                self.data_reason.show_problem(str(exc))
        self.dataset_scanned.emit(self.dataset)
        self.changed.emit()

    def _weights_changed(self) -> None:
        key = self.weights_combo.currentData()
        self.weights_edit.setEnabled(key == "file" and self.weights_combo.isEnabled())
        if key == "imagenet":
            cached = imagenet_cache_path().exists()
            self.weights_reason.show_ok(
                f"Cached in {imagenet_cache_path().parent}"
                if cached
                else f"Keras downloads 58.9 MB once into {imagenet_cache_path().parent}"
            )
        elif key == "none":
            self.weights_reason.show_ok("Random initialisation: for offline demos and tests.")
        else:
            path = Path(self.weights_edit.text().strip()).expanduser()
            if not self.weights_edit.text().strip():
                self.weights_reason.show_problem("Choose a weights file (.h5 or .weights.h5).")
            elif not path.is_file():
                self.weights_reason.show_problem(f"Weights file {path} does not exist.")
            else:
                self.weights_reason.show_ok(f"{path.name}: checked when training starts.")
        self.changed.emit()

    def check_out(self) -> None:
        text = self.out_edit.text().strip()
        try:
            if text:
                RunFolder(text).check_free()
            self.out_reason.show_ok("")
        except UserError as exc:
            self.out_reason.show_problem(str(exc))
        self.changed.emit()

    # -- dialogs --------------------------------------------------------------------------
    def _browse_button(self, slot: object) -> QPushButton:
        button = QPushButton("…")
        button.setFixedWidth(28)
        button.clicked.connect(slot)
        return button

    def _browse_data(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder", self.data_edit.text())
        if folder:
            self.sample = False
            self.data_edit.setText(folder)
            self.check_dataset()

    def _browse_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "VGG16 conv-base weights", "", "Keras weights (*.h5 *.hdf5 *.weights.h5)"
        )
        if path:
            self.weights_combo.setCurrentIndex(self.weights_combo.findData("file"))
            self.weights_edit.setText(path)

    def _browse_out(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Run folder", self.out_edit.text())
        if folder:
            self.out_edit.setText(folder)


def _auto_combo(name: str) -> QComboBox:
    """Auto (on with a GPU) / on / off."""
    combo = QComboBox()
    for label, value in ((f"{name}: auto", None), (f"{name}: on", True), (f"{name}: off", False)):
        combo.addItem(label, value)
    combo.setToolTip(f"{name}: auto turns it on only when TensorFlow sees a GPU")
    return combo


def _row(*widgets: QWidget) -> QHBoxLayout:
    layout = QHBoxLayout()
    layout.setSpacing(4)
    for widget in widgets:
        layout.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)
    return layout
