"""Train a configuration's phases in order, reporting plain events (the run layer, `core/run`,
drives it: image check, then these phases, then scoring)."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from ftgui.core.data.dataset import Dataset
from ftgui.core.data.pipeline import EpochOrder, steps_for
from ftgui.core.data.scan import ScanReport
from ftgui.core.events import (
    DeviceMemory,
    HealthMeasured,
    LayerHealth,
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
from ftgui.core.settings.task_output import ClassifierOutput
from ftgui.core.settings.vgg16 import layer_names
from ftgui.core.training.checkpoint import CHECKPOINT_FILE
from ftgui.core.training.epoch_records import (
    HealthWatch,
    PhaseRecorder,
    ProgressCallback,
    save_model,
)
from ftgui.core.training.feature_cache import CacheSettings, FeatureCache
from ftgui.core.training.feature_sets import KnownFeatures
from ftgui.core.training.feature_shelf import FeatureShelf
from ftgui.core.training.health_file import read_health
from ftgui.core.training.phase_fit import fit_phase
from ftgui.core.training.phase_inputs import ImageData, PhaseInputs, cached_inputs
from ftgui.core.training.resume import ResumePoint, plan_resume
from ftgui.core.training.run_folder import RunFolder
from ftgui.core.training.tensorboard_log import TensorBoardLog, open_tensorboard_log
from ftgui.core.training.tf_errors import tensorflow_errors
from ftgui.core.training.time_spent import TimeSpent, process_age
from ftgui.core.training.workers import join_workers

NO_RESUME = ResumePoint(0, 0, None, [])
COPIES_NEED_CACHE = (
    "Augmented copies need the frozen-layer cache, which is off; augmenting every epoch instead."
)


class PhaseRunner:
    """Trains one configuration's phases: `open_folder`, `prepare`, `train_phases`, `finish`,
    and `close` however the run ends. `model` is the Keras model once prepared.

    Listener calls happen on the thread that calls these (the training child's, or the CLI's
    main thread); nothing else may touch `model` meanwhile. With `resume`, the run continues
    in `config.out_dir` from its last checkpoint (see `resume.plan_resume`).
    """

    def __init__(
        self,
        config: RunConfig,
        listener: Listener,
        stop: threading.Event | None = None,
        resume: bool = False,
        time: TimeSpent | None = None,
    ) -> None:
        self.config, self.listener = config, listener
        self.stop = stop or threading.Event()
        self.resume = resume
        self.time = time or TimeSpent()  # where the run's wall time goes (`train --profile`)
        self.started_after = process_age() or 0.0  # seconds the process ran before the run
        self.role = worker_role()  # set when TF_CONFIG names a cluster
        self.scratch: Path | None = None  # a non-chief worker's temporary run folder
        self.point = NO_RESUME
        self.model: Any = None
        self.tensorboard: TensorBoardLog | None = None  # with config.tensorboard
        self.cache: FeatureCache | None = None  # the frozen layers' outputs, while running
        self.images: ImageData | None = None
        self.folder: RunFolder | None = None
        self.pause_after: int | None = None  # end cleanly after this many run epochs
        self.replayed_health: list[LayerHealth] = []  # layer_health.csv of a resumed run

    def open_folder(self) -> RunFolder:
        """The run folder (the chief's, or a lone process's; other workers write a temporary
        one), its resume point, and the weights choice checked."""
        config = self.config
        if self.role is None or self.role.chief:
            self.folder = RunFolder(config.out_dir or new_run_dir())
        else:
            self.scratch = Path(tempfile.mkdtemp(prefix="ftgui-worker-"))
            self.folder = RunFolder(self.scratch)
        if self.resume:
            self.point = plan_resume(self.folder, config)
        if not self._from_saved_model():
            check_weights_choice(config.weights)
        return self.folder

    def _from_saved_model(self) -> bool:
        return self.resume and self.folder is not None and self.folder.model_path.exists()

    def prepare(
        self,
        dataset: Dataset,
        report: ScanReport,
        shelf: FeatureShelf | None = None,
        images: Hashable = None,
    ) -> None:
        """Build the model over the checked images (`report.pixels`), start the run folder and
        announce `RunStarted`; frozen outputs go on `shelf` under the images' key `images`."""
        config, listener, folder = self.config, self.listener, self.folder
        assert folder is not None and report.pixels is not None, "open_folder, check first"
        with self.time.part("TensorFlow import and devices"):
            from ftgui.core.model.device import setup_devices

            device = setup_devices()
        if self.role is not None:
            join_workers(self.role, config, self.resume, listener)
        import keras

        from ftgui.core.model.acceleration import choose_acceleration

        keras.backend.clear_session()  # first: it also resets the mixed-precision policy
        self.acceleration = choose_acceleration(config, device)
        order = EpochOrder(len(dataset.train), config.seed)  # one stream for every phase
        binary = ClassifierOutput(dataset.num_classes).binary
        self.images = ImageData.over(dataset, report.pixels, binary, order, config.batch_size)
        self._build()
        if self.resume:
            folder.keep_history(self.point.run_epochs_done)
            self.replayed_health = read_health(folder.path)
        else:  # config.json records the digest of the decisions file the dataset honoured
            digest = dataset.decisions_digest
            folder.start(config, {"decisions_digest": digest} if digest else None)
        report.save(folder.path)
        if config.tensorboard:
            self.tensorboard = open_tensorboard_log(folder.path, config.phases)
        outlines = phase_outlines(config, dataset.num_classes, self._steps())
        describe = self.acceleration.describe(device)
        summary, classes = dataset.summary(), dataset.class_names
        listener(
            RunStarted(str(folder.path), describe, summary, classes, outlines, report.to_json())
        )
        if self.resume:
            listener(Status(self.point.describe(config)))
        if config.augment_copies and not config.cache_features:
            listener(Status(COPIES_NEED_CACHE))
        settings = CacheSettings.of(config, folder.path / "cache", images)
        pixels = self.images.pixels
        self.cache = FeatureCache(
            config.phases, settings, pixels.split("train"), pixels.ram_bytes, shelf
        )

    def _build(self) -> None:
        """The model in the fresh session `prepare` opened (the saved weights when resuming)."""
        import keras

        from ftgui.core.model.build import build_model, load_saved_weights

        config, folder = self.config, self.folder
        assert folder is not None and self.images is not None
        keras.utils.set_random_seed(config.seed)
        weights = "none" if self._from_saved_model() else config.weights
        self.listener(Status(building_message(weights)))
        size, classes = config.image_size, self.images.dataset.num_classes
        with self.acceleration.strategy.scope(), self.time.part("model build and weights"):
            self.model = build_model(
                classes, size, weights, config.dropout, config.augmenting, config.seed
            )
            if self._from_saved_model():
                load_saved_weights(self.model, folder.model_path)
        if self.role is not None:
            from ftgui.core.model.acceleration import build_without_reducing_data

            build_without_reducing_data(self.model, self.images.train.element_spec)

    def _steps(self) -> int:
        return steps_for(self.images.dataset.train, self.config.batch_size)  # type: ignore[union-attr]

    def train_phases(self) -> bool:
        """Train every phase in order; True when a stop request ended the run.

        A set `stop` ends the run at the next batch end: the unfinished epoch is rolled back,
        so the saved model, checkpoint and history.csv agree."""
        phases = enumerate(self.config.phases)
        return any(self._run_phase(index, phase) for index, phase in phases)  # up to a stop

    def _run_phase(self, index: int, phase: PhaseConfig) -> bool:
        """One phase: replayed when a resume passed it, else trained and saved; True when
        stopped."""
        listener, point, folder = self.listener, self.point, self.folder
        assert folder is not None
        first_epoch = sum(p.epochs for p in self.config.phases[:index])  # of the run
        if self._pauses_before(index, first_epoch):
            return True  # a resume continues here
        listener(PhaseStarted(index, phase.name, phase.epochs, self._steps()))
        for row in point.rows_of(index):  # finished before a resume: redraw them
            replayed = epoch_from_row(row, phase.epochs)
            layers = tuple(
                h for h in self.replayed_health if (h.phase, h.epoch) == (index, replayed.epoch)
            )
            if layers:
                listener(HealthMeasured(index, replayed.epoch, layers, replayed=True))
            listener(replayed)
        if index < point.phase:
            listener(PhaseEnded(index, phase.epochs, False))
            return False
        recorder = self._phase_recorder(index, phase)
        callback = ProgressCallback(
            recorder,
            self._steps(),
            listener,
            self.stop,
            lambda e: self._epoch_begins(first_epoch + e),
            self.time,
        )
        until = phase.epochs
        if self.pause_after is not None:
            until = min(until, self.pause_after - first_epoch)
        if until > recorder.epochs_done and not self.stop.is_set():
            self._train_phase(index, phase, callback, until)
        stopped = callback.interrupted or self.stop.is_set() or recorder.epochs_done < phase.epochs
        listener(PhaseEnded(index, recorder.epochs_done, stopped))
        if recorder.epochs_done:
            with self.time.part("model saves (model.keras, best models)"):
                save_model(self.model, folder.model_path)
                recorder.finish(folder.model_path)
        return stopped

    def _pauses_before(self, index: int, first_epoch: int) -> bool:
        """True when `pause_after` ends the run before phase `index` trains (a resumed run
        replays its finished phases first)."""
        pause, point = self.pause_after, self.point
        replayed = index < point.phase or bool(point.rows_of(index))
        return pause is not None and pause <= first_epoch and not replayed

    def _epoch_begins(self, run_epoch: int) -> None:
        """Key the epoch's randomness by its number in the run: the data order, dropout masks
        and augmentations are the same whether or not the run was stopped and resumed."""
        from ftgui.core.model.build import reseed_random_layers
        from ftgui.core.model.device import gpu_memory

        assert self.images is not None
        self.images.order.set_epoch(run_epoch)
        reseed_random_layers(self.model, self.config.seed, run_epoch)
        memory = gpu_memory()
        if memory is not None:
            self.listener(DeviceMemory(*memory))

    def _phase_recorder(self, index: int, phase: PhaseConfig) -> PhaseRecorder:
        """Compile the phase; when it is the resumed one, put its checkpoint state back."""
        from ftgui.core.model.build import compile_phase

        assert self.images is not None and self.folder is not None
        with self.acceleration.strategy.scope():
            compile_phase(self.model, phase, self.images.dataset.num_classes, self.acceleration.xla)
        log = self.tensorboard.epoch_finished if self.tensorboard else None
        pretrained = layer_names() if self.config.weights != "none" else ()
        health_log = self.tensorboard.layer_health if self.tensorboard else None
        health = HealthWatch(pretrained, phase.learning_rate, health_log)
        recorder = PhaseRecorder(
            index,
            phase.name,
            phase.epochs,
            self.folder,
            self.model,
            self.listener,
            epoch_log=log,
            health=health,
        )
        checkpoint = self.point.checkpoint
        if checkpoint is not None and index == self.point.phase:
            recorder.resume_from(checkpoint)
        return recorder

    def inputs_for(self, index: int) -> PhaseInputs | None:
        """Compile phase `index` (its layer plan and optimizer) on the prepared model and
        return what its `fit` would read; None when a stop came while computing frozen outputs
        (the learning-rate finder reads them)."""
        from ftgui.core.model.build import compile_phase

        assert self.images is not None, "prepare first"
        with self.acceleration.strategy.scope():
            phase = self.config.phases[index]
            compile_phase(self.model, phase, self.images.dataset.num_classes, self.acceleration.xla)
        return self._phase_inputs(index, self.config.phases[index])

    def _train_phase(
        self, index: int, phase: PhaseConfig, callback: ProgressCallback, until: int
    ) -> None:
        """Fit one phase (compiled) up to its epoch `until`: on cached frozen-layer outputs
        when it can, else on the images."""
        inputs = self._phase_inputs(index, phase)
        if inputs is not None:  # None: stopped while computing the frozen outputs
            fit_phase(inputs, phase, callback, self.acceleration.strategy, self.time, until)

    def _phase_inputs(self, index: int, phase: PhaseConfig) -> PhaseInputs | None:
        """The compiled phase's model and data: the images, or a tail model on the cached
        frozen outputs (computed now when needed; None when stopped meanwhile)."""
        config, images, cache = self.config, self.images, self.cache
        assert images is not None and cache is not None
        if not cache.levels[index]:
            return PhaseInputs(self.model, images.train, images.validation)
        with (
            tensorflow_errors("computing the frozen layers' outputs"),
            self.time.part("frozen-layer outputs (once)"),
        ):
            features = cache.features_for(
                index,
                self.model,
                images.extraction_sources(),
                lambda text: self.listener(Status(text)),
                self.stop.is_set,
            )
        if features is None:
            return None
        from ftgui.core.model.build import compile_for_phase
        from ftgui.core.model.slices import tail_model

        num_classes, xla = images.dataset.num_classes, self.acceleration.xla
        with self.acceleration.strategy.scope():
            tail = tail_model(self.model, config.image_size, features.level)
            compile_for_phase(tail, phase, num_classes, xla, optimizer=self.model.optimizer)
        validation_part = f"{phase.name}: validation"
        return cached_inputs(
            features, tail, self.model, images, config.batch_size, validation_part, self.time
        )

    def known_validation(self) -> KnownFeatures | None:
        """The validation images' frozen-layer outputs computed while training, if any."""
        if self.cache is None or self.images is None:
            return None
        return self.cache.validation_features(self.images.dataset.validation)

    def completed(self) -> None:
        """Every phase finished: nothing is left to resume."""
        assert self.folder is not None
        (self.folder.path / CHECKPOINT_FILE).unlink(missing_ok=True)

    def test_metrics(self) -> dict[str, float]:
        """The model's loss and accuracy on the test split (`model.evaluate`)."""
        assert self.images is not None
        self.listener(Status("Evaluating the test split…"))
        test = self.images.batches("test", self.config.batch_size)
        with tensorflow_errors("evaluating the test split"), self.time.part("test split"):
            metrics = self.model.evaluate(test, verbose=0, return_dict=True)
        return {k: float(v) for k, v in metrics.items()}

    def finish(self, stopped: bool, test_metrics: dict[str, float] | None) -> RunEnded:
        """Store the test metrics, and announce and return the run's end."""
        listener, folder = self.listener, self.folder
        assert folder is not None
        if test_metrics is not None:
            folder.write_test_metrics(test_metrics)
            if self.tensorboard is not None:
                self.tensorboard.test_metrics(test_metrics)
        if self.role is not None:
            listener(Status(f"Final weights digest: {weights_digest(self.model)}"))
        if self.scratch is not None:
            listener(Status(f"Worker done; its temporary folder {folder.path} is removed."))
        kept = folder.model_path.exists() and self.scratch is None
        model_path = str(folder.model_path) if kept else None
        time_spent = self.time.table(self.started_after)
        ended = RunEnded(str(folder.path), stopped, test_metrics, model_path, time_spent)
        listener(ended)
        return ended

    def close(self) -> None:
        """However the run ended: free the frozen outputs, close the TensorBoard log, remove a
        worker's temporary folder."""
        if self.cache is not None:
            self.cache.release()
        if self.tensorboard is not None:
            self.tensorboard.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
