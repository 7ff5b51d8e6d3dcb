"""The learning-rate finder of one phase: the phases before it trained as configured (the
phase's starting state), then the range test (`training/lr_range.py`) on what the phase's
`fit` would read: the cached frozen-layer outputs whenever the phase can use them.

Everything it trains lives in a temporary folder removed afterwards; no run folder is written
or touched (`config.out_dir` is ignored).
"""

from __future__ import annotations

import copy
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ftgui.core.data.sample import resolve_dataset
from ftgui.core.errors import UserError
from ftgui.core.events import Listener, Status
from ftgui.core.run.shared_inputs import SharedInputs
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.lr_range import MAX_STEPS, LrCurve, range_test
from ftgui.core.training.runner import PhaseRunner


@dataclass(frozen=True)
class LrFinding:
    """A finished range test of phase `phase` (0-based)."""

    phase: int
    phase_name: str
    learning_rate: float  # the phase's configured rate
    curve: LrCurve
    suggestions: dict[str, float]  # valley, minimum/10, steepest
    seconds: float  # the range test itself
    on_cached_outputs: bool


def check_phase(config: RunConfig, phase: int) -> None:
    """Refuse a phase number (1-based) the configuration does not have, in one sentence."""
    count = len(config.phases)
    if not 1 <= phase <= count:
        raise UserError(
            f"--phase {phase} is not a phase of this configuration: it has {count} "
            f"(choose 1–{count})."
        )


def find_learning_rate(
    config: RunConfig,
    phase: int,
    listener: Listener,
    stop: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LrFinding | None:
    """Run the finder for phase `phase` (1-based); None when `stop` ended it first.
    `progress(step, MAX_STEPS)` follows the range test's steps."""
    check_phase(config, phase)
    config = copy.deepcopy(config)
    config.validate()
    stop = stop or threading.Event()
    with tempfile.TemporaryDirectory(prefix="ftgui-lr-find-") as scratch:
        config.out_dir, config.tensorboard = str(Path(scratch) / "run"), False
        runner = PhaseRunner(config, listener, stop)
        runner.pause_after = sum(p.epochs for p in config.phases[: phase - 1])
        inputs = SharedInputs(Path(scratch) / "cache", between_runs=False)
        try:
            runner.open_folder()
            dataset = resolve_dataset(config)
            key, report = inputs.checked(config, dataset, listener, runner.time)
            runner.prepare(dataset, report, inputs.features, key)
            if phase > 1:
                listener(Status(f"Training phases 1–{phase - 1}: phase {phase} starts from them"))
            runner.train_phases()  # pauses before the phase
            phase_inputs = None if stop.is_set() else runner.inputs_for(phase - 1)
            if phase_inputs is None:
                return None
            name = config.phases[phase - 1].name
            listener(Status(f"Range test of phase {phase} '{name}': up to {MAX_STEPS} steps…"))
            started = time.perf_counter()
            steps = None if progress is None else lambda done: progress(done, MAX_STEPS)
            curve = range_test(phase_inputs.model, phase_inputs.train, stop.is_set, steps)
            seconds = time.perf_counter() - started
        finally:
            runner.close()
            inputs.close()
    if stop.is_set() and len(curve.lrs) < MAX_STEPS:
        return None
    return LrFinding(
        phase - 1,
        name,
        config.phases[phase - 1].learning_rate,
        curve,
        curve.suggestions(),
        seconds,
        phase_inputs.model is not runner.model,
    )
