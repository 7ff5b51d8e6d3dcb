"""Sharing a sweep's common epochs: which trials agree up to an epoch, and copying a trained
run folder into another trial's folder so that trial resumes from there."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.layer_plan import frozen_prefix
from ftgui.core.training.run_folder import HISTORY_FILE, RunFolder

# Settings that change nothing a run learns: not part of what two trials must agree on.
NOT_LEARNED = ("out_dir", "tensorboard", "cache_budget_mb")
LINKED_SUFFIXES = (".keras", ".npz")  # written by atomic rename only: safe to hard-link


def prefix_key(config: RunConfig, until: int) -> str:
    """What run epochs [0, `until`) depend on: every run-wide setting that changes what is
    learned and every phase that starts before `until`, in full. Two trials with the same key
    train those epochs to the same numbers."""
    data = config.to_dict()
    for name in NOT_LEARNED:
        data.pop(name, None)
    phases, start = [], 0
    for phase in data["phases"]:
        if start >= until:
            break
        phases.append(phase)
        start += int(phase["epochs"])
    data["phases"] = phases
    return json.dumps(data, sort_keys=True)


def lowest_frozen_level(configs: list[RunConfig]) -> int | None:
    """The lowest frozen prefix (in base layers) any cached phase of any config reads."""
    levels = [
        frozen_prefix(phase.trainable_layers)
        for config in configs
        if config.cache_features
        for phase in config.phases
    ]
    cached = [level for level in levels if level > 0]
    return min(cached) if cached else None


def branch(source: Path, target: RunConfig) -> None:
    """Make `target`'s run folder a copy of `source`'s (a run paused at an epoch), with
    `target`'s own config.json: resuming it continues from that epoch.

    Model and checkpoint files are hard links where the file system allows (they are only
    ever replaced by a rename, never written in place); history.csv, which grows in place,
    and everything else are copied."""
    folder = Path(str(target.out_dir))
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(source, folder, copy_function=_link_or_copy, ignore=_not_copied)
    RunFolder(folder).write_config(target)


def _not_copied(_folder: str, names: list[str]) -> set[str]:
    return {name for name in names if name.startswith(".")}  # a partial atomic write


def _link_or_copy(src: str, dst: str) -> str:
    if src.endswith(LINKED_SUFFIXES) and not src.endswith(HISTORY_FILE):
        try:
            os.link(src, dst)
            return dst
        except OSError:
            pass
    return shutil.copy2(src, dst)
