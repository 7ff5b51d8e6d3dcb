"""The typed run configuration, its defaults (the book's recipe), validation and JSON form."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftgui.core.errors import UserError
from ftgui.core.settings.layer_plan import check_layer_name, trainable_from
from ftgui.core.settings.vgg16 import MIN_IMAGE_SIZE, layer_names

OPTIMIZERS = ("rmsprop", "adam", "sgd")
MAX_IMAGE_SIZE = 1024
WEIGHT_CHOICES = ("imagenet", "none")
BOOK_UNFREEZE_FROM = "block5_conv1"
DISTRIBUTE_CHOICES = ("auto", "none", "mirrored")


@dataclass
class PhaseConfig:
    """One training phase: its own layer plan, optimizer, learning rate and epochs."""

    name: str
    epochs: int
    learning_rate: float
    optimizer: str = "rmsprop"
    trainable_layers: list[str] = field(default_factory=list)

    def validate(self, index: int) -> None:
        label = f"phase {index + 1} ('{self.name}')"
        if not self.name.strip():
            raise UserError(f"Phase {index + 1} has no name; give every phase a name.")
        _check_int(self.epochs, f"epochs of {label}", 0, 100_000)
        if self.optimizer not in OPTIMIZERS:
            raise UserError(
                f"Unknown optimizer '{self.optimizer}' in {label}; "
                f"use one of {', '.join(OPTIMIZERS)}."
            )
        _check_float(self.learning_rate, f"learning rate of {label}", 0.0, 10.0, low_open=True)
        for name in self.trainable_layers:
            check_layer_name(name, f"layer in {label}")


def book_phases(unfreeze_from: str = BOOK_UNFREEZE_FROM) -> list[PhaseConfig]:
    """The two phases of §5.3.2: train the classifier on a frozen base, then fine-tune block5."""
    return [
        PhaseConfig("Train classifier", epochs=30, learning_rate=2e-5),
        PhaseConfig(
            "Fine-tune",
            epochs=100,
            learning_rate=1e-5,
            trainable_layers=[n for n in layer_names() if n in trainable_from(unfreeze_from)],
        ),
    ]


@dataclass
class RunConfig:
    """Every setting of a run; `config.json` in the run folder is this object as JSON."""

    data_dir: str | None = None
    sample: bool = False
    weights: str = "imagenet"
    image_size: int = 150
    batch_size: int = 20
    augment: bool = False
    validation_split: float = 0.2
    seed: int = 1337
    dropout: float = 0.5
    out_dir: str | None = None
    phases: list[PhaseConfig] = field(default_factory=book_phases)
    # Speed: frozen-prefix reuse (feature_cache.py); GPU options (None: on when a GPU is seen).
    cache_features: bool = True
    cache_budget_mb: int | None = None  # None: a quarter of the available memory
    mixed_precision: bool | None = None
    xla: bool | None = None
    distribute: str = "auto"  # auto: MirroredStrategy when several GPUs; none; mirrored

    def validate(self) -> None:
        """Raise a UserError naming the first setting that is out of range."""
        if not self.sample and not self.data_dir:
            raise UserError(
                "No dataset given; pass --data DIR (a folder of class folders) or --sample."
            )
        _check_int(self.image_size, "image size", MIN_IMAGE_SIZE, MAX_IMAGE_SIZE)
        _check_int(self.batch_size, "batch size", 1, 4096)
        _check_float(
            self.validation_split, "validation split", 0.0, 1.0, low_open=True, high_open=True
        )
        _check_float(self.dropout, "dropout", 0.0, 1.0, high_open=True)
        _check_int(self.seed, "seed", 0, 2**31 - 1)
        if self.cache_budget_mb is not None:
            _check_int(self.cache_budget_mb, "cache budget (MB)", 0, 10**7)
        if self.distribute not in DISTRIBUTE_CHOICES:
            raise UserError(
                f"Unknown distribution '{self.distribute}'; use one of "
                f"{', '.join(DISTRIBUTE_CHOICES)}."
            )
        if not self.phases:
            raise UserError("The run has no phases; add at least one phase.")
        for index, phase in enumerate(self.phases):
            phase.validate(index)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "configuration") -> RunConfig:
        """Build from JSON data, refusing unknown keys and wrong types with one sentence."""
        if not isinstance(data, dict):
            raise UserError(
                f"{source} is not a JSON object; it should look like a run's config.json."
            )
        known = {f.name: f for f in dataclasses.fields(cls)}
        _refuse_unknown(data, known, source)
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "phases":
                values[key] = _phases_from_json(value, source)
            else:
                values[key] = _typed(value, _FIELD_TYPES[key], f"'{key}' in {source}")
        return cls(**values)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(f"Configuration file {path} does not exist; check the path.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"Cannot read configuration file {path} ({exc}).") from None
        except json.JSONDecodeError as exc:
            raise UserError(
                f"Configuration file {path} is not valid JSON (line {exc.lineno}: {exc.msg})."
            ) from None
        return cls.from_dict(data, source=str(path))


_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "data_dir": (str, type(None)),
    "sample": bool,
    "weights": str,
    "image_size": int,
    "batch_size": int,
    "augment": bool,
    "validation_split": float,
    "seed": int,
    "dropout": float,
    "out_dir": (str, type(None)),
    "cache_features": bool,
    "cache_budget_mb": (int, type(None)),
    "mixed_precision": (bool, type(None)),
    "xla": (bool, type(None)),
    "distribute": str,
}
_PHASE_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "epochs": int,
    "learning_rate": float,
    "optimizer": str,
    "trainable_layers": list,
}


def _phases_from_json(value: Any, source: str) -> list[PhaseConfig]:
    if not isinstance(value, list):
        raise UserError(f"'phases' in {source} must be a list of phases.")
    phases = []
    for index, item in enumerate(value):
        where = f"phase {index + 1} of {source}"
        if not isinstance(item, dict):
            raise UserError(f"{where} must be a JSON object.")
        _refuse_unknown(item, _PHASE_TYPES, where)
        missing = [k for k in ("name", "epochs", "learning_rate") if k not in item]
        if missing:
            raise UserError(f"{where} lacks {', '.join(missing)}.")
        typed = {k: _typed(v, _PHASE_TYPES[k], f"'{k}' in {where}") for k, v in item.items()}
        if not all(isinstance(n, str) for n in typed.get("trainable_layers", [])):
            raise UserError(f"'trainable_layers' in {where} must be a list of layer names.")
        phases.append(PhaseConfig(**typed))
    return phases


def _refuse_unknown(data: dict[str, Any], known: Any, source: str) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise UserError(
            f"Unknown setting {', '.join(repr(k) for k in unknown)} in {source}; "
            f"known settings are {', '.join(known)}."
        )


def _typed(value: Any, expected: type | tuple[type, ...], what: str) -> Any:
    types = expected if isinstance(expected, tuple) else (expected,)
    if float in types and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) and bool not in types:
        raise UserError(f"{what} must be {_type_words(types)}, not {value!r}.")
    if not isinstance(value, types):
        raise UserError(f"{what} must be {_type_words(types)}, not {value!r}.")
    return value


def _type_words(types: tuple[type, ...]) -> str:
    words = {
        str: "text",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        type(None): "null",
    }
    return " or ".join(words[t] for t in types)


def _check_int(value: int, what: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserError(f"The {what} must be a whole number from {low} to {high}, not {value!r}.")


def _check_float(
    value: float,
    what: str,
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        ok = (value > low if low_open else value >= low) and (
            value < high if high_open else value <= high
        )
    if not ok:
        lo = "above" if low_open else "from"
        hi = "below" if high_open else "to"
        raise UserError(f"The {what} must be a number {lo} {low:g} {hi} {high:g}, not {value!r}.")
