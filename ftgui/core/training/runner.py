"""Run a configuration's phases in order, reporting plain events; the CLI and GUI call `run`."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftgui.core.data.dataset import Dataset
from ftgui.core.data.pipeline import EpochOrder, steps_for
from ftgui.core.data.sample import resolve_dataset
from ftgui.core.errors import UserError
from ftgui.core.events import (
    DeviceMemory,
    Listener,
    PhaseEnded,
    PhaseStarted,
    RunEnded,
    RunStarted,
    Status,
    epoch_from_row,
)
from ftgui.core.model.acceleration import weights_digest, worker_role
from ftgui.core.model.build import building_message, check_weights_choice
from ftgui.core.paths import new_run_dir
from ftgui.core.settings.config import PhaseConfig, RunConfig
from ftgui.core.settings.layer_plan import phase_outlines
from ftgui.core.training.checkpoint import CHECKPOINT_FILE
from ftgui.core.training.epoch_records import PhaseRecorder, progress_callback, save_model
from ftgui.core.training.image_check import ImageCheck
from ftgui.core.training.phase_inputs import ImageData, PhaseInputs, cached_inputs
from ftgui.core.training.resume import ResumePoint, plan_resume
from ftgui.core.training.run_folder import RunFolder
from ftgui.core.training.tensorboard_log import TensorBoardLog, open_tensorboard_log
from ftgui.core.training.tf_errors import tensorflow_errors
from ftgui.core.training.time_spent import TimeSpent, process_age
from ftgui.core.training.workers import join_workers

if TYPE_CHECKING:
    from ftgui.core.data.pixels import PixelStore
    from ftgui.core.training.feature_cache import FeatureCache, KnownFeatures

# Scores a finished run's models: (run folder, model with the final weights, status, stop,
# the validation images' frozen-layer outputs when cached, the run's decoded images) → the
# final model's test metrics, None without them. Passed in
# (`analysis.evaluation.evaluate_finished_run`) because analysis sits above training.
Evaluator = Callable[
    [
        Path,
        Any,
        Callable[[str], None],
        Callable[[], bool],
        "KnownFeatures | None",
        "PixelStore | None",
    ],
    dict[str, float] | None,
]


class PhaseRunner:
    """Runs one configuration; `model` is the Keras model, for tests that inspect it mid-run.

    Listener calls happen on the thread that calls `run` (the GUI worker's, or the CLI's main
    thread); nothing else may touch `model` while `run` is going. With `resume`, the run
    continues in `config.out_dir` from its last checkpoint (see `resume.plan_resume`). With
    an `evaluator`, a run that finished scores its models before `RunEnded`.
    """

    def __init__(
        self,
        config: RunConfig,
        listener: Listener,
        stop: threading.Event | None = None,
        resume: bool = False,
        evaluator: Evaluator | None = None,
    ) -> None:
        self.config = config
        self.listener = listener
        self.stop = stop or threading.Event()
        self.resume = resume
        self.evaluator = evaluator
        self.model: Any = None
        self.tensorboard: TensorBoardLog | None = None  # with config.tensorboard
        self.role = worker_role()  # set when TF_CONFIG names a cluster
        self.scratch: Path | None = None  # a non-chief worker's temporary run folder
        self.cache: FeatureCache | None = None  # the frozen layers' outputs, while running
        self.images: ImageData | None = None
        self.check: ImageCheck | None = None  # the run's decoded images, freed at the end
        self.time = TimeSpent()  # where the run's wall time goes (`train --profile`)
        self.started_after = process_age() or 0.0  # seconds the process ran before the run

    def run(self) -> RunEnded:
        """Run (see `_run`), closing the TensorBoard log however it ends."""
        try:
            return self._run()
        finally:
            if self.check is not None:
                self.check.clean_up()
            if self.tensorboard is not None:
                self.tensorboard.close()
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)

    def _run_folder(self) -> RunFolder:
        """The chief (or a lone process) writes the run folder; other workers a temporary one."""
        config = self.config
        if self.role is None or self.role.chief:
            return RunFolder(config.out_dir or new_run_dir())
        self.scratch = Path(tempfile.mkdtemp(prefix="ftgui-worker-"))
        return RunFolder(self.scratch)

    def _run(self) -> RunEnded:
        """Validate, build, train every phase, evaluate the test split; return the final event.

        A set `stop` ends the run at the next batch end: the unfinished epoch is rolled back, so
        the saved model, checkpoint and history.csv agree. Bad input raises UserError before
        any training.
        """
        config, listener, stop = self.config, self.listener, self.stop
        config.validate()
        folder = self._run_folder()
        point = plan_resume(folder, config) if self.resume else ResumePoint(0, 0, None, [])
        from_saved_model = self.resume and folder.model_path.exists()
        if not from_saved_model:
            check_weights_choice(config.weights)
        dataset = resolve_dataset(config)
        if not self.resume:
            folder.check_free()
        self.check = ImageCheck(folder.path)
        report, pixels = self.check.run(config, dataset, listener, self.time)
        with self.time.part("TensorFlow import and devices"):
            from ftgui.core.model.device import setup_devices

            device = setup_devices()
            import keras
        if self.role is not None:
            join_workers(self.role, config, self.resume, listener)

        from ftgui.core.model.acceleration import choose_acceleration
        from ftgui.core.model.build import build_model, load_saved_weights

        keras.backend.clear_session()
        keras.utils.set_random_seed(config.seed)
        self.acceleration = acceleration = choose_acceleration(config, device)
        binary = dataset.num_classes <= 2
        order = EpochOrder(len(dataset.train), config.seed)  # one stream for every phase
        self.images = ImageData.over(dataset, pixels, binary, order, config.batch_size)
        train = self.images.train
        steps = steps_for(dataset.train, config.batch_size)

        weights = "none" if from_saved_model else config.weights
        listener(Status(building_message(weights)))
        with acceleration.strategy.scope(), self.time.part("model build and weights"):
            model = self.model = build_model(
                dataset.num_classes,
                config.image_size,
                weights,
                config.dropout,
                config.augmenting,
                config.seed,
            )
            if from_saved_model:
                load_saved_weights(model, folder.model_path)
        if self.role is not None:
            from ftgui.core.model.acceleration import build_without_reducing_data

            build_without_reducing_data(model, train.element_spec)
        if self.resume:
            folder.keep_history(point.run_epochs_done)
        else:
            folder.start(config)
        report.save(folder.path)
        if config.tensorboard:
            self.tensorboard = open_tensorboard_log(folder.path, config.phases)
        listener(
            RunStarted(
                str(folder.path),
                acceleration.describe(device),
                dataset.summary(),
                dataset.class_names,
                phase_outlines(config, dataset.num_classes, steps),
                report.to_json(),
            )
        )
        if self.resume:
            listener(Status(point.describe(config)))

        from ftgui.core.training.feature_cache import FeatureCache

        if config.augment_copies and not config.cache_features:
            listener(
                Status(
                    "Augmented copies need the frozen-layer cache, which is off; "
                    "augmenting every epoch instead."
                )
            )
        self.cache = FeatureCache(
            config.phases,
            config.cache_features,
            config.image_size,
            config.batch_size,
            config.cache_budget_mb,
            folder.path / "cache",
            config.augmenting,
            config.augment_copies,
            config.seed,
            self.images.pixels.split("train"),
            self.images.pixels.ram_bytes,
        )
        stopped = False
        try:
            for index, phase in enumerate(config.phases):
                listener(PhaseStarted(index, phase.name, phase.epochs, steps))
                for row in point.rows_of(index):  # finished before a resume: redraw them
                    listener(epoch_from_row(row, phase.epochs))
                if index < point.phase:
                    listener(PhaseEnded(index, phase.epochs, False))
                    continue
                recorder = self._phase_recorder(index, phase, point, folder)
                first_epoch = sum(p.epochs for p in config.phases[:index])  # of the run
                callback = progress_callback(
                    recorder,
                    steps,
                    listener,
                    stop,
                    lambda e, f=first_epoch: self._epoch_begins(f + e),
                    self.time,
                )
                if phase.epochs > recorder.epochs_done and not stop.is_set():
                    self._train_phase(index, phase, callback)
                stopped = callback.interrupted or stop.is_set()
                listener(PhaseEnded(index, recorder.epochs_done, stopped))
                if recorder.epochs_done:
                    with self.time.part("model saves (model.keras, best models)"):
                        save_model(model, folder.model_path)
                        recorder.finish(folder.model_path)
                if stopped:
                    break
            return self._finish(folder, dataset, binary, stopped)  # may read the cache
        finally:
            self.cache.release()

    def _epoch_begins(self, run_epoch: int) -> None:
        """Key the epoch's randomness by its number in the run: the data order, dropout masks
        and augmentations are the same whether or not the run was stopped and resumed."""
        from ftgui.core.model.build import reseed_random_layers
        from ftgui.core.model.device import gpu_memory

        self.images.order.set_epoch(run_epoch)
        reseed_random_layers(self.model, self.config.seed, run_epoch)
        memory = gpu_memory()
        if memory is not None:
            self.listener(DeviceMemory(*memory))

    def _phase_recorder(
        self, index: int, phase: PhaseConfig, point: ResumePoint, folder: RunFolder
    ) -> PhaseRecorder:
        """Compile the phase; when it is the resumed one, put its checkpoint state back."""
        from ftgui.core.model.build import compile_phase

        with self.acceleration.strategy.scope():
            compile_phase(self.model, phase, self.images.dataset.num_classes, self.acceleration.xla)
        log = self.tensorboard.epoch_finished if self.tensorboard else None
        recorder = PhaseRecorder(
            index, phase.name, phase.epochs, folder, self.model, self.listener, epoch_log=log
        )
        if point.checkpoint is not None and index == point.phase:
            recorder.resume_from(point.checkpoint)
        return recorder

    def _fit(self, inputs: PhaseInputs, phase: PhaseConfig, callback: Any) -> None:
        """Fit from the phase's first unfinished epoch (the callback restores a resumed state)."""
        model = inputs.model
        if not model.optimizer.built:  # now, so there is a state to restore and roll back to
            with self.acceleration.strategy.scope():
                model.optimizer.build(model.trainable_variables)
        before = dict(self.time.parts)
        started = self.time.clock()
        callbacks = [c for c in (inputs.validation_callback, callback) if c is not None]
        try:
            with tensorflow_errors("training"):
                model.fit(
                    inputs.train,
                    validation_data=inputs.validation,
                    initial_epoch=callback.recorder.epochs_done,
                    epochs=phase.epochs,
                    callbacks=callbacks,
                    verbose=0,
                    shuffle=False,
                )  # the tf.data pipeline shuffles, seeded
        except BaseException:
            with contextlib.suppress(Exception):  # the epoch being written still lands
                callback.recorder.settle()
            raise
        inside = sum(self.time.parts.values()) - sum(before.values())  # validation, records
        self.time.add(f"{phase.name}: training steps", self.time.clock() - started - inside)

    def _train_phase(self, index: int, phase: PhaseConfig, callback: Any) -> None:
        """Fit one phase: on cached frozen-layer outputs when it can, else on the images."""
        config, images = self.config, self.images
        if not self.cache.levels[index]:
            self._fit(PhaseInputs(self.model, images.train, images.validation), phase, callback)
            return
        with (
            tensorflow_errors("computing the frozen layers' outputs"),
            self.time.part("frozen-layer outputs (once)"),
        ):
            features = self.cache.features_for(
                index,
                self.model,
                images.extraction_sources(),
                lambda text: self.listener(Status(text)),
                self.stop.is_set,
            )
        if features is None:  # stopped while computing them
            return
        from ftgui.core.model.build import compile_for_phase
        from ftgui.core.model.slices import tail_model

        with self.acceleration.strategy.scope():
            tail = tail_model(self.model, config.image_size, features.level)
            compile_for_phase(
                tail,
                phase,
                images.dataset.num_classes,
                self.acceleration.xla,
                optimizer=self.model.optimizer,
            )
        validation_part = f"{phase.name}: validation"
        inputs = cached_inputs(
            features, tail, self.model, images, config.batch_size, validation_part, self.time
        )
        self._fit(inputs, phase, callback)

    def _finish(self, folder: RunFolder, dataset: Dataset, binary: bool, stopped: bool) -> RunEnded:
        config, listener, model = self.config, self.listener, self.model
        test_metrics = None
        if not stopped:  # finished: nothing left to resume
            (folder.path / CHECKPOINT_FILE).unlink(missing_ok=True)
            with self.time.part("scoring the saved models (evaluation/)"):
                test_metrics = self._evaluate(folder)  # the final model's, on the test split
        if not stopped and len(dataset.test):
            if test_metrics is None:
                listener(Status("Evaluating the test split…"))
                test = self.images.batches("test", config.batch_size)
                with tensorflow_errors("evaluating the test split"), self.time.part("test split"):
                    metrics = model.evaluate(test, verbose=0, return_dict=True)
                test_metrics = {k: float(v) for k, v in metrics.items()}
            folder.write_test_metrics(test_metrics)
            if self.tensorboard is not None:
                self.tensorboard.test_metrics(test_metrics)
        if self.role is not None:
            listener(Status(f"Final weights digest: {weights_digest(model)}"))
        if self.scratch is not None:
            listener(Status(f"Worker done; its temporary folder {folder.path} is removed."))
        kept = folder.model_path.exists() and self.scratch is None
        model_path = str(folder.model_path) if kept else None
        time_spent = self.time.table(self.started_after)
        ended = RunEnded(str(folder.path), stopped, test_metrics, model_path, time_spent)
        listener(ended)
        return ended

    def _evaluate(self, folder: RunFolder) -> dict[str, float] | None:
        """Score the saved models and return the final model's test metrics (None without);
        bad input there is a status line, never a lost run."""
        if self.evaluator is None or not folder.model_path.exists():
            return None

        def status(text: str) -> None:
            self.listener(Status(text))

        try:
            known = None
            if self.cache is not None and self.images is not None:
                known = self.cache.validation_features(self.images.dataset.validation)
            pixels = self.images.pixels if self.images is not None else None
            return self.evaluator(folder.path, self.model, status, self.stop.is_set, known, pixels)
        except UserError as exc:
            status(f"Evaluation skipped: {exc}")
            return None


def run(
    config: RunConfig,
    listener: Listener,
    stop: threading.Event | None = None,
    resume: bool = False,
    evaluator: Evaluator | None = None,
) -> RunEnded:
    """Run every phase of `config`, or continue it with `resume` (see PhaseRunner.run)."""
    return PhaseRunner(config, listener, stop, resume, evaluator).run()
