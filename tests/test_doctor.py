"""`python main.py doctor`: the GPU diagnosis on made-up machines, and the real report here."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ftgui.core.model import doctor
from ftgui.core.model.doctor import MISSING_LIBRARY, Facts, Gpu, diagnose
from tests.commands import ROOT

DRIVER = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15"


def test_no_driver_means_no_diagnosis():
    assert diagnose(Facts(system="Linux", driver=None)) is None


def test_a_gpu_in_use_means_no_diagnosis():
    assert diagnose(Facts(system="Linux", driver=DRIVER, gpus=[Gpu("NVIDIA H200")])) is None


def test_driver_with_plain_tensorflow_asks_for_the_gpu_extra():
    text = diagnose(Facts(system="Linux", driver=DRIVER, cuda_packages=False))
    assert text is not None and "Plain tensorflow" in text
    assert text.endswith("run: pip install -e '.[gpu]'")


def test_driver_with_a_missing_cuda_library_names_it():
    facts = Facts(
        system="Linux", driver=DRIVER, cuda_packages=True, missing_library="libcudnn.so.9"
    )
    text = diagnose(facts)
    assert text is not None and "could not load the CUDA library libcudnn.so.9" in text
    assert "pip install --force-reinstall 'tensorflow[and-cuda]'" in text


def test_hidden_gpus_and_other_systems_are_named():
    hidden = diagnose(Facts(system="Linux", driver=DRIVER, cuda_packages=True, hidden_by="-1"))
    assert hidden is not None and "CUDA_VISIBLE_DEVICES=-1" in hidden
    windows = diagnose(Facts(system="Windows", driver=DRIVER))
    assert windows is not None and "no CUDA build for Windows" in windows and "WSL2" in windows


@pytest.mark.parametrize(
    ("line", "library"),
    [
        ("Could not load dynamic library 'libcudnn.so.9'; dlerror: x", "libcudnn.so.9"),
        ("Cannot dlopen 'libcublasLt.so.12': not found", "libcublasLt.so.12"),
        ("Could not find cuda drivers on your machine, GPU will not be used.", None),
    ],
)  # fmt: skip
def test_missing_library_is_read_from_tensorflows_log(line, library):
    found = MISSING_LIBRARY.search(line)
    assert (found.group(1) if found else None) == library


def test_gpu_diagnosis_is_none_without_a_driver(monkeypatch):
    monkeypatch.setattr(doctor, "nvidia_driver", lambda: None)
    assert doctor.gpu_diagnosis() is None


def test_gpu_diagnosis_with_a_driver_and_plain_tensorflow(monkeypatch):
    monkeypatch.setattr(doctor, "nvidia_driver", lambda: DRIVER)
    monkeypatch.setattr(doctor, "cuda_packages_installed", lambda: False)
    monkeypatch.setattr(doctor.platform, "system", lambda: "Linux")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert "pip install -e '.[gpu]'" in str(doctor.gpu_diagnosis(gpus_seen=0))


@pytest.fixture(scope="module")
def doctor_run() -> subprocess.CompletedProcess:
    """`doctor` through the app's `main()` in one fresh process, read by the tests of its
    report and of what it imported: the last stderr line lists the Qt modules it loaded."""
    code = (
        "import sys\nfrom ftgui.app import main\ncode = main(['doctor'])\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph')))\n"
        "print('Qt modules loaded:', qt, file=sys.stderr)\nsys.exit(code)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "FTGUI_CPU_DEVICES": "1"},
        timeout=600,
    )


@pytest.mark.slow
def test_doctor_reports_this_machine_and_exits_0(doctor_run):
    result = doctor_run
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    labels = ("Python:", "TensorFlow:", "Keras:", "(backend: tensorflow)", "Qt (PySide6):",
              "pyqtgraph:", "Devices TensorFlow sees: CPU", "NVIDIA driver:", "ImageNet weights:",
              "Runs folder:", "Disk:", "Qt display platform: offscreen")  # fmt: skip
    for label in labels:
        assert label in out, out
    if doctor.nvidia_driver() is None:
        assert "NVIDIA driver: none found" in out and "Why no GPU" not in out


@pytest.mark.slow
def test_doctor_loads_no_qt(doctor_run):
    assert doctor_run.returncode == 0, doctor_run.stderr[-2000:]
    assert doctor_run.stderr.splitlines()[-1] == "Qt modules loaded: []"


@pytest.mark.slow
def test_gpu_benchmark_runs_tiny_and_names_its_device():
    script = ROOT / "benchmarks" / "gpu_throughput.py"
    result = subprocess.run(
        [sys.executable, str(script), "--tiny", "--once"],  # the script runs; figures: by hand
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Device: " in result.stdout
    assert result.stdout.count("images/s") == 1
    rate = float(result.stdout.split("images/s")[0].split()[-1])
    assert rate > 0


def test_the_status_bar_names_an_unused_gpu_in_one_line(qtbot, monkeypatch):
    from ftgui.core.child_process import Ready
    from ftgui.gui.train import status_bar

    sentence = "An NVIDIA driver is installed but TensorFlow sees no GPU: …"
    monkeypatch.setattr(status_bar, "gpu_diagnosis", lambda gpus_seen: sentence)
    bar = status_bar.RunStatusBar()
    qtbot.addWidget(bar)
    bar.handle(Ready("CPU only"))
    qtbot.waitUntil(lambda: bar.gpu_label.isVisibleTo(bar), timeout=5000)
    assert bar.gpu_label.toolTip() == sentence and "doctor" in bar.gpu_label.text()
    monkeypatch.setattr(status_bar, "gpu_diagnosis", lambda gpus_seen: None)
    quiet = status_bar.RunStatusBar()
    qtbot.addWidget(quiet)
    quiet.handle(Ready("CPU only"))
    qtbot.wait(300)
    assert not quiet.gpu_label.isVisibleTo(quiet)  # no driver: nothing to say


def test_the_status_bar_shows_gpu_memory_while_training_on_a_gpu(qtbot):
    from ftgui.core.events import DeviceMemory
    from ftgui.gui.train.status_bar import RunStatusBar

    bar = RunStatusBar()
    qtbot.addWidget(bar)
    assert not bar.memory_label.isVisibleTo(bar)
    bar.handle(DeviceMemory("GPU:0", 3 * 2**29, 2**31))
    assert bar.memory_label.text() == "GPU:0: 1.5 GiB in use (peak 2.0)"
    assert bar.memory_label.isVisibleTo(bar)


@pytest.mark.slow  # imports TensorFlow
def test_gpu_memory_is_read_only_where_tensorflow_uses_a_gpu():
    import tensorflow as tf

    from ftgui.core.model.device import gpu_memory

    found = gpu_memory()
    if tf.config.list_logical_devices("GPU"):
        assert found is not None and found[1] >= 0 and found[2] >= found[1]
    else:
        assert found is None


def test_the_window_says_it_trains_on_this_machine_only_and_hides_tf_config(monkeypatch, capsys):
    import os

    from ftgui.gui.launch import leave_cluster

    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1"]}}')
    assert leave_cluster()
    assert "TF_CONFIG" not in os.environ  # the training process it starts will not see it
    assert "trains on this machine only" in capsys.readouterr().err
    assert not leave_cluster()
