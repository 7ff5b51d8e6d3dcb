"""Each finished epoch's training state in the run folder, so a killed run can resume.

`checkpoint.npz` holds the phase's trainable weights and optimizer variables (keyed by their
Keras paths), the best validation epoch so far and, while `best_<phase>.keras` lags behind it,
that epoch's trainable weights. The frozen weights are not repeated: they are the ones the
phase started from (`model.keras` of the previous phase, or the configured base weights), so
a checkpoint stays small enough to write every epoch. Files are replaced atomically.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ftgui.core.errors import UserError
from ftgui.core.training.run_folder import write_run_file

CHECKPOINT_FILE = "checkpoint.npz"
_META, _WEIGHTS, _OPTIMIZER, _BEST = "meta", "weights/", "optimizer/", "best/"

Arrays = dict[str, np.ndarray]


@dataclass
class Best:
    """The lowest validation loss of a phase so far (epoch 0-based; -1 before any epoch)."""

    val_loss: float = math.inf
    epoch: int = -1
    weights: Arrays | None = None  # set while best_<phase>.keras does not hold this epoch yet

    def improves(self, val_loss: float | None) -> bool:
        return val_loss is not None and math.isfinite(val_loss) and val_loss < self.val_loss


@dataclass
class Checkpoint:
    """Where a run stands after its last finished epoch."""

    phase: int  # 0-based
    epochs_done: int  # finished epochs of that phase
    weights: Arrays = field(default_factory=dict)
    optimizer: Arrays = field(default_factory=dict)
    best: Best = field(default_factory=Best)

    def write(self, folder: Path) -> None:
        meta = {
            "phase": self.phase,
            "epochs_done": self.epochs_done,
            "best_val_loss": self.best.val_loss if math.isfinite(self.best.val_loss) else None,
            "best_epoch": self.best.epoch,
        }
        arrays: dict[str, Any] = {_META: np.array(json.dumps(meta))}
        arrays.update({_WEIGHTS + k: v for k, v in self.weights.items()})
        arrays.update({_OPTIMIZER + k: v for k, v in self.optimizer.items()})
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
            best = Best(
                math.inf if best_loss is None else float(best_loss),
                int(meta["best_epoch"]),
                groups[_BEST] or None,
            )
            return cls(
                int(meta["phase"]),
                int(meta["epochs_done"]),
                groups[_WEIGHTS],
                groups[_OPTIMIZER],
                best,
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


OPTIMIZER_NAMES = r"(rm_sprop|adam|sgd|loss_scale_optimizer)(_\d+)?"


def variable_key(variable: Any) -> str:
    """A variable's Keras path, with an optimizer's auto-numbered name made plain.

    Optimizer paths start with a name that counts the optimizers made so far in the process
    ("rm_sprop_1/dense_kernel_velocity"); a resumed run makes fewer, so the number is dropped.
    """
    owner, slash, rest = variable.path.partition("/")
    if slash and re.fullmatch(OPTIMIZER_NAMES, owner):
        owner = re.sub(r"_\d+$", "", owner)
    return owner + slash + rest


def variable_arrays(variables: Any) -> Arrays:
    """Numpy copies of Keras variables keyed by `variable_key`."""
    return {variable_key(variable): np.array(variable.numpy()) for variable in variables}


def assign_arrays(variables: Any, arrays: Arrays, what: str) -> None:
    """Assign saved arrays back by key; refuse a checkpoint that does not fit the model."""
    by_path = {variable_key(variable): variable for variable in variables}
    missing = sorted(set(by_path) - set(arrays))
    if missing or any(tuple(arrays[p].shape) != tuple(v.shape) for p, v in by_path.items()):
        raise UserError(
            f"The checkpoint's {what} do not match this run's model "
            f"({missing[0] if missing else 'shapes differ'}); was config.json edited? "
            f"Start a new run instead."
        )
    for path, variable in by_path.items():
        variable.assign(arrays[path])
