"""The main window: settings, phases and layers on the left; live curves on the right."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QThread
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.data.kaggle import import_dogs_vs_cats
from ftgui.core.data.sample import apply_sample_defaults
from ftgui.core.data.scan import REPORT_FILE
from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.layer_plan import LayerPlan
from ftgui.core.settings.vgg16 import layer_names
from ftgui.core.training.events import (
    BatchEnded,
    EpochEnded,
    PhaseEnded,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
)
from ftgui.core.training.resume import load_run_config, plan_resume
from ftgui.core.training.run_folder import CONFIG_FILE, RunFolder, read_history
from ftgui.gui.curves import CurvesWidget
from ftgui.gui.layer_table import LayerTableModel
from ftgui.gui.phase_editor import PhaseEditor
from ftgui.gui.settings_panel import SettingsPanel
from ftgui.gui.worker import TrainingWorker

MAX_RECENT = 8


class MainWindow(QMainWindow):
    """Edits a RunConfig, runs it on a worker thread, and draws every phase live."""

    def __init__(self, config: RunConfig | None = None) -> None:
        super().__init__()
        self.setWindowTitle("ftgui — fine-tune VGG16")
        self.config = config or RunConfig()
        self.settings = QSettings()
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.standby: tuple[QThread, TrainingWorker] | None = None  # a process waiting to run
        self.keep_warm = False
        self.close_when_stopped = False
        self.last_error: QMessageBox | None = None
        self.num_classes = 2
        self._progress_plan: list[tuple[int, int]] = []  # (epochs, steps) per phase
        self._eta_origin = (0.0, 0)  # (clock, batches done) that the ETA counts from
        self._batches_done = 0
        self._phase_index = 0

        self.settings_panel = SettingsPanel()
        self.phase_editor = PhaseEditor()
        self.layer_model = LayerTableModel()
        self.layer_view = QTableView()
        self.layers_box = QGroupBox("Layers")
        self.totals = QLabel()
        self.curves = CurvesWidget()
        self.progress = QProgressBar()
        self.start_button = QPushButton("Start  (Ctrl+R)")
        self.stop_button = QPushButton("Stop  (Esc)")
        self.smooth_box = QCheckBox("Smooth (book's factor 0.8)")
        self.device_label = QLabel("Loading TensorFlow…")
        self.folder_label = QLabel("")
        self._build_layout()
        self._build_menus()
        self._connect()
        self.load_config(self.config)
        self._restore_window_state()
        self._set_running(False)

    # -- construction ---------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.layer_view.setModel(self.layer_model)
        self.layer_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.layer_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.layer_view.verticalHeader().setVisible(False)
        self.layer_view.verticalHeader().setDefaultSectionSize(22)
        self.layer_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.layer_view.horizontalHeader()
        self.layer_view.resizeColumnsToContents()  # once: per-change resizing is slow
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.freeze_button = QPushButton("Freeze all")
        self.unfreeze_button = QPushButton("Unfreeze from selected")
        self.book_button = QPushButton("Book: from block5_conv1")
        buttons = QHBoxLayout()
        for button in (self.freeze_button, self.unfreeze_button, self.book_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layers = QVBoxLayout(self.layers_box)
        layers.addWidget(self.layer_view)
        layers.addWidget(self.totals)
        layers.addLayout(buttons)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.settings_panel)
        left_layout.addWidget(self.phase_editor)
        left_layout.addWidget(self.layers_box, 1)

        controls = QHBoxLayout()
        self.start_button.setDefault(True)
        self.start_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 14px; }")
        controls.addWidget(self.start_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.smooth_box)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(controls)
        right_layout.addWidget(self.curves, 1)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Ready")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([560, 720])
        self.setCentralWidget(self.splitter)
        self.statusBar().addPermanentWidget(self.folder_label)
        self.statusBar().addPermanentWidget(self.device_label)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_config_action = self._action(
            file_menu,
            "&Open configuration…",
            self.open_config_dialog,
            QKeySequence.StandardKey.Open,
        )
        self.save_config_action = self._action(
            file_menu,
            "&Save configuration…",
            self.save_config_dialog,
            QKeySequence.StandardKey.Save,
        )
        self.open_run_action = self._action(file_menu, "Open &run folder…", self.open_run_dialog)
        self.resume_action = self._action(
            file_menu, "Res&ume run…", self.resume_run_dialog, QKeySequence("Ctrl+Shift+R")
        )
        self.import_action = self._action(
            file_menu, "&Import Dogs vs Cats train.zip…", self.import_kaggle_dialog
        )
        self.recent_menu = file_menu.addMenu("Recent")
        file_menu.addSeparator()
        self._action(file_menu, "&Export plots as PNG…", self.export_plots_dialog)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence("Ctrl+Q"))
        run_menu = self.menuBar().addMenu("&Run")
        self.start_action = self._action(
            run_menu, "&Start training", self.start_training, QKeySequence("Ctrl+R")
        )
        self.stop_action = self._action(
            run_menu, "S&top at the end of this batch", self.stop_training, QKeySequence("Esc")
        )
        self._refresh_recent_menu()

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: object,
        shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _connect(self) -> None:
        self.settings_panel.changed.connect(self._settings_changed)
        self.settings_panel.dataset_scanned.connect(self._dataset_scanned)
        self.settings_panel.sample_chosen.connect(self.use_sample)
        self.phase_editor.selection_changed.connect(self._show_phase)
        self.phase_editor.changed.connect(self._update_start_state)
        self.layer_model.plan_changed.connect(self._plan_edited)
        self.layer_view.customContextMenuRequested.connect(self._layer_menu)
        self.freeze_button.clicked.connect(self.layer_model.freeze_all)
        self.unfreeze_button.clicked.connect(self._unfreeze_selected)
        self.book_button.clicked.connect(
            lambda: self.layer_model.unfreeze_from_row(layer_names().index("block5_conv1"))
        )
        self.start_button.clicked.connect(self.start_training)
        self.stop_button.clicked.connect(self.stop_training)
        self.smooth_box.toggled.connect(self.curves.set_smoothing)

    # -- configuration <-> widgets --------------------------------------------------------
    def load_config(self, config: RunConfig) -> None:
        self.config = config
        self.settings_panel.load(config)
        self.phase_editor.load(config.phases)
        self._update_start_state()

    def current_config(self) -> RunConfig:
        """The configuration as the widgets show it (phases are edited in place)."""
        self.settings_panel.apply_to(self.config)
        return self.config

    def use_sample(self) -> None:
        config = self.current_config()
        apply_sample_defaults(config)
        self.load_config(config)

    def _settings_changed(self) -> None:
        self._show_phase(self.phase_editor.selected())
        self._update_start_state()

    def _dataset_scanned(self, dataset: object) -> None:
        self.num_classes = getattr(dataset, "num_classes", 10 if self.settings_panel.sample else 2)
        self._show_phase(self.phase_editor.selected())

    def _show_phase(self, index: int) -> None:
        if not 0 <= index < len(self.config.phases):
            return
        phase = self.config.phases[index]
        plan = LayerPlan(
            self.settings_panel.image_size.value(), self.num_classes, set(phase.trainable_layers)
        )
        self.layer_model.set_plan(plan)
        self.layers_box.setTitle(f"Layers trained in phase {index + 1}: {phase.name}")
        names = layer_names()
        first = min((names.index(n) for n in phase.trainable_layers), default=len(names))
        self.layer_view.scrollTo(self.layer_model.index(min(first + 3, len(names) + 3), 0))

    def _plan_edited(self) -> None:
        plan = self.layer_model.plan
        index = self.phase_editor.selected()
        if 0 <= index < len(self.config.phases) and self.worker is None:
            self.config.phases[index].trainable_layers = plan.ordered_trainable()
        self.totals.setText(
            f"Trainable <b>{plan.trainable_params:,}</b> · non-trainable "
            f"<b>{plan.non_trainable_params:,}</b> · total {plan.total_params:,} parameters"
        )
        for row, phase in enumerate(self.config.phases):
            count = len([n for n in phase.trainable_layers if "conv" in n])
            self.phase_editor.set_trains_text(
                row, "head only" if not count else f"head + {count} conv"
            )

    def _layer_menu(self, position: object) -> None:
        index = self.layer_view.indexAt(position)
        if not index.isValid() or self.worker is not None:
            return
        menu = QMenu(self)
        name = self.layer_model.layer_name(index.row())
        if not self.layer_model.is_head_row(index.row()):
            menu.addAction(
                f"Unfreeze from {name}", lambda: self.layer_model.unfreeze_from_row(index.row())
            )
        menu.addAction("Freeze all", self.layer_model.freeze_all)
        menu.exec(self.layer_view.viewport().mapToGlobal(position))

    def _unfreeze_selected(self) -> None:
        rows = self.layer_view.selectionModel().selectedRows()
        if rows:
            self.layer_model.unfreeze_from_row(rows[0].row())

    def problems(self) -> list[str]:
        return self.settings_panel.problems() + self.phase_editor.problems()

    def _update_start_state(self) -> None:
        problems = self.problems()
        running = self.worker is not None
        self.start_button.setEnabled(not running and not problems)
        self.start_action.setEnabled(not running and not problems)
        self.start_button.setToolTip(problems[0] if problems else "Run every phase in order")

    # -- running --------------------------------------------------------------------------
    def start_training(self) -> None:
        if self.worker is not None:
            return
        config = copy.deepcopy(self.current_config())
        try:
            config.validate()
        except UserError as exc:
            self.show_error(str(exc))
            return
        self._launch(config, resume=False)

    def resume_run_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Resume a stopped or interrupted run")
        if folder:
            self.resume_run(folder)

    def resume_run(self, folder: str) -> bool:
        """Continue a run from its last finished epoch; its curves are drawn again first."""
        if self.worker is not None:
            return False
        try:
            config = load_run_config(folder)
            plan_resume(RunFolder(folder), config, arrays=False)
        except UserError as exc:
            self.show_error(str(exc))
            return False
        shown = copy.deepcopy(config)
        shown.out_dir = None  # Start afterwards makes a new run, never writes into this one
        self.load_config(shown)
        self._remember(folder)
        self._launch(config, resume=True)
        return True

    def _launch(self, config: RunConfig, resume: bool) -> None:
        self.curves.clear()
        self._progress_plan = []
        self._batches_done = 0
        self.thread, self.worker = self.standby or self._spawn_worker()
        self.standby = None
        self.worker.start_run(config, resume)
        self._set_running(True)
        self.progress.setRange(0, 0)  # busy until the first phase starts

    def _spawn_worker(self) -> tuple[QThread, TrainingWorker]:
        """A training process with its listening thread; TensorFlow starts loading at once."""
        thread = QThread(self)
        worker = TrainingWorker()
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.device_found.connect(self.device_label.setText)
        worker.status_changed.connect(self._status)
        worker.run_started.connect(self._run_started)
        worker.phase_started.connect(self._phase_started)
        worker.batch_ended.connect(self._batch_ended)
        worker.epoch_ended.connect(self._epoch_ended)
        worker.phase_ended.connect(self._phase_ended)
        worker.run_ended.connect(self._run_ended)
        worker.errored.connect(self.show_error)
        worker.finished.connect(self._worker_finished)
        thread.start()
        return thread, worker

    def stop_training(self) -> None:
        if self.worker is not None:
            self.worker.request_stop()
            self.progress.setFormat("Stopping at the end of this batch…")
            self.stop_button.setEnabled(False)

    def is_running(self) -> bool:
        return self.worker is not None

    def _status(self, event: Status) -> None:
        self.progress.setFormat(event.text)
        self.statusBar().showMessage(event.text)

    def _run_started(self, event: RunStarted) -> None:
        self.device_label.setText(event.device)
        self.folder_label.setText(f"Run folder: {event.run_dir}")
        self._progress_plan = [(p.epochs, p.steps_per_epoch) for p in event.phases]
        self.curves.set_extent(sum(max(p.epochs, 1) for p in event.phases))
        self._eta_origin = (time.perf_counter(), 0)
        self.progress.setRange(0, max(sum(e * s for e, s in self._progress_plan), 1))
        self.progress.setValue(0)
        self.show_dataset_report(Path(event.run_dir) / REPORT_FILE)

    def show_dataset_report(self, path: Path) -> None:
        """When the scan skipped files or has warnings, list them in a non-blocking dialog."""
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        skipped, warnings = report.get("skipped", []), report.get("warnings", [])
        if not skipped and not warnings:
            return
        text = f"{len(skipped)} files cannot be used and were skipped; training goes on."
        if warnings:
            text += " Also: " + "; ".join(warnings) + "."
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "ftgui: dataset report",
            text,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setDetailedText(
            "\n".join(f"{r['path']}: {r['reason']}" for r in skipped) or "\n".join(warnings)
        )
        box.setModal(False)
        self.dataset_report_box = box
        box.show()

    def _phase_started(self, event: PhaseStarted) -> None:
        self._phase_index = event.phase
        self.curves.start_phase(event.name, event.epochs)
        self.phase_editor.select(event.phase)
        self._batches_done = self._batches_at(event.phase, 0)

    def _batches_at(self, phase: int, epochs: int, batches: int = 0) -> int:
        """Batches of the whole run done once `phase` has finished `epochs` and `batches`."""
        plan = self._progress_plan
        steps = plan[phase][1] if phase < len(plan) else 0
        return sum(e * s for e, s in plan[:phase]) + epochs * steps + batches

    def _batch_ended(self, event: BatchEnded) -> None:
        self.curves.add_batch(event.epoch, event.batch, event.steps_per_epoch, event.logs)
        self._batches_done = self._batches_at(event.phase, event.epoch, event.batch)
        self.progress.setValue(self._batches_done)
        epochs = self._progress_plan[event.phase][0] if self._progress_plan else 0
        self.progress.setFormat(
            f"Phase {event.phase + 1}/{len(self._progress_plan)} · epoch {event.epoch + 1}/"
            f"{epochs} · batch {event.batch}/{event.steps_per_epoch} · ETA {self._eta()}"
        )

    def _eta(self) -> str:
        clock, batches_before = self._eta_origin
        elapsed = time.perf_counter() - clock
        done = self._batches_done - batches_before
        if done <= 0 or elapsed <= 0:
            return "…"
        seconds = int(elapsed / done * (self.progress.maximum() - self._batches_done))
        hours, rest = divmod(seconds, 3600)
        return (
            f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
            if hours
            else f"{rest // 60}:{rest % 60:02d}"
        )

    def _epoch_ended(self, event: EpochEnded) -> None:
        self.curves.add_epoch(event.epoch, event.logs)
        if event.replayed:  # finished before a resume: count it as done, not as speed
            self._batches_done = self._batches_at(event.phase, event.epoch + 1)
            self.progress.setValue(self._batches_done)
            self._eta_origin = (time.perf_counter(), self._batches_done)

    def _phase_ended(self, event: PhaseEnded) -> None:
        if event.stopped:
            self.progress.setFormat(
                f"Stopped in phase {event.phase + 1} after {event.epochs_done} finished epochs"
            )

    def _run_ended(self, event: RunEnded) -> None:
        if event.stopped:
            text = "Stopped: every finished epoch is kept (File → Resume run… continues it)"
        else:
            text = "Finished"
            self.progress.setValue(self.progress.maximum())
        if event.test_metrics:
            text += f" · test accuracy {event.test_metrics['accuracy']:.3f}"
        self.progress.setFormat(text)
        self.statusBar().showMessage(f"{text}. Run folder: {event.run_dir}")

    def _worker_finished(self, worker: TrainingWorker) -> None:
        thread = worker.thread()
        thread.quit()
        thread.wait()
        if self.standby is not None and worker is self.standby[1]:  # died before a run
            self.standby = None
            self.device_label.setText("TensorFlow could not be loaded")
            return
        if worker is not self.worker:
            return
        self.worker, self.thread = None, None
        if self.keep_warm and not self.close_when_stopped:
            self.standby = self._spawn_worker()
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
            self.progress.setFormat("Ready")
        self._set_running(False)
        self.curves.redraw_if_dirty()
        if self.close_when_stopped:
            self.close()

    def _set_running(self, running: bool) -> None:
        self.settings_panel.set_running(running)
        self.phase_editor.set_running(running)
        self.layer_model.set_editable(not running)
        for widget in (
            self.freeze_button,
            self.unfreeze_button,
            self.book_button,
            self.open_config_action,
            self.open_run_action,
            self.resume_action,
            self.import_action,
        ):
            widget.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.stop_action.setEnabled(running)
        self._update_start_state()

    def show_error(self, reason: str, details: object = "") -> None:
        """A dialog with the one-sentence reason and, when there are any, expandable details."""
        box = QMessageBox(
            QMessageBox.Icon.Critical, "ftgui", reason, QMessageBox.StandardButton.Ok, self
        )
        if details:
            box.setDetailedText(str(details))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.last_error = box
        box.open()

    # -- files ----------------------------------------------------------------------------
    def open_config_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open configuration", "", "JSON (*.json)")
        if path:
            self.open_config(path)

    def open_config(self, path: str) -> bool:
        try:
            config = RunConfig.load(path)
        except UserError as exc:
            self.show_error(str(exc))
            return False
        self.load_config(config)
        self._remember(path)
        return True

    def save_config_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save configuration", "config.json", "JSON (*.json)"
        )
        if path:
            self.save_config(path)

    def save_config(self, path: str) -> None:
        try:
            self.current_config().save(Path(path))
        except OSError as exc:
            self.show_error(f"Cannot save the configuration to {path} ({exc.strerror}).")
            return
        self._remember(path)

    def open_run_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open run folder")
        if folder:
            self.open_run(folder)

    def open_run(self, folder: str) -> bool:
        """Draw a finished (or stopped) run's history and show its settings."""
        try:
            rows = read_history(folder)
            config_path = Path(folder) / CONFIG_FILE
            config = RunConfig.load(config_path) if config_path.exists() else None
        except (UserError, OSError, ValueError, KeyError) as exc:
            self.show_error(
                str(exc)
                if isinstance(exc, UserError)
                else f"{folder} has an unreadable history.csv ({exc})."
            )
            return False
        if config is not None:
            config.out_dir = None  # a new run from these settings goes to a new folder
            self.load_config(config)
        self.curves.clear()
        planned = {i + 1: p.epochs for i, p in enumerate(config.phases)} if config else {}
        for phase in sorted({int(r["phase"]) for r in rows}):
            phase_rows = [r for r in rows if r["phase"] == phase]
            self.curves.start_phase(
                str(phase_rows[0]["phase_name"]), planned.get(phase, len(phase_rows))
            )
            for row in phase_rows:
                self.curves.add_epoch(int(row["epoch"]) - 1, row)  # type: ignore[arg-type]
        self.curves.redraw_if_dirty()
        self.folder_label.setText(f"Showing run: {folder}")
        self._remember(folder)
        return True

    def import_kaggle_dialog(self) -> None:
        archive, _ = QFileDialog.getOpenFileName(
            self, "Kaggle's Dogs vs Cats train.zip", "", "Zip archives (*.zip)"
        )
        if archive:
            out = QFileDialog.getExistingDirectory(self, "An empty folder for the dataset")
            if out:
                self.import_kaggle(archive, out)

    def import_kaggle(self, archive: str, out: str) -> bool:
        """The book's 1000 / 500 / 500 split per class, then use it as the dataset."""
        progress = QProgressDialog("Importing Dogs vs Cats…", "", 0, 100, self)
        progress.setCancelButton(None)
        progress.setWindowModality(Qt.WindowModality.WindowModal)

        def step(done: int, total: int) -> None:
            progress.setMaximum(total)
            progress.setValue(done)

        try:
            import_dogs_vs_cats(archive, out, progress=step)
        except UserError as exc:
            self.show_error(str(exc))
            return False
        finally:
            progress.close()
        self.settings_panel.sample = False
        self.settings_panel.data_edit.setText(out)
        self.settings_panel.check_dataset()
        return True

    def export_plots_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", "curves.png", "PNG (*.png)")
        if path:
            self.export_plots(path)

    def export_plots(self, path: str) -> bool:
        self.curves.redraw_if_dirty()
        if not self.curves.grab().save(path, "PNG"):
            self.show_error(f"Cannot write {path}; choose another folder.")
            return False
        return True

    def _remember(self, path: str) -> None:
        recent = [p for p in self._recent() if p != str(path)]
        self.settings.setValue("recent", json.dumps([str(path), *recent][:MAX_RECENT]))
        self._refresh_recent_menu()

    def _recent(self) -> list[str]:
        try:
            value = json.loads(str(self.settings.value("recent", "[]")))
        except json.JSONDecodeError:
            return []
        return [p for p in value if isinstance(p, str)]

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            opener = self.open_run if Path(path).is_dir() else self.open_config
            self.recent_menu.addAction(path, lambda p=path, o=opener: o(p))
        self.recent_menu.setEnabled(bool(self._recent()))

    # -- start-up and shut-down -----------------------------------------------------------
    def start_preloading(self) -> None:
        """Keep the next run's process started: TensorFlow loads while the person sets up."""
        self.keep_warm = True
        if self.standby is None and self.worker is None:
            self.standby = self._spawn_worker()

    def _restore_window_state(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        splitter = self.settings.value("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def confirm_stop_and_quit(self) -> bool:
        answer = QMessageBox.question(
            self,
            "ftgui",
            "Training is running. Stop at the end of this batch and quit? "
            "Every finished epoch stays in the run folder.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.worker is not None:
            if self.close_when_stopped or self.confirm_stop_and_quit():
                self.close_when_stopped = True
                self.stop_training()
            event.ignore()  # closes for real when the worker has finished
            return
        if self.standby is not None:
            thread, worker = self.standby
            self.standby = None
            worker.shut_down_idle()
            thread.quit()
            thread.wait()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("splitter", self.splitter.saveState())
        event.accept()
