"""Where a stopped or killed run continues, worked out from its folder before TensorFlow loads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.checkpoint import Checkpoint
from ftgui.core.training.run_folder import CONFIG_FILE, TEST_METRICS_FILE, RunFolder, read_history

Row = dict[str, float | int | str]


@dataclass
class ResumePoint:
    """The phase to continue, its finished epochs, and the state and history they left."""

    phase: int  # 0-based
    epochs_done: int
    checkpoint: Checkpoint | None  # None: nothing finished yet, the run starts afresh
    rows: list[Row]  # history of every finished epoch before this point, in order

    @property
    def run_epochs_done(self) -> int:
        """Finished epochs of the whole run (positions the shared shuffled stream)."""
        return len(self.rows)

    def rows_of(self, phase: int) -> list[Row]:
        return [row for row in self.rows if int(row["phase"]) == phase + 1]

    def describe(self, config: RunConfig) -> str:
        """What the resumed run does first, e.g. "Continuing phase 2/2 'Fine-tune' from its
        start" when the run stopped in a phase before that phase finished an epoch."""
        if self.checkpoint is None:
            return "Continuing: no epoch had finished, so the run starts from its beginning."
        phase, done, total = self.phase, self.epochs_done, len(config.phases)
        if done >= config.phases[phase].epochs and phase + 1 < total:
            phase, done = phase + 1, 0  # the last checkpoint closed the previous phase
        name, epochs = config.phases[phase].name, config.phases[phase].epochs
        where = f"after epoch {done}/{epochs}" if done else "from its start"
        return (
            f"Continuing phase {phase + 1}/{total} '{name}' {where} "
            f"({self.run_epochs_done} finished epochs kept)."
        )


def load_run_config(folder: str | Path) -> RunConfig:
    """The configuration a run folder was started with, pointed at that folder."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise UserError(f"Run folder {path} does not exist; give the folder a run wrote.")
    if not (path / CONFIG_FILE).exists():
        raise UserError(
            f"{path} is not an ftgui run folder (it has no {CONFIG_FILE}); "
            f"give the folder a run wrote."
        )
    config = RunConfig.load(path / CONFIG_FILE)
    config.out_dir = str(path)
    return config


def plan_resume(folder: RunFolder, config: RunConfig, arrays: bool = True) -> ResumePoint:
    """Check the folder can be resumed and find the point; one-sentence UserError if not.

    Without `arrays` the checkpoint's weights are not read (a quick check for the window).
    """
    checkpoint = Checkpoint.read(folder.path, arrays)
    rows = read_history(folder.path) if folder.history_path.exists() else []
    planned = [phase.epochs for phase in config.phases]
    if (folder.path / TEST_METRICS_FILE).exists() or (
        checkpoint is None and rows and len(rows) >= sum(planned)
    ):
        raise UserError(
            f"The run in {folder.path} already finished every phase; start a new run from its "
            f"settings with --config {folder.path / CONFIG_FILE}."
        )
    if checkpoint is None:
        if rows:
            raise UserError(
                f"{folder.path} has finished epochs but no checkpoint (an ftgui older than "
                f"resuming wrote it); start a new run with --config {folder.path / CONFIG_FILE}."
            )
        return ResumePoint(0, 0, None, [])
    if checkpoint.phase >= len(planned) or checkpoint.epochs_done > planned[checkpoint.phase]:
        raise UserError(
            f"The checkpoint in {folder.path} (phase {checkpoint.phase + 1}, epoch "
            f"{checkpoint.epochs_done}) does not fit its {CONFIG_FILE}; was it edited?"
        )
    last = (checkpoint.phase + 1, checkpoint.epochs_done)  # 1-based, as in history.csv
    kept = [row for row in rows if (int(row["phase"]), int(row["epoch"])) <= last]
    return ResumePoint(checkpoint.phase, checkpoint.epochs_done, checkpoint, kept)
