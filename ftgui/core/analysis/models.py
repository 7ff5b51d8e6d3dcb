"""The models a run folder holds, chosen by name, and loaded into the run's own architecture.

`final` is `model.keras`; `best` is the best model of the run's last phase that has one; a
phase's best model is also chosen by its file's stem (`best_2_fine-tune`); anything else is a
path to a `.keras` file of the same architecture. The architecture is always rebuilt from the
run's `config.json` and only weight arrays are read, so no file can run code when loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ftgui.core.data.scan import REPORT_FILE
from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.checkpoint import best_model_name
from ftgui.core.training.resume import load_run_config
from ftgui.core.training.run_folder import MODEL_FILE

if TYPE_CHECKING:
    import keras

FINAL = "final"
BEST = "best"


@dataclass(frozen=True)
class ModelChoice:
    """One model of a run: its name in file names and menus, and its file."""

    name: str  # "final", a best file's stem ("best_2_fine-tune"), or a foreign file's stem
    path: Path
    phase: int | None = None  # 0-based phase of a best model


@dataclass(frozen=True)
class RunInfo:
    """What analysing a run needs from its folder, read without TensorFlow."""

    folder: Path
    config: RunConfig
    class_names: list[str]


def read_run_info(folder: str | Path) -> RunInfo:
    """The run's settings and class names; one sentence when the folder is not a run."""
    config = load_run_config(folder)
    path = Path(str(config.out_dir))
    try:
        report = json.loads((path / REPORT_FILE).read_text(encoding="utf-8"))
        class_names = [str(name) for name in report["class_names"]]
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(
            f"{path} lacks a readable {REPORT_FILE} (it names the classes); the run did not get "
            f"as far as its first epoch."
        ) from None
    return RunInfo(path, config, class_names)


def run_models(info: RunInfo) -> list[ModelChoice]:
    """The run's models that exist on disk: final first, then each phase's best, in order."""
    found = []
    final = info.folder / MODEL_FILE
    if final.exists():
        found.append(ModelChoice(FINAL, final))
    for index, phase in enumerate(info.config.phases):
        path = info.folder / best_model_name(index, phase.name)
        if path.exists():
            found.append(ModelChoice(path.stem, path, index))
    return found


def resolve_model(info: RunInfo, choice: str = FINAL) -> ModelChoice:
    """`final`, `best` (the last phase's best), a best file's stem, or a path to a .keras file."""
    models = run_models(info)
    if not models:
        raise UserError(
            f"{info.folder} holds no model yet (no {MODEL_FILE} or best_*.keras); let the run "
            f"finish an epoch, or resume it."
        )
    by_name = {model.name: model for model in models}
    if choice == BEST:
        best = [model for model in models if model.phase is not None]
        if not best:
            raise UserError(f"{info.folder} holds no best_*.keras yet; use --model final.")
        return best[-1]
    if choice in by_name:
        return by_name[choice]
    if choice == FINAL:
        raise UserError(
            f"{info.folder} has no {MODEL_FILE} yet (its run stopped before a phase ended); "
            f"use --model best or resume the run."
        )
    path = Path(choice).expanduser()
    if path.suffix == ".keras" and path.is_file():
        return ModelChoice(path.stem, path.resolve())
    names = ", ".join(["best", *by_name])
    raise UserError(f"Unknown model '{choice}'; use {names} or the path of a .keras file.")


def load_model(info: RunInfo, choice: ModelChoice) -> keras.Model:
    """The run's architecture (rebuilt from config.json) with the chosen model's weights."""
    from ftgui.core.model.build import build_model, load_saved_weights

    config = info.config
    model = build_model(
        len(info.class_names),
        config.image_size,
        "none",
        config.dropout,
        config.augmenting,
        config.seed,
    )
    try:
        load_saved_weights(model, choice.path)
    except UserError:
        raise UserError(
            f"{choice.path} does not fit this run's model ({len(info.class_names)} classes, "
            f"{config.image_size} px); choose a model this run saved."
        ) from None
    return model
