"""The child processes' plumbing, shared by training and analysis: spawn one, its first
message (Ready) and its one-sentence failure (Failed)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CHILD_NICENESS = 5


@dataclass(frozen=True)
class Ready:
    device: str


@dataclass(frozen=True)
class Failed:
    reason: str
    details: str = ""


def start_child(target: Callable[[Any, Any, Any], None], name: str) -> tuple[Any, Any, Any, Any]:
    """Spawn `target(commands, replies, stop)` as a daemon child process.

    Returns (process, the end to send commands on, the end to receive replies on, the stop
    Event). Spawned, never forked: the parent may be running Qt.
    """
    context = multiprocessing.get_context("spawn")
    commands_in, commands = context.Pipe(duplex=False)
    replies, replies_out = context.Pipe(duplex=False)
    stop = context.Event()
    process = context.Process(
        target=target, args=(commands_in, replies_out, stop), name=name, daemon=True
    )
    process.start()
    commands_in.close()  # the child holds these ends now
    replies_out.close()
    return process, commands, replies, stop
