"""Each finished epoch's training state in the run folder, so a killed run can resume.

`checkpoint.npz` holds the phase's trainable weights (keyed by their Keras paths), the
optimizer's variables (as its own `save_own_variables` stores them), the best validation epoch
so far and, while `best_<n>_<phase>.keras` lags behind it, that epoch's trainable weights (not
written twice when the best epoch is the checkpoint's own). The frozen weights are not
repeated: they are the ones the phase started from (`model.keras` of the previous phase, or
the configured base weights), so a checkpoint stays small enough to write every epoch. Files
are replaced atomically.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ftgui.core.errors import UserError
from ftgui.core.files import write_run_file

CHECKPOINT_FILE = "checkpoint.npz"
_META, _WEIGHTS, _OPTIMIZER, _BEST = "meta", "weights/", "optimizer/", "best/"

Arrays = dict[str, np.ndarray]


@dataclass
class OptimizerState:
    """An optimizer's variables as Keras stores them ("0", "1", … in `variables` order).

    `names` are the variables' own names ("iteration", "dense_kernel_velocity"): they tell
    apart optimizers whose variables have the same shapes (RMSprop and SGD with momentum).
    A LossScaleOptimizer's variables include its inner optimizer's.
    """

    arrays: Arrays = field(default_factory=dict)
    names: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, optimizer: Any) -> OptimizerState:
        """A copy of a built optimizer's variables."""
        store: dict[str, Any] = {}
        optimizer.save_own_variables(store)
        arrays = {key: np.asarray(value) for key, value in store.items()}  # copies already
        return cls(arrays, [variable.name for variable in optimizer.variables])

    def load_into(self, optimizer: Any) -> None:
        """Assign the saved variables to a built optimizer; refuse a state that does not fit."""
        variables = optimizer.variables
        if len(self.arrays) != len(variables):
            raise mismatch(
                "optimizer variables", f"{len(self.arrays)} saved, {len(variables)} here"
            )
        names = [variable.name for variable in variables]
        if self.names != names:
            raise mismatch("optimizer variables", first_difference(self.names, names))
        for index, variable in enumerate(variables):
            if self.arrays[str(index)].shape != tuple(variable.shape):
                raise mismatch("optimizer variables", f"{variable.name}: shapes differ")
        optimizer.load_own_variables(self.arrays)


@dataclass
class Best:
    """The lowest validation loss of a phase so far (epoch 0-based; -1 before any epoch)."""

    val_loss: float = math.inf
    epoch: int = -1
    weights: Arrays | None = None  # set while best_<n>_<phase>.keras does not hold this epoch

    def improves(self, val_loss: float | None) -> bool:
        return val_loss is not None and math.isfinite(val_loss) and val_loss < self.val_loss


@dataclass
class Checkpoint:
    """Where a run stands after its last finished epoch."""

    phase: int  # 0-based
    epochs_done: int  # finished epochs of that phase
    weights: Arrays = field(default_factory=dict)
    optimizer: OptimizerState = field(default_factory=OptimizerState)
    best: Best = field(default_factory=Best)

    def write(self, folder: Path) -> None:
        meta = {
            "phase": self.phase,
            "epochs_done": self.epochs_done,
            "best_val_loss": self.best.val_loss if math.isfinite(self.best.val_loss) else None,
            "best_epoch": self.best.epoch,
            "optimizer_variables": self.optimizer.names,
            # the waiting best epoch is this one: its weights are not written twice
            "best_is_current": self.best.weights is self.weights,
        }
        arrays: dict[str, Any] = {_META: np.array(json.dumps(meta))}
        arrays.update({_WEIGHTS + k: v for k, v in self.weights.items()})
        arrays.update({_OPTIMIZER + k: v for k, v in self.optimizer.arrays.items()})
        if not meta["best_is_current"]:
            arrays.update({_BEST + k: v for k, v in (self.best.weights or {}).items()})
        write_run_file(folder / CHECKPOINT_FILE, lambda path: np.savez(path, **arrays))

    @classmethod
    def read(cls, folder: Path, arrays: bool = True) -> Checkpoint | None:
        """The folder's checkpoint, None when it has none; UserError when it is unreadable.

        Without `arrays`, only where it stands is read (a quick check before resuming).
        """
        path = folder / CHECKPOINT_FILE
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data[_META]))
                groups: dict[str, Arrays] = {_WEIGHTS: {}, _OPTIMIZER: {}, _BEST: {}}
                for key in data.files if arrays else ():
                    for prefix, group in groups.items():
                        if key.startswith(prefix):
                            group[key[len(prefix) :]] = data[key]
            best_loss = meta["best_val_loss"]
            best_weights = groups[_WEIGHTS] if meta.get("best_is_current") else groups[_BEST]
            best = Best(
                math.inf if best_loss is None else float(best_loss),
                int(meta["best_epoch"]),
                best_weights or None,
            )
            optimizer = OptimizerState(groups[_OPTIMIZER], list(meta["optimizer_variables"]))
            return cls(
                int(meta["phase"]), int(meta["epochs_done"]), groups[_WEIGHTS], optimizer, best
            )
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            raise UserError(
                f"The checkpoint {path} is unreadable ({type(exc).__name__}); the run cannot be "
                f"resumed, but its history and saved models are intact."
            ) from None


def best_model_name(phase: int, name: str) -> str:
    """`best_<n>_<name>.keras` with the phase's name made safe for any file system."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "phase"
    return f"best_{phase + 1}_{slug}.keras"


def variable_arrays(variables: Any) -> Arrays:
    """Numpy copies of a model's Keras variables keyed by their paths ("dense/kernel")."""
    return {variable.path: np.asarray(variable.numpy()) for variable in variables}  # a copy


def assign_arrays(variables: Any, arrays: Arrays, what: str) -> None:
    """Assign saved arrays back by path; refuse a checkpoint that does not fit the model."""
    by_path = {variable.path: variable for variable in variables}
    missing = sorted(set(by_path) - set(arrays))
    if missing or any(tuple(arrays[p].shape) != tuple(v.shape) for p, v in by_path.items()):
        raise mismatch(what, missing[0] if missing else "shapes differ")
    for path, variable in by_path.items():
        variable.assign(arrays[path])


def first_difference(saved: list[str], here: list[str]) -> str:
    """Where two lists of variable names first differ, in words."""
    pairs = itertools.zip_longest(saved, here, fillvalue="nothing")
    old, new = next((a, b) for a, b in pairs if a != b)
    return f"{old} saved where this run has {new}"


def mismatch(what: str, detail: str) -> UserError:
    """The one sentence for a checkpoint whose `what` does not fit the model being trained."""
    return UserError(
        f"The checkpoint's {what} do not match this run's model ({detail}); was config.json "
        f"edited? Start a new run instead."
    )
