"""Every setting described once: type, default, limits, help and command-line flag.

`RunConfig` and `PhaseConfig` take their defaults, JSON type checks and range checks from these
tables; `ftgui.cli.args` builds the flags and the window builds its fields (ranges, tooltips) from
them. No Qt, no TensorFlow.
"""

from __future__ import annotations

from ftgui.core.settings.optimizers import OPTIMIZERS, optimizers_help
from ftgui.core.settings.setting import Setting
from ftgui.core.settings.vgg16 import MAX_IMAGE_SIZE, MIN_IMAGE_SIZE

__all__ = [
    "BOOK_UNFREEZE_FROM",
    "DISTRIBUTE_CHOICES",
    "LAST_PHASE_SETTINGS",
    "PHASE",
    "PHASE_FLAG_ENDS",
    "PHASE_SETTINGS",
    "RUN",
    "RUN_SETTINGS",
    "SPEED",
    "WEIGHT_CHOICES",
    "Setting",
]

WEIGHT_CHOICES = ("imagenet", "none")
DISTRIBUTE_CHOICES = ("auto", "none", "mirrored")
BOOK_UNFREEZE_FROM = "block5_conv1"  # listing 5.22
SPEED = "speed"  # the section of the settings that change speed, never the numbers learned

RUN_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        str,
        None,
        "dataset folder",
        "dataset folder: DIR/train/<class>/, DIR/validation/<class>/ [DIR/test/<class>/], "
        "or DIR/<class>/ split by --validation-split",
        optional=True,
        flag="--data",
        metavar="DIR",
    ),
    Setting(
        "sample",
        bool,
        False,
        "sample dataset",
        "use the bundled sample dataset (scikit-learn's digits, no download)",
        flag="--sample",
    ),
    Setting(
        "weights",
        str,
        "imagenet",
        "weights",
        "conv-base weights: Keras's ImageNet download, random initialisation, or a local .h5 / "
        ".weights.h5 file",
        flag="--weights",
        metavar="imagenet|none|FILE",
    ),
    Setting(
        "image_size",
        int,
        150,
        "image size",
        "square image size in pixels",
        low=MIN_IMAGE_SIZE,
        high=MAX_IMAGE_SIZE,
        flag="--image-size",
        metavar="N",
    ),
    Setting(
        "batch_size",
        int,
        20,
        "batch size",
        "images per training step",
        low=1,
        high=4096,
        flag="--batch-size",
        metavar="N",
    ),
    Setting(
        "augment",
        bool,
        False,
        "augmentation",
        "random rotation, shifts, shear, zoom and flips while training",
        flag="--augment",
        title="Augment (rotation, shifts, shear, zoom, flips)",
    ),
    Setting(
        "augment_copies",
        int,
        0,
        "augmented copies",
        "with augmentation: compute K randomly augmented versions of each training image "
        "through the frozen layers once, and let each epoch use one of them (a different one "
        "each epoch) instead of augmenting every epoch anew; 0 augments every epoch (slower, "
        "never repeats an augmentation)",
        low=0,
        high=64,
        flag="--augment-copies",
        metavar="K",
        title="Copies",
    ),
    Setting(
        "validation_split",
        float,
        0.2,
        "validation split",
        "share of each class held out for validation when the dataset folder has no train/ "
        "and validation/ sub-folders",
        low=0.05,
        high=0.95,
        flag="--validation-split",
        metavar="F",
        title="Validation",
        step=0.05,
        decimals=2,
    ),
    Setting(
        "seed",
        int,
        1337,
        "seed",
        "random seed of the split, the shuffling and the initial weights",
        low=0,
        high=2**31 - 1,
        flag="--seed",
        metavar="N",
    ),
    Setting(
        "dropout",
        float,
        0.5,
        "dropout",
        "share of the classifier's 256 features dropped at random while training",
        low=0.0,
        high=1.0,
        high_open=True,
        flag="--dropout",
        metavar="F",
        step=0.05,
        decimals=2,
    ),
    Setting(
        "out_dir",
        str,
        None,
        "run folder",
        "run folder to write (default: a new time-stamped folder under ~/ftgui-runs or "
        "$FTGUI_RUNS_DIR)",
        optional=True,
        flag="--out",
        metavar="DIR",
    ),
    Setting(
        "tensorboard",
        bool,
        False,
        "TensorBoard logs",
        "write TensorBoard event files to RUN/tensorboard/: every epoch's loss, accuracy, "
        "val_loss and val_accuracy on one epoch axis across phases, and each phase's layers, "
        "optimizer and learning rate where it starts (view: tensorboard --logdir RUN/tensorboard)",
        flag="--tensorboard",
        title="Write TensorBoard logs (run folder's tensorboard/)",
    ),
    Setting(
        "ignore_decisions",
        bool,
        False,
        "ignore decisions",
        "train on the dataset folder as it is, ignoring its ftgui-decisions.csv (the keep, "
        "exclude and relabel decisions made in an audit; honoured by default)",
        flag="--ignore-decisions",
        title="Ignore the dataset's decisions file",
    ),
    Setting(
        "cache_features",
        bool,
        True,
        "feature cache",
        "compute the frozen layers once per run and reuse their outputs (not while "
        "augmenting): same numbers, several times faster; --no-cache recomputes them every epoch",
        flag="--no-cache",
        title="Compute frozen layers once",
        section=SPEED,
    ),
    Setting(
        "cache_budget_mb",
        int,
        None,
        "cache budget (MB)",
        "RAM for cached layer outputs before they go to disk in the run folder "
        "(default: a quarter of the available memory)",
        low=0,
        high=10**7,
        optional=True,
        flag="--cache-budget-mb",
        metavar="N",
        title="Cache RAM (MB)",
        section=SPEED,
    ),
    Setting(
        "mixed_precision",
        bool,
        None,
        "mixed precision",
        "float16 compute with a float32 output layer (default: on with a GPU)",
        optional=True,
        flag="--mixed-precision",
        section=SPEED,
    ),
    Setting(
        "xla",
        bool,
        None,
        "XLA",
        "compile training steps with XLA (default: on with a GPU)",
        optional=True,
        flag="--xla",
        section=SPEED,
    ),
    Setting(
        "distribute",
        str,
        "auto",
        "distribution",
        "auto: MirroredStrategy when several GPUs are visible (TF_CONFIG set selects "
        "MultiWorkerMirroredStrategy); none; mirrored",
        choices=DISTRIBUTE_CHOICES,
        flag="--distribute",
        section=SPEED,
    ),
)

