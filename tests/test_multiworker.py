"""Two `python main.py train` workers on this machine, joined by TF_CONFIG (MultiWorkerMirrored)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ftgui.core.model.acceleration import WorkerRole, worker_role
from ftgui.core.training.health_file import HEALTH_FILE
from ftgui.core.training.phase_fit import NOT_MEASURED
from ftgui.core.training.run_folder import read_history
from tests.commands import ROOT

RUN = ("--weights", "none", "--image-size", "32", "--batch-size", "8")
DIGEST = re.compile(r"Final weights digest: (\w+)")


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start_workers(
    data: Path, tmp: Path, *flags: str, peer_timeout: int | None = None
) -> list[subprocess.Popen]:
    """One `train` process per worker, each with its own --out and log files; `peer_timeout`:
    seconds a worker waits for a silent peer (FTGUI_WORKER_PEER_TIMEOUT_S; default 10)."""
    hosts = [f"127.0.0.1:{port}" for port in free_ports(2)]
    workers = []
    for index in range(2):
        config = {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(config), "FTGUI_CPU_DEVICES": "1"}
        if peer_timeout is not None:
            env["FTGUI_WORKER_PEER_TIMEOUT_S"] = str(peer_timeout)
        args = ["train", "--data", str(data), *RUN, *flags, "--out", str(tmp / f"out{index}")]
        workers.append(
            subprocess.Popen(
                [sys.executable, str(ROOT / "main.py"), *args],
                stdout=open(tmp / f"stdout{index}", "w"),  # noqa: SIM115 (closed with the process)
                stderr=open(tmp / f"stderr{index}", "w"),  # noqa: SIM115
                cwd=ROOT,
                env=env,
            )
        )
    return workers


def stop_all(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
        worker.wait()


def logs(tmp: Path, index: int) -> tuple[str, str]:
    return (tmp / f"stdout{index}").read_text(), (tmp / f"stderr{index}").read_text()


def test_worker_role_from_tf_config():
    hosts = ["a:1", "b:2", "c:3"]
    config = {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": 2}}
    assert worker_role(json.dumps(config)) == WorkerRole(2, 3)
    assert worker_role(json.dumps({**config, "task": {"type": "worker", "index": 0}})).chief
    assert worker_role("") is None
    assert worker_role('{"cluster": {}}') is None


def test_the_peer_timeout_can_be_set_by_the_environment():
    code = "from ftgui.core.model import acceleration as a; print(a.HEALTH_CHECK_SETTINGS)"
    for env, expected in (({"FTGUI_WORKER_PEER_TIMEOUT_S": "3"}, 3), ({}, 10)):
        clean = {k: v for k, v in os.environ.items() if k != "FTGUI_WORKER_PEER_TIMEOUT_S"}
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
            env={**clean, **env},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert f"'_check_health_timeout': {expected}," in result.stdout


@pytest.mark.slow
def test_two_workers_train_in_sync_and_only_the_chief_keeps_a_run_folder(
    small_book_dataset, tmp_path
):
    workers = start_workers(
        small_book_dataset, tmp_path, "--epochs-head", "1", "--epochs-finetune", "1"
    )
    try:
        codes = [worker.wait(timeout=240) for worker in workers]
    finally:
        stop_all(workers)
    (out0, err0), (out1, err1) = logs(tmp_path, 0), logs(tmp_path, 1)
    assert codes == [0, 0], err0[-2000:] + err1[-2000:]
    assert "worker 1 of 2 (chief) and writes the run folder" in out0
    assert "frozen-layer cache is off" in out1
    assert len(read_history(tmp_path / "out0")) == 2
    assert (tmp_path / "out0" / "model.keras").exists()
    assert f"{NOT_MEASURED}: a step runs on several replicas." in out0  # said once a phase
    assert not (tmp_path / "out0" / HEALTH_FILE).exists()
    assert not (tmp_path / "out1").exists()  # the other worker's temporary folder is gone
    scratch = re.search(r"temporary folder (\S+) is removed", out1)
    assert scratch and not Path(scratch.group(1)).exists()
    digests = [DIGEST.search(out0), DIGEST.search(out1)]
    assert all(digests) and digests[0].group(1) == digests[1].group(1)  # equal final weights


@pytest.mark.slow
def test_a_worker_that_dies_makes_the_other_exit_with_one_sentence(small_book_dataset, tmp_path):
    workers = start_workers(
        small_book_dataset,
        tmp_path,
        "--epochs-head",
        "200",
        "--epochs-finetune",
        "1",
        peer_timeout=3,  # a dead peer is noticed without waiting the default 10 s
    )
    try:
        deadline = time.monotonic() + 180
        while "epoch 1/200" not in logs(tmp_path, 0)[0]:
            assert time.monotonic() < deadline and workers[0].poll() is None, logs(tmp_path, 0)
            time.sleep(0.5)
        workers[1].kill()
        killed = time.monotonic()
        code = workers[0].wait(timeout=120)
        waited = time.monotonic() - killed
    finally:
        stop_all(workers)
    stderr = logs(tmp_path, 0)[1]
    assert code == 2, stderr[-2000:]
    assert "ftgui: error: Another worker of the TF_CONFIG cluster stopped answering" in stderr
    assert waited < 90
