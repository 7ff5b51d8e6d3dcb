"""Dataset, weights, image and batch settings, checked as they are typed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ftgui.core.data.dataset import Dataset, find_dataset
from ftgui.core.data.sample import sample_dir
from ftgui.core.errors import UserError
from ftgui.core.paths import runs_dir
from ftgui.core.settings.config import WEIGHT_CHOICES, RunConfig
from ftgui.core.settings.fields import RUN, RUN_SETTINGS, SPEED
from ftgui.core.settings.weights import imagenet_cache_path, weights_file_problem
from ftgui.core.training.run_folder import RunFolder
from ftgui.gui.shared.tasks import BackgroundTask
from ftgui.gui.train.path_dialogs import PathDialogs
from ftgui.gui.train.setting_grid import COMPANIONS, add_fields, row_of, speed_fold
from ftgui.gui.train.setting_widgets import (
    RangeDoubleSpinBox,
    RangeSpinBox,
    ReasonLabel,
    changed_signal,
    set_widget_value,
    setting_widget,
    widget_value,
)

WEIGHT_LABELS = (("imagenet", "ImageNet"), ("file", "File…"), ("none", "Random init"))
SAMPLE_TEXT = "✓ Sample: scikit-learn's handwritten digits, 10 classes, 1,797 images (no download)"
# Settings with their own widgets (a folder, a file); every other one gets `setting_widget`.
OWN_WIDGETS = ("data_dir", "sample", "weights", "out_dir")


def runs_placeholder() -> str:
    """The Run folder's placeholder: where a run goes when the field is empty."""
    return f"empty: a new time-stamped folder under {runs_dir()}"


