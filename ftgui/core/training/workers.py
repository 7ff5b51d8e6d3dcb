"""Several workers (TF_CONFIG): what a run changes for them, and joining the cluster."""

from __future__ import annotations

from ftgui.core.errors import UserError
from ftgui.core.events import Listener, Status
from ftgui.core.model.acceleration import WorkerRole
from ftgui.core.settings.config import RunConfig


def join_workers(role: WorkerRole, config: RunConfig, resume: bool, listener: Listener) -> None:
    """Say what several workers change, then join the cluster (before any other TF op)."""
    if resume:
        raise UserError("--resume cannot continue a run over several workers; unset TF_CONFIG.")
    writes = "writes the run folder" if role.chief else "writes only a temporary folder"
    listener(
        Status(
            f"Several workers (TF_CONFIG): this is {role.describe()} and {writes}; the "
            f"frozen-layer cache is off (it cannot run under MultiWorkerMirroredStrategy). "
            f"Waiting for the other workers…"
        )
    )
    config.cache_features = False
    from ftgui.core.model.acceleration import start_multi_worker

    start_multi_worker()
