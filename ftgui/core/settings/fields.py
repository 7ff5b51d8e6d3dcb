"""Every setting described once: type, default, limits, help and command-line flag.

`RunConfig` and `PhaseConfig` take their defaults, JSON type checks and range checks from these
tables; `ftgui.cli.args` builds the flags and the window builds its fields (ranges, tooltips) from
them. No Qt, no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftgui.core.errors import UserError
from ftgui.core.settings.vgg16 import MIN_IMAGE_SIZE

OPTIMIZERS = ("rmsprop", "adam", "sgd")
WEIGHT_CHOICES = ("imagenet", "none")
DISTRIBUTE_CHOICES = ("auto", "none", "mirrored")
MAX_IMAGE_SIZE = 1024
SPEED = "speed"  # the section of the settings that change speed, never the numbers learned

_TYPE_WORDS = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    type(None): "null",
}


@dataclass(frozen=True)
class Setting:
    """One setting of a run or of a phase: its JSON key, type, default, limits, help and flag."""

    name: str  # attribute of RunConfig / PhaseConfig and key in config.json
    kind: type  # bool, int, float, str or list
    default: Any
    label: str  # in sentences: "The {label} must be …"
    help: str  # --help text and the window's tooltip (the default is added to --help)
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False  # None is allowed and means "automatic" / "not given"
    required: bool = False  # a phase in config.json must give it
    flag: str | None = None  # phase settings: the stem of `--STEM-head` and `--STEM-finetune`
    metavar: str | None = None
    title: str = ""  # the window's label; the capitalised label when empty
    step: float = 1
    decimals: int = 0
    section: str = ""  # SPEED, or "" for the settings that shape the model and data

    @property
    def window_title(self) -> str:
        return self.title or self.label[:1].upper() + self.label[1:]

    def typed(self, value: Any, what: str) -> Any:
        """`value` read from JSON, as this setting's type (an int where a float is expected
        becomes a float); a UserError naming `what` when the type is wrong."""
        types: tuple[type, ...] = (self.kind, type(None)) if self.optional else (self.kind,)
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, types) and not (isinstance(value, bool) and self.kind is not bool):
            if self.kind is list and not all(isinstance(item, str) for item in value):
                raise UserError(f"{what} must be a list of names, not {value!r}.")
            return value
        words = " or ".join(_TYPE_WORDS[t] for t in types)
        raise UserError(f"{what} must be {words}, not {value!r}.")

    def problem(self, value: Any, where: str = "") -> str | None:
        """The one sentence saying why `value` is wrong, or None when it is fine.

        `where` names the owner, e.g. "phase 2 ('Fine-tune')"."""
        if value is None and self.optional:
            return None
        if self.choices:
            if value in self.choices:
                return None
            in_where = f" in {where}" if where else ""
            return (
                f"Unknown {self.label} {value!r}{in_where}; use one of {', '.join(self.choices)}."
            )
        if self.kind not in (int, float) or self.in_range(value):
            return None
        of_where = f" of {where}" if where else ""
        return f"The {self.label}{of_where} must be {self.range_words()}; {value!r} is not."

    def check(self, value: Any, where: str = "") -> None:
        """Raise the UserError of `problem` when `value` is wrong."""
        message = self.problem(value, where)
        if message:
            raise UserError(message)

    def in_range(self, value: Any) -> bool:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or (self.kind is int and not isinstance(value, int)):
            return False
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        high_ok = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return low_ok and high_ok

    def range_words(self) -> str:
        """E.g. "a whole number from 32 to 1024", "a number above 0 to 10"."""
        if self.kind is int:
            return f"a whole number from {int(self.low)} to {int(self.high)}"
        low = "above" if self.low_open else "from"
        high = "below" if self.high_open else "to"
        return f"a number {low} {self.low:g} {high} {self.high:g}"

    def help_with_default(self, default: Any = None) -> str:
        """The help text plus "(default …)" when the default is a value worth stating."""
        default = self.default if default is None else default
        if default is None or isinstance(default, bool):
            return self.help
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        return f"{self.help} (default {shown})"


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
        "rmsprop (the book's), adam, or sgd with momentum 0.9",
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

RUN: dict[str, Setting] = {setting.name: setting for setting in RUN_SETTINGS}
PHASE: dict[str, Setting] = {setting.name: setting for setting in PHASE_SETTINGS}

# Where the two flags of a phase setting apply: `--STEM-head` the first phase, `--STEM-finetune`
# the last one.
PHASE_FLAG_ENDS = (
    ("head", 0, "the first phase, training the classifier"),
    ("finetune", -1, "the last phase, fine-tuning"),
)
