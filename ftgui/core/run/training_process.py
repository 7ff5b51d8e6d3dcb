"""Train in a child process, so the window's event loop never waits on TensorFlow.

A thread in the window's process would share the GIL with Keras's Python code: measured here,
that stalled a 10 ms heartbeat by 80 ms at the 99th percentile and 500 ms at worst. The child
loads TensorFlow ahead of time, reports the device, waits for one configuration, sends the
run's plain events back through a pipe, and exits; stop requests cross as an Event. A sweep
is one message too (a `Job`): its trials run one after the other in the same process.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ftgui.core.child_process import CHILD_NICENESS, Failed, Ready, start_child
from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig


@dataclass(frozen=True)
class Finished:
    pass


@dataclass(frozen=True)
class Job:
    """Instead of one configuration, run `function(*args, listener, stop)` in the child: a
    sweep's trials, one after the other. `function` is importable by name and Qt-free; its
    events go back as a run's do, a UserError it raises as a run's."""

    function: Callable[..., None]
    args: tuple[Any, ...] = ()


def serve_training(commands: Any, events: Any, stop: Any) -> None:
    """Child process: load TensorFlow, report the device, run one configuration, exit.

    It runs at a lower CPU priority, so on a machine whose cores training saturates the window
    still gets the CPU at once when it needs it (and needs little).
    """
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)
    try:
        from ftgui.core.model.device import setup_devices

        events.send(Ready(setup_devices()))
        message = commands.recv()  # (a RunConfig as a dict, resume?), a Job, or None to quit
        if message is None:
            return
        if isinstance(message, Job):
            message.function(*message.args, events.send, stop)
            return
        from ftgui.core.run.whole_run import run

        config, resume = message
        run(RunConfig.from_dict(config), events.send, stop, resume)
    except UserError as exc:
        events.send(Failed(str(exc)))
    except BaseException as exc:  # the parent shows it; the child ends either way
        reason = f"Training failed: {type(exc).__name__}: {exc}".splitlines()[0]
        events.send(Failed(reason, traceback.format_exc()))
    finally:
        events.send(Finished())


class TrainingProcess:
    """Parent side of one child: started ahead of Start, used for one run or one sweep."""

    def __init__(self) -> None:
        self.process, self._commands, self._events, self._stop = start_child(
            serve_training, "ftgui-training"
        )

    def start_run(self, config: RunConfig, resume: bool = False) -> None:
        """Run `config`; with `resume`, continue the run in its out_dir from its checkpoint."""
        self._commands.send((config.to_dict(), resume))

    def start_job(self, job: Job) -> None:
        """Run `job` (a sweep) instead of one configuration."""
        self._commands.send(job)

    def request_stop(self) -> None:
        self._stop.set()

    def quit(self) -> None:
        """Tell an idle child to exit (it may already have)."""
        with contextlib.suppress(OSError):
            self._commands.send(None)

    def receive(self, timeout: float) -> object | None:
        """The next message, or None after `timeout` seconds; EOFError once the child is gone."""
        if self._events.poll(timeout):
            return self._events.recv()
        return None

    def exit_code(self) -> int | None:
        self.process.join(timeout=5)
        return self.process.exitcode
