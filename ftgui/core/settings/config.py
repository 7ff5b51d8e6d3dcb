"""The typed run configuration, its defaults (the book's recipe), validation and JSON form.

Defaults, JSON types and limits come from the tables in `fields.py`."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftgui.core.errors import UserError
from ftgui.core.files import write_atomically
from ftgui.core.settings.fields import (
    BOOK_UNFREEZE_FROM,
    DISTRIBUTE_CHOICES,
    PHASE,
    PHASE_SETTINGS,
    RUN,
    RUN_SETTINGS,
    WEIGHT_CHOICES,
)
from ftgui.core.settings.layer_plan import check_layer_name, trainable_from
from ftgui.core.settings.optimizers import OPTIMIZERS
from ftgui.core.settings.vgg16 import MAX_IMAGE_SIZE

# Facts a run records in its config.json beside the settings (read back as nothing: they are
# not settings): the sha256 of the dataset's decisions file the run honoured.
RECORDED = ("decisions_digest",)

__all__ = [
    "BOOK_UNFREEZE_FROM",
    "DISTRIBUTE_CHOICES",
    "MAX_IMAGE_SIZE",
    "OPTIMIZERS",
    "WEIGHT_CHOICES",
    "PhaseConfig",
    "RunConfig",
    "apply_last_phase_setting",
    "book_phases",
]


@dataclass
class PhaseConfig:
    """One training phase: its own layer plan, optimizer, learning rate and epochs."""

    name: str
    epochs: int
    learning_rate: float
    optimizer: str = PHASE["optimizer"].default
    trainable_layers: list[str] = field(
        default_factory=lambda: list(PHASE["trainable_layers"].default)
    )

    def label(self, index: int) -> str:
        """How messages name this phase: "phase 2 ('Fine-tune')"."""
        return f"phase {index + 1} ('{self.name}')"

    def name_problem(self, index: int) -> str | None:
        """The sentence saying the phase has no name, or None."""
        return (
            None
            if self.name.strip()
            else (f"Phase {index + 1} has no name; give every phase a name.")
        )

    def validate(self, index: int) -> None:
        """Raise a UserError naming the phase and its first value out of range."""
        if problem := self.name_problem(index):
            raise UserError(problem, "name")
        label = self.label(index)
        for setting in PHASE_SETTINGS:
            setting.check(getattr(self, setting.name), label)
        for name in self.trainable_layers:  # config.json is where layer names enter
            check_layer_name(name, f"layer in {label}")


def book_phases(unfreeze_from: str = BOOK_UNFREEZE_FROM) -> list[PhaseConfig]:
    """The two phases of §5.3.2: train the classifier on a frozen base, then fine-tune block5."""
    return [
        PhaseConfig("Train classifier", epochs=30, learning_rate=2e-5),
        PhaseConfig(
            "Fine-tune",
            epochs=100,
            learning_rate=1e-5,
            trainable_layers=list(trainable_from(unfreeze_from)),
        ),
    ]


def _unfreeze_from(phase: PhaseConfig, layer: str) -> None:
    phase.trainable_layers = list(trainable_from(layer, setting="unfreeze_from"))


# What each setting of `fields.LAST_PHASE_SETTINGS` does to the last phase.
_LAST_PHASE_APPLY = {"unfreeze_from": _unfreeze_from}


def apply_last_phase_setting(config: RunConfig, name: str, value: str) -> None:
    """Apply a value of `fields.LAST_PHASE_SETTINGS` (checked here, where it enters) to the
    last phase of `config`."""
    _LAST_PHASE_APPLY[name](config.phases[-1], value)


@dataclass
class RunConfig:
    """Every setting of a run; `config.json` in the run folder is this object as JSON."""

    data_dir: str | None = RUN["data_dir"].default
    sample: bool = RUN["sample"].default
    weights: str = RUN["weights"].default
    image_size: int = RUN["image_size"].default
    batch_size: int = RUN["batch_size"].default
    augment: bool = RUN["augment"].default
    augment_copies: int = RUN["augment_copies"].default
    validation_split: float = RUN["validation_split"].default
    seed: int = RUN["seed"].default
    dropout: float = RUN["dropout"].default
    out_dir: str | None = RUN["out_dir"].default
    tensorboard: bool = RUN["tensorboard"].default
    ignore_decisions: bool = RUN["ignore_decisions"].default
    phases: list[PhaseConfig] = field(default_factory=book_phases)
    # Speed: frozen-prefix reuse (feature_cache.py); GPU options (None: on when a GPU is seen).
    cache_features: bool = RUN["cache_features"].default
    cache_budget_mb: int | None = RUN["cache_budget_mb"].default
    mixed_precision: bool | None = RUN["mixed_precision"].default
    xla: bool | None = RUN["xla"].default
    distribute: str = RUN["distribute"].default

    @property
    def augmenting(self) -> bool:
        """Whether training images are augmented: Augment on, or augmented copies asked for."""
        return self.augment or self.augment_copies > 0

    def validate(self) -> None:
        """Raise a UserError naming the first setting that is out of range."""
        if not self.sample and not self.data_dir:
            raise UserError(
                "No dataset given; pass --data DIR (a folder of class folders) or --sample.",
                "data_dir",
                window="No dataset given; pick a Dataset folder (class folders inside) or "
                "Sample dataset.",
            )
        for setting in RUN_SETTINGS:
            setting.check(getattr(self, setting.name))
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
        data = {k: v for k, v in data.items() if k not in RECORDED}
        _refuse_unknown(data, [f.name for f in dataclasses.fields(cls)], source)
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "phases":
                values[key] = _phases_from_json(value, source)
            else:
                values[key] = RUN[key].typed(value, f"'{key}' in {source}")
        return cls(**values)

    def save(self, path: Path, recorded: dict[str, Any] | None = None) -> None:
        """Write `path` as indented JSON; a process killed mid-write leaves the old file whole.
        `recorded`: facts of the run kept beside the settings (`RECORDED`), not settings."""
        text = json.dumps({**self.to_dict(), **(recorded or {})}, indent=2) + "\n"
        write_atomically(Path(path), lambda partial: partial.write_text(text, encoding="utf-8"))

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


def _phases_from_json(value: Any, source: str) -> list[PhaseConfig]:
    if not isinstance(value, list):
        raise UserError(f"'phases' in {source} must be a list of phases.")
    phases = []
    for index, item in enumerate(value):
        where = f"phase {index + 1} of {source}"
        if not isinstance(item, dict):
            raise UserError(f"{where} must be a JSON object.")
        _refuse_unknown(item, list(PHASE), where)
        missing = [s.name for s in PHASE_SETTINGS if s.required and s.name not in item]
        if missing:
            raise UserError(f"{where} lacks {', '.join(missing)}.")
        typed = {k: PHASE[k].typed(v, f"'{k}' in {where}") for k, v in item.items()}
        phase = PhaseConfig(**typed)
        phase.validate(index)  # read here, a phase's values need no check where it is shown
        phases.append(phase)
    return phases


def _refuse_unknown(data: dict[str, Any], known: list[str], source: str) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise UserError(
            f"Unknown setting {', '.join(repr(k) for k in unknown)} in {source}; "
            f"known settings are {', '.join(known)}."
        )