class SettingsPanel(PathDialogs, QGroupBox):
    """Edits the run-wide fields of a RunConfig; `changed` fires after every edit."""

    changed = Signal()
    dataset_scanned = Signal(object)  # Dataset or None
    sample_chosen = Signal()
    audit_requested = Signal()  # audit the dataset shown (the Audit tab)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Data and model", parent)
        self.sample = False
        self.dataset: Dataset | None = None
        self._scan_timer = QTimer(self, singleShot=True, interval=250)
        self._scan_timer.timeout.connect(self.check_dataset)
        self._check = BackgroundTask(self)
        self._check.succeeded.connect(self._dataset_found)
        self._check.failed.connect(self._dataset_refused)

        self.data_edit = QLineEdit(
            placeholderText="folder with train/ and validation/, or class folders"
        )
        self.sample_button = QPushButton("Sample dataset")
        self.audit_button = QPushButton("Audit…")
        self.audit_button.setToolTip(
            "Look for likely label errors, leaks between splits and duplicates in this dataset"
        )
        self.data_reason = ReasonLabel()
        self.weights_combo = QComboBox()
        for key, label in WEIGHT_LABELS:
            self.weights_combo.addItem(label, key)
        self.weights_edit = QLineEdit(placeholderText=".h5 or .weights.h5 of the VGG16 conv base")
        self.weights_reason = ReasonLabel()
        self._plain = [s for s in RUN_SETTINGS if s.name not in OWN_WIDGETS]
        self.fields: dict[str, QWidget] = {s.name: setting_widget(s) for s in self._plain}
        self.image_size = self.fields["image_size"]
        self.batch_size = self.fields["batch_size"]
        self.validation_split = self.fields["validation_split"]
        self.seed = self.fields["seed"]
        self.augment = self.fields["augment"]
        self.augment_copies = self.fields["augment_copies"]
        self.cache = self.fields["cache_features"]
        self.mixed_precision = self.fields["mixed_precision"]
        self.xla = self.fields["xla"]
        self.out_edit = QLineEdit(placeholderText=runs_placeholder())
        self.out_reason = ReasonLabel()
        self.range_reason = ReasonLabel()  # a typed value outside its range, and what it became
        for widget, name in (
            (self.data_edit, "data_dir"),
            (self.sample_button, "sample"),
            (self.weights_combo, "weights"),
            (self.out_edit, "out_dir"),
        ):
            widget.setToolTip(RUN[name].help)

        grid = QGridLayout(self)
        grid.setVerticalSpacing(3)
        grid.addWidget(QLabel("Dataset"), 0, 0)
        grid.addLayout(
            row_of(
                self.data_edit,
                self._browse_button(self._browse_data, "data"),
                self.sample_button,
                self.audit_button,
            ),
            0,
            1,
            1,
            3,
        )
        grid.addWidget(self.data_reason, 1, 1, 1, 3)
        grid.addWidget(QLabel("Weights"), 2, 0)
        grid.addLayout(
            row_of(
                self.weights_combo,
                self.weights_edit,
                self._browse_button(self._browse_weights, "weights"),
            ),
            2,
            1,
            1,
            3,
        )
        grid.addWidget(self.weights_reason, 3, 1, 1, 3)
        fields = [s for s in self._plain if s.section != SPEED]
        row = add_fields(grid, 4, fields, self.fields, self.range_reason)
        grid.addWidget(QLabel("Run folder"), row, 0)
        grid.addLayout(
            row_of(self.out_edit, self._browse_button(self._browse_out, "out")), row, 1, 1, 3
        )
        grid.addWidget(self.out_reason, row + 1, 1, 1, 3)
        self.speed = speed_fold(self, [s for s in self._plain if s.section == SPEED], self.fields)
        grid.addWidget(self.speed.button, row + 2, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.speed.summary, row + 2, 1, 1, 3)
        grid.addWidget(self.speed.content, row + 2, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.data_edit.textEdited.connect(self._data_typed)
        self.sample_button.clicked.connect(self.use_sample)
        self.audit_button.clicked.connect(self.audit_requested)
        self.weights_combo.currentIndexChanged.connect(self._weights_changed)
        self.weights_edit.textChanged.connect(self._weights_changed)
        self.out_edit.textChanged.connect(self.check_out)
        for setting in self._plain:
            widget = self.fields[setting.name]
            changed_signal(widget).connect(self.changed)
            if isinstance(widget, RangeSpinBox | RangeDoubleSpinBox):
                widget.valueChanged.connect(lambda _: self.range_reason.show_ok(""))
                widget.out_of_range.connect(
                    lambda text, t=setting.window_title: self.range_reason.show_note(f"{t}: {text}")
                )
        self.validation_split.valueChanged.connect(self._scan_timer.start)
        for box in COMPANIONS:
            self.fields[box].toggled.connect(self._companions_follow)
        self._companions_follow()

    def _companions_follow(self) -> None:
        """A companion field is used only while its check box is ticked (its value is kept)."""
        for box, companion in COMPANIONS.items():
            on = self.fields[box].isChecked() and self.fields[box].isEnabled()
            self.fields[companion].setEnabled(on)

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
        for setting in self._plain:
            set_widget_value(self.fields[setting.name], getattr(config, setting.name))
        for box, companion in COMPANIONS.items():
            if getattr(config, companion) != RUN[companion].default:
                self.fields[box].setChecked(True)
        self.out_edit.setText(config.out_dir or "")
        self.out_edit.setPlaceholderText(runs_placeholder())
        self._weights_changed()
        self.check_dataset()
        self.check_out()

    def apply_to(self, config: RunConfig) -> None:
        config.sample = self.sample
        config.data_dir = None if self.sample else (self.data_edit.text().strip() or None)
        key = self.weights_combo.currentData()
        config.weights = self.weights_edit.text().strip() if key == "file" else key
        for setting in self._plain:
            setattr(config, setting.name, widget_value(self.fields[setting.name], setting))
        for box, companion in COMPANIONS.items():
            if not self.fields[box].isChecked():  # shown greyed, kept for when it is ticked
                setattr(config, companion, RUN[companion].default)
        config.out_dir = self.out_edit.text().strip() or None

    def reason_labels(self) -> tuple[ReasonLabel, ...]:
        """The lines whose problems Start waits for, top to bottom."""
        return self.data_reason, self.weights_reason, self.out_reason

    def problems(self) -> list[str]:
        return [r.problem for r in self.reason_labels() if r.problem]

    def set_running(self, running: bool) -> None:
        for child in self.findChildren(QWidget):
            child.setEnabled(not running)
        self.speed.button.setEnabled(True)  # folding changes nothing a run uses
        if not running:
            self._companions_follow()
            self._audit_follows()
            self._weights_changed()
            self.check_out()  # the run just written there: Start now says so before clearing

    # -- checks as typed ------------------------------------------------------------------
    def use_sample(self) -> None:
        """Ask the window to switch to the sample dataset and its quick settings."""
        self.sample_chosen.emit()

    def _data_typed(self) -> None:
        self.sample = False
        self._scan_timer.start()

    def check_dataset(self) -> None:
        """Check the dataset field off the GUI thread (a big folder takes seconds to walk).

        Until the answer comes the reason line says so and Start stays disabled; an answer for
        a folder that was replaced meanwhile is dropped.
        """
        text = self.data_edit.text().strip()
        self.dataset = None
        self._check.cancel()
        if self.sample:
            self.data_reason.show_ok(SAMPLE_TEXT)
        elif not text:
            self.data_reason.show_problem("Choose a dataset folder or the sample dataset.")
        else:
            self.data_reason.show_pending(f"Checking {text}…")
            split, seed = self.validation_split.value(), self.seed.value()
            self._check.start(lambda state: find_dataset(text, split, seed))
            return
        self._dataset_checked()

    def is_checking(self) -> bool:
        return self._check.is_running()

    def _dataset_found(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.data_reason.show_ok("✓ " + dataset.summary())
        self._dataset_checked()

    def _dataset_refused(self, error: BaseException) -> None:
        if isinstance(error, UserError):
            self.data_reason.show_problem(error)
        else:
            self.data_reason.show_problem(
                f"Cannot read the dataset folder ({error}); check that it is readable."
            )
        self._dataset_checked()

    def _dataset_checked(self) -> None:
        self._audit_follows()
        self.dataset_scanned.emit(self.dataset)
        self.changed.emit()

    def _audit_follows(self) -> None:
        """Audit… needs a dataset that was found (or the sample)."""
        self.audit_button.setEnabled(self.sample or self.dataset is not None)

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
            elif problem := weights_file_problem(path):
                self.weights_reason.show_problem(problem)
            else:
                self.weights_reason.show_ok(f"{path.name}: checked when training starts.")
        self.changed.emit()

    def show_image_check(self, report: dict) -> None:
        """After a run's image check: the dataset line says how many images are usable."""
        if not report or not self.dataset_reason_ok():
            return
        usable = sum(sum(counts) for counts in report.get("counts", {}).values())
        text = f"✓ Checked: {usable:,} usable images"
        if report.get("skipped"):
            text += f", {len(report['skipped'])} skipped"
        self.data_reason.show_ok(f"{text} · {self.data_reason.text().removeprefix('✓ ')}")

    def dataset_reason_ok(self) -> bool:
        return not self.data_reason.problem and not self.data_reason.text().startswith("✓ Checked")

    def check_out(self) -> None:
        text = self.out_edit.text().strip()
        try:
            if text:
                RunFolder(text).check_free()
            self.out_reason.show_ok("")
        except UserError as exc:
            self.out_reason.show_problem(exc)
        self.changed.emit()