PHASE_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "name", str, None, "name", "the phase's name in the window and history.csv", required=True
    ),
    Setting(
        "epochs",
        int,
        None,
        "epochs",
        "passes over the training images (at least 1; remove a phase to skip it)",
        low=1,
        high=100_000,
        required=True,
        flag="--epochs",
        metavar="N",
    ),
    Setting(
        "learning_rate",
        float,
        None,
        "learning rate",
        "the optimizer's step size, e.g. 2e-5 (the book's classifier phase)",
        low=0.0,
        high=10.0,
        low_open=True,
        required=True,
        flag="--lr",
        metavar="F",
    ),
    Setting(
        "optimizer",
        str,
        "rmsprop",
        "optimizer",
        optimizers_help(),
        choices=OPTIMIZERS,
    ),
    Setting(
        "trainable_layers",
        list,
        (),
        "trainable layers",
        "conv-base layers trained in this phase (the classifier always trains)",
    ),
)

# Flags that set part of the last phase from one simpler value; not keys of config.json
# (`config.apply_last_phase_setting` applies them).
LAST_PHASE_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "unfreeze_from",
        str,
        BOOK_UNFREEZE_FROM,
        "layer to unfreeze from",
        "in the last phase, train LAYER and every layer above it",
        flag="--unfreeze-from",
        metavar="LAYER",
    ),
)

RUN: dict[str, Setting] = {setting.name: setting for setting in RUN_SETTINGS}
PHASE: dict[str, Setting] = {setting.name: setting for setting in PHASE_SETTINGS}

# Where the two flags of a phase setting apply: `--STEM-head` the first phase, `--STEM-finetune`
# the last one.
PHASE_FLAG_ENDS = (
    ("head", 0, "the first phase, training the classifier"),
    ("finetune", -1, "the last phase, fine-tuning"),
)
