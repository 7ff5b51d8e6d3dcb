"""The main window: lays out the rooms and wires their signals; each room is its own module.

Tabs: Train (settings, phases, layers, Start/Stop, progress, live curves), Results, Audit,
Predict, Experiments (every run in the runs folder, their curves overlaid).
The run controller owns the training process and sends one event stream; each view (and the
window itself) declares a handler per event type it draws and is subscribed to exactly those.
File actions read run folders and import datasets in the background.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QTabWidget

from ftgui.core.data.sample import apply_sample_defaults
from ftgui.core.errors import UserError
from ftgui.core.events import PhaseStarted, RunEnded, RunStarted, TrialStarted
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.layer_plan import LayerPlan
from ftgui.core.training.run_summary import RunSummary
from ftgui.gui.analysis_client import AnalysisClient
from ftgui.gui.audit.wiring import attach_audit
from ftgui.gui.experiments.view import ExperimentsView
from ftgui.gui.export_dialog import ExportDialog
from ftgui.gui.file_actions import FileActions, shown_copy
from ftgui.gui.predict.view import PredictView
from ftgui.gui.results.view import ResultsView
from ftgui.gui.shared.app_settings import window_settings
from ftgui.gui.shared.event_handlers import EventView, handles
from ftgui.gui.shared.report_export import ReportExport
from ftgui.gui.train.dataset_report import DatasetReportNotice
from ftgui.gui.train.layers_box import trains_text
from ftgui.gui.train.lr_finder_dialog import attach_lr_finder
from ftgui.gui.train.page import TrainPage
from ftgui.gui.train.run_controller import RunController
from ftgui.gui.train.setting_widgets import commit_typed_value, window_words
from ftgui.gui.train.status_bar import RunStatusBar
from ftgui.gui.train.summary_dialog import RunSummaryDialog
from ftgui.gui.window_state import restore_window_state, save_window_state


class MainWindow(EventView, QMainWindow):
    """Edits a RunConfig, runs it in a training process, and draws every phase live."""

    def __init__(self, config: RunConfig | None = None) -> None:
        super().__init__()
        self.setWindowTitle("ftgui — fine-tune VGG16")
        self.config = config or RunConfig()
        self.settings = window_settings()
        self.close_when_stopped = False
        self.last_error: QMessageBox | None = None
        self.num_classes = 2

        self.page = page = TrainPage()
        self.settings_panel, self.phase_editor = page.settings_panel, page.phase_editor
        self.layers_box, self.curves, self.progress = page.layers_box, page.curves, page.progress
        self.start_button, self.stop_button = page.start_button, page.stop_button
        self.status = RunStatusBar()
        self.runs = RunController(self)
        self.files = FileActions(self, self.current_config, self.curves)
        self.dataset_report = DatasetReportNotice(self)
        self.analysis = AnalysisClient(self)
        self.results = ResultsView(self.analysis)
        self.predict = PredictView(self.analysis)
        self.experiments = ExperimentsView()
        self.exporter = ExportDialog(self.analysis, self)
        self.reporter = ReportExport(self.analysis, self.status, self.results, self)
        self.summary = RunSummaryDialog(self)
        self.tabs = QTabWidget()
        self._build_layout()
        self.audit = attach_audit(self)  # a tab beside Results, opened from Train and Results
        self.lr_finder = attach_lr_finder(self)  # Find… beside each phase's learning rate
        self._build_menus()
        self._connect()
        self.load_config(self.config)
        restore_window_state(self.settings, self, self.page)
        self._set_running(False)

    # -- construction ---------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.tabs.addTab(self.page, "&Train")
        self.tabs.addTab(self.results, "R&esults")
        self.tabs.addTab(self.predict, "&Predict")
        self.tabs.addTab(self.experiments, "E&xperiments")
        self.setCentralWidget(self.tabs)
        self.setStatusBar(self.status)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.files.fill_menu(file_menu)
        self._action(file_menu, "Export &model…", self.export_model_dialog)
        file_menu.addAction(self.reporter.action)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence("Ctrl+Q"))
        run_menu = self.menuBar().addMenu("&Run")
        self.start_action = self._action(
            run_menu, "&Start training", self.start_training, QKeySequence("Ctrl+R")
        )
        self.stop_action = self._action(
            run_menu, "S&top at the end of this batch", self.runs.stop, QKeySequence("Esc")
        )

    def _action(
        self, menu: QMenu, text: str, slot: object, shortcut: QKeySequence | None = None
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _connect(self) -> None:
        panel, editor, runs, files = self.settings_panel, self.phase_editor, self.runs, self.files
        panel.changed.connect(self._settings_changed)
        panel.dataset_scanned.connect(self._dataset_scanned)
        panel.sample_chosen.connect(self.use_sample)
        editor.selection_changed.connect(self._show_phase)
        editor.changed.connect(self._update_start_state)
        for reason in (panel.range_reason, editor.reason):  # notes of clamped values
            reason.noted.connect(self.page.start_reason.show_note)
        self.layers_box.plan_edited.connect(self._plan_edited)
        self.start_button.clicked.connect(self.start_training)
        self.stop_button.clicked.connect(runs.stop)
        self.page.smooth_box.toggled.connect(self.curves.set_smoothing)

        for view in self.event_views():  # a sweep's trials show no summary or report each
            runs.subscribe_view(view, sweeps=view not in (self.summary, self.dataset_report))
        runs.stopping.connect(self.progress.show_stopping)
        runs.stopping.connect(lambda: self.stop_button.setEnabled(False))
        runs.running_changed.connect(self._set_running)
        runs.running_changed.connect(self.status.set_running)
        runs.idle.connect(self._run_gone)
        runs.preload_failed.connect(self.status.show_loading_failed)
        for failed in (self.progress.show_failed, self.status.show_failed, self.show_error):
            runs.errored.connect(failed)

        files.config_opened.connect(self.load_config)
        files.run_opened.connect(self._show_run)
        files.resume_ready.connect(self._resume)
        files.dataset_imported.connect(self._use_dataset)
        files.errored.connect(self.show_error)
        ex = self.experiments  # its buttons do what the File menu does, then show the tab
        ex.open_requested.connect(files.open_run)
        ex.settings_requested.connect(files.open_config)
        ex.resume_requested.connect(files.resume_run)
        ex.config_source = self.current_config
        ex.sweep_requested.connect(self.start_sweep)
        ex.open_requested.connect(lambda _: self.tabs.setCurrentWidget(self.results))
        for request in (ex.settings_requested, ex.resume_requested):
            request.connect(lambda _: self.tabs.setCurrentWidget(self.page))
        runs.running_changed.connect(ex.set_running)
        for view in (self.results, self.predict, self.exporter, self.reporter):
            view.errored.connect(self.show_error)

    def event_views(self) -> tuple[EventView, ...]:
        """What the run's events are handed to, in this order: the views, then the window."""
        report, live, health = self.dataset_report, self.experiments.live, self.layers_box.health
        return (self.curves, health, self.progress, self.status, self.summary, report, live, self)

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

    def _use_dataset(self, folder: str) -> None:
        self.settings_panel.sample = False
        self.settings_panel.data_edit.setText(folder)
        self.settings_panel.check_dataset()

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
        self.layers_box.show_plan(plan, f"Layers trained in phase {index + 1}: {phase.name}", index)

    def _plan_edited(self, plan: LayerPlan) -> None:
        index = self.phase_editor.selected()
        if 0 <= index < len(self.config.phases) and not self.runs.is_running():
            self.config.phases[index].trainable_layers = plan.ordered_trainable()
        for row, phase in enumerate(self.config.phases):
            self.phase_editor.set_trains_text(row, trains_text(phase.trainable_layers))

    def problems(self) -> list[str]:
        return self.settings_panel.problems() + self.phase_editor.problems()

    def _update_start_state(self) -> None:
        problems, running = self.problems(), self.runs.is_running()
        can_start = not running and not problems
        self.phase_editor.set_find_waits(problems[0] if problems else "")  # Find… runs it too
        self.start_button.setEnabled(can_start)
        self.start_action.setEnabled(can_start)
        self.start_button.setToolTip(problems[0] if problems else "Run every phase in order")
        labels = (*self.settings_panel.reason_labels(), self.phase_editor.reason)
        waiting = None if running else next((r for r in labels if r.problem), None)
        self.page.start_reason.mirror(waiting, "Start waits: ")  # where the person looks

    # -- running --------------------------------------------------------------------------
    def start_training(self) -> None:
        config = None if self.runs.is_running() else self.config_to_run()
        if config is not None:
            self._launch(config, resume=False)

    def config_to_run(self) -> RunConfig | None:
        """A validated copy of the settings Start runs; None, the reason said, when unusable."""
        if commit_typed_value():  # a clamp is said before it is used
            return None
        config = copy.deepcopy(self.current_config())
        try:
            config.validate()
        except UserError as exc:
            self.show_error(str(exc))
            return None
        return config

    def start_sweep(self, folder: str) -> None:
        """Run (or continue) the sweep saved in `folder`, with the Train tab's Stop and progress."""
        if not self.runs.is_running():
            self.curves.clear()
            self.progress.begin()
            self.runs.start_sweep(folder)

    def stop_training(self) -> None:
        self.runs.stop()

    def is_running(self) -> bool:
        return self.runs.is_running()

    def _resume(self, folder: str, config: RunConfig) -> None:
        """Continue a checked run: its settings are shown, its curves drawn again first."""
        if self.runs.is_running():
            return
        self.load_config(shown_copy(config))
        self._launch(config, resume=True)

    def _launch(self, config: RunConfig, resume: bool) -> None:
        self.curves.clear()
        self.progress.begin()
        self.runs.start(config, resume)

    def _show_run(
        self, folder: str, config: RunConfig | None, events: list, summary: RunSummary
    ) -> None:
        """Draw a finished (or stopped) run's history, its summary, and show its settings."""
        if self.runs.is_running():
            return
        if config is not None:
            self.load_config(config)
        self.curves.show_events(events, folder)
        self.layers_box.health.show_events(events)
        self.progress.show_opened(summary)
        self.status.show_opened_run(folder)
        self.summary.show_summary(summary)
        self._analyse(folder)

    @handles(RunStarted)
    def _run_started(self, event: RunStarted) -> None:
        self.settings_panel.show_image_check(event.dataset_report)

    @handles(TrialStarted)
    def _trial_started(self, event: TrialStarted) -> None:
        self.curves.clear()  # the Train tab draws the running trial (its history replayed)

    @handles(PhaseStarted)
    def _phase_started(self, event: PhaseStarted) -> None:
        self.phase_editor.select(event.phase)

    @handles(RunEnded)
    def _run_ended(self, event: RunEnded) -> None:
        self.files.remember(event.run_dir)  # runs trained here go into Recent too
        if event.model_path:  # its evaluations are in the run folder now
            self._analyse(event.run_dir)

    def _analyse(self, run_dir: str) -> None:
        """The Results and Predict tabs show this run from now on."""
        self.results.show_run(run_dir)
        self.predict.set_run(run_dir)

    def export_model_dialog(self) -> None:
        self.exporter.open_for(self.results.contents)

    def _run_gone(self) -> None:
        self.progress.end()
        self.curves.redraw_if_dirty()
        if self.close_when_stopped:
            self.close()

    def _set_running(self, running: bool) -> None:
        self.settings_panel.set_running(running)
        self.phase_editor.set_running(running)
        self.layers_box.set_running(running)
        self.files.set_running(running)
        self.stop_button.setEnabled(running)
        self.stop_action.setEnabled(running)
        self._update_start_state()

    def show_error(self, reason: str, details: object = "") -> None:
        """A dialog with the one-sentence reason and, when there are any, expandable details."""
        reason = window_words(reason)  # name the controls, not the command line's flags
        box = QMessageBox(
            QMessageBox.Icon.Critical, "ftgui", reason, QMessageBox.StandardButton.Ok, self
        )
        if details:
            box.setDetailedText(str(details))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.last_error = box
        box.open()

    # -- start-up and shut-down -----------------------------------------------------------
    def start_preloading(self) -> None:
        self.runs.start_preloading()

    def confirm_stop_and_quit(self) -> bool:
        text = "Training is running. Stop at the end of this batch and quit? Every finished "
        answer = QMessageBox.question(self, "ftgui", text + "epoch stays in the run folder.")
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.runs.is_running():
            if self.close_when_stopped or self.confirm_stop_and_quit():
                self.close_when_stopped = True
                self.runs.keep_warm = False
                self.runs.stop()
            event.ignore()  # closes for real when the run's process has finished
            return
        self.files.cancel_import()
        self.runs.shut_down()
        self.audit.cancel()
        self.analysis.close()
        save_window_state(self.settings, self, self.page)
        event.accept()
