"""Run a sweep's trials in one process: shared inputs, shared epochs, successive halving.

Each trial is a whole run (`run.whole_run`) in its own folder. Trials advance together from
stopping point to stopping point (the end of each phase, the halving rungs, their end); trials
that agree on everything the epochs up to the next point depend on train them once, in one
trial's folder, which is then copied to the others before each goes its own way (an exact
resume: the numbers are those of a run alone). With halving, at each rung only the best third
by validation loss go on.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from itertools import accumulate
from pathlib import Path

from ftgui.core.errors import UserError
from ftgui.core.events import Listener, Status, TrialEnded, TrialStarted
from ftgui.core.run.shared_inputs import SharedInputs
from ftgui.core.run.whole_run import run
from ftgui.core.settings.config import RunConfig
from ftgui.core.settings.vgg16 import layer_names
from ftgui.core.sweep.branching import branch, lowest_frozen_level, prefix_key
from ftgui.core.sweep.plan import rung_epochs, survivors
from ftgui.core.sweep.record import DONE, FAILED, HALTED, PENDING, SweepRecord, Trial, ranked
from ftgui.core.training.checkpoint import CHECKPOINT_FILE
from ftgui.core.training.resume import plan_resume
from ftgui.core.training.run_folder import RunFolder, read_history


class SweepRun:
    """Runs (or continues) the pending trials of `record` in `folder`."""

    def __init__(
        self,
        folder: Path,
        record: SweepRecord,
        listener: Listener,
        stop: threading.Event | None = None,
    ) -> None:
        self.folder, self.record, self.listener = folder, record, listener
        self.stop = stop or threading.Event()
        self.configs = {t.number: t.run_config(folder) for t in record.trials}
        self.reached = {t.number: self._epochs_kept(t) for t in record.trials}
        rungs = rung_epochs(self._last_phase_epochs(), len(record.trials))
        self.points = {t.number: self._points(t, rungs) for t in record.trials}
        self.rungs = {t.number: self._halving_points(t, rungs) for t in record.trials}
        self._inputs: SharedInputs | None = None  # while `run` runs

    # -- the schedule ----------------------------------------------------------------------
    def _total(self, trial: Trial) -> int:
        return sum(p.epochs for p in self.configs[trial.number].phases)

    def _last_phase_epochs(self) -> int:
        return max(self.configs[t.number].phases[-1].epochs for t in self.record.trials)

    def _points(self, trial: Trial, rungs: list[int]) -> list[int]:
        """Run epochs at which the trial stops to branch or be compared, and its end."""
        return sorted(set(self._phase_ends(trial)) | set(self._halving_points(trial, rungs)))

    def _phase_ends(self, trial: Trial) -> list[int]:
        return [e for e in accumulate(p.epochs for p in self.configs[trial.number].phases) if e]

    def _halving_points(self, trial: Trial, rungs: list[int]) -> list[int]:
        if not self.record.halving:
            return []
        ends = self._phase_ends(trial)
        last_start = self._total(trial) - self.configs[trial.number].phases[-1].epochs
        return sorted(set(ends[:-1]) | {last_start + r for r in rungs if r})

    def _next_point(self, trial: Trial) -> int:
        reached = self.reached[trial.number]
        return min(p for p in self.points[trial.number] if p > reached)

    def _epochs_kept(self, trial: Trial) -> int:
        """Run epochs a trial's folder holds (a resumed sweep continues from there)."""
        if trial.state != PENDING:
            return 0
        folder = RunFolder(self.folder / trial.run)
        if not folder.path.is_dir():
            return 0
        if _finished(folder, self._total(trial)):  # ended before the record said so
            trial.state = DONE
            return self._total(trial)
        try:
            return plan_resume(folder, self.configs[trial.number], arrays=False).run_epochs_done
        except UserError:
            return 0

    # -- running ---------------------------------------------------------------------------
    def run(self) -> None:
        """Advance every pending trial to its end, or until a stop; sweep.json and trials.csv
        are rewritten after every step."""
        inputs = self._inputs = SharedInputs(self.folder / "cache")
        lowest = lowest_frozen_level(list(self.configs.values()))
        inputs.features.lowest_level = lowest
        if lowest:
            self.record.lowest_level = layer_names()[lowest - 1]
            pending = sum(t.state == PENDING for t in self.record.trials)
            self._say(
                f"Frozen-layer outputs at {self.record.lowest_level}: computed once for "
                f"{pending} trials."
            )
        try:
            while not self.stop.is_set() and self._step():
                pass
        finally:
            with contextlib.suppress(OSError, UserError):
                self.record.save(self.folder)
            inputs.close()

    def _step(self) -> bool:
        """Advance the trials whose next stopping point is the nearest; False when none is
        left."""
        active = [t for t in self.record.trials if t.state == PENDING]
        if not active:
            return False
        point = min(self._next_point(t) for t in active)
        movers = [t for t in active if self._next_point(t) == point]
        groups = self._groups(movers, point)
        for group in groups:
            if self.stop.is_set():
                return False
            self._advance_group(group, point)
        if len(groups) > 1 and not self.stop.is_set():
            self._halve([t for t in movers if t.state == PENDING], point)
        return True

    def _groups(self, movers: list[Trial], point: int) -> list[list[Trial]]:
        """Movers that can train the epochs up to `point` once: same epochs done, same key."""
        groups: dict[tuple[int, str], list[Trial]] = {}
        for trial in movers:
            ends_here = point >= self._total(trial)
            key = str(trial.number) if ends_here else prefix_key(self._config(trial), point)
            groups.setdefault((self.reached[trial.number], key), []).append(trial)
        return list(groups.values())

    def _config(self, trial: Trial) -> RunConfig:
        return self.configs[trial.number]

    def _advance_group(self, group: list[Trial], point: int) -> None:
        lead, others = group[0], group[1:]
        started = time.perf_counter()
        if others:
            self._say_shared(group, point)
        if not self._advance(lead, point):
            return
        if others:
            share = (time.perf_counter() - started) / len(group)
            lead.seconds -= share * len(others)  # the lead trained it for all of them
            for trial in others:
                branch(self.folder / lead.run, self._config(trial))
                self.reached[trial.number] = point
                trial.seconds += share
        self.record.save(self.folder)

    def _advance(self, trial: Trial, point: int) -> bool:
        """Train `trial` from where its folder stands to run epoch `point`; False when it failed
        or a stop ended it."""
        config, total = self._config(trial), self._total(trial)
        resume = self.reached[trial.number] > 0
        if not resume:
            folder = Path(str(config.out_dir))
            if folder.exists():  # an earlier start that finished no epoch
                shutil.rmtree(folder)
        trials = len(self.record.trials)
        self.listener(TrialStarted(trial.number, trials, trial.values, str(config.out_dir), point))
        started = time.perf_counter()
        try:
            ended = run(
                config,
                self.listener,
                self.stop,
                resume=resume,
                inputs=self._inputs,
                pause_after=point if point < total else None,
            )
        except UserError as exc:
            return self._failed(trial, str(exc), started)
        except Exception as exc:  # one trial's crash is its failure, not the sweep's
            return self._failed(trial, f"{type(exc).__name__}: {exc}", started)
        finally:
            trial.seconds += time.perf_counter() - started
        finished = point >= total and not ended.stopped  # a stop while scoring: still done
        if finished:
            trial.state = DONE
            self.listener(TrialEnded(trial.number, DONE, trial.seconds))
        if self.stop.is_set():
            self.record.save(self.folder)
            return False
        self.reached[trial.number] = point
        self.record.save(self.folder)
        return True

    def _failed(self, trial: Trial, sentence: str, started: float) -> bool:
        trial.state, trial.error = FAILED, sentence
        self.listener(TrialEnded(trial.number, FAILED, time.perf_counter() - started, sentence))
        self.record.save(self.folder)
        return False

    def _halve(self, reached: list[Trial], point: int) -> None:
        """At a rung, keep the best third by best validation loss so far; halt the others."""
        at_rung = [t for t in reached if point in self.rungs[t.number]]
        if len(at_rung) < 2:
            return
        order = {t.number: i for i, (t, _) in enumerate(ranked(self.record, self.folder))}
        at_rung.sort(key=lambda t: order.get(t.number, len(order)))
        keep = survivors(len(at_rung))
        for trial in at_rung[keep:]:
            trial.state = HALTED
            self.listener(TrialEnded(trial.number, HALTED, trial.seconds))
        kept = ", ".join(str(t.number) for t in at_rung[:keep])
        self._say(f"Halving at run epoch {point}: trial {kept} go on, {len(at_rung) - keep} stop.")
        self.record.save(self.folder)

    # -- messages ----------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.listener(Status(text))

    def _say_shared(self, group: list[Trial], point: int) -> None:
        start = self.reached[group[0].number] + 1
        numbers = ", ".join(str(t.number) for t in group)
        epochs = f"epoch {point}" if start == point else f"epochs {start}–{point}"
        text = (
            f"Trials {numbers} share run {epochs}: trained once in "
            f"{group[0].run}, then copied to the others."
        )
        for trial in group:
            trial.shared.append(text)
        self._say(text)


def _finished(folder: RunFolder, total: int) -> bool:
    """The run in `folder` trained every planned epoch (its checkpoint is gone)."""
    if (folder.path / CHECKPOINT_FILE).exists() or not folder.history_path.exists():
        return False
    try:
        return len(read_history(folder.path)) >= total
    except (OSError, ValueError, UserError):
        return False
