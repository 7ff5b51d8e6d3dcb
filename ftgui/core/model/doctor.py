"""What `python main.py doctor` reports: versions, devices, why no GPU is used, caches, disk.

`gather_facts` looks at the machine; `diagnose` is a pure function of those facts, so the tests
feed it made-up machines. Nothing here imports Qt; TensorFlow only inside `gather_facts`.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

DRIVER_FILE = Path("/proc/driver/nvidia/version")
# Installed by `tensorflow[and-cuda]` (the `gpu` extra); plain `tensorflow` has none of them.
CUDA_PACKAGES = ("nvidia-cudnn-cu12", "nvidia-cublas-cu12", "nvidia-cuda-runtime-cu12")
GPU_EXTRA = "pip install -e '.[gpu]'"
# Lines TensorFlow logs (with TF_CPP_MAX_VLOG_LEVEL=3) naming a CUDA library it could not open.
MISSING_LIBRARY = re.compile(
    r"(?:Could not load dynamic library|Cannot dlopen|Could not find)\W+'?(lib[\w.+-]+\.so[\w.]*)"
)
PROBE = (
    "import tensorflow as tf\nprint('FTGUI_GPUS', len(tf.config.list_physical_devices('GPU')))\n"
)


@dataclass
class Gpu:
    name: str
    memory_mb: int | None = None


@dataclass
class Facts:
    """What the doctor saw; every field has a harmless default so tests set only what matters."""

    system: str = field(default_factory=platform.system)
    versions: dict[str, str | None] = field(default_factory=dict)
    devices: list[str] = field(default_factory=list)
    gpus: list[Gpu] = field(default_factory=list)
    driver: str | None = None  # the NVIDIA driver's version line, None when there is none
    cuda_packages: bool = False  # the nvidia-*-cu12 wheels of `tensorflow[and-cuda]`
    built_with_cuda: bool = True
    missing_library: str | None = None  # named by TensorFlow's log when it could not load one
    hidden_by: str | None = None  # CUDA_VISIBLE_DEVICES when it hides every GPU


def diagnose(facts: Facts) -> str | None:
    """Why TensorFlow uses no GPU although an NVIDIA driver is present, in one sentence with the
    command that fixes it; None when a GPU is used or there is no NVIDIA driver."""
    if facts.gpus or facts.driver is None:
        return None
    if facts.hidden_by is not None:
        return (
            f"CUDA_VISIBLE_DEVICES={facts.hidden_by} hides every GPU from TensorFlow; "
            f"run: unset CUDA_VISIBLE_DEVICES"
        )
    if facts.system != "Linux":
        return (
            f"TensorFlow has no CUDA build for {facts.system}, so it trains on the CPU; "
            f"use Linux or WSL2 and run: {GPU_EXTRA}"
        )
    if not facts.built_with_cuda:
        return f"The installed TensorFlow is a CPU-only build; run: {GPU_EXTRA}"
    if not facts.cuda_packages:
        return (
            f"Plain tensorflow is installed without its CUDA libraries, so it trains on the "
            f"CPU; run: {GPU_EXTRA}"
        )
    if facts.missing_library:
        return (
            f"TensorFlow could not load the CUDA library {facts.missing_library}; run: "
            f"pip install --force-reinstall 'tensorflow[and-cuda]' (or add "
            f"site-packages/nvidia/*/lib to LD_LIBRARY_PATH)"
        )
    return (
        "An NVIDIA driver is present but TensorFlow sees no GPU (an old driver or a card too old "
        "for this TensorFlow?); run: nvidia-smi, and check TensorFlow's log with "
        "TF_CPP_MAX_VLOG_LEVEL=3"
    )


def nvidia_driver() -> str | None:
    """The NVIDIA driver's version line, from /proc or nvidia-smi; None without a driver."""
    try:
        return DRIVER_FILE.read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError):
        pass
    answer = _nvidia_smi("--query-gpu=driver_version", "--format=csv,noheader")
    return f"driver {answer[0]}" if answer else None


def _nvidia_smi(*args: str) -> list[str]:
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        done = subprocess.run(
            ["nvidia-smi", *args], capture_output=True, text=True, timeout=20, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def gpu_memory_mb() -> list[int]:
    """Each GPU's total memory in MB, as nvidia-smi reports it (empty without it)."""
    rows = _nvidia_smi("--query-gpu=memory.total", "--format=csv,noheader,nounits")
    return [int(row) for row in rows if row.isdigit()]


def cuda_packages_installed() -> bool:
    return all(_version(name) is not None for name in CUDA_PACKAGES)


def hidden_by_env() -> str | None:
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    return value if value is not None and value.strip() in ("", "-1") else None


def probe_tensorflow(timeout_s: float = 120) -> tuple[int, str | None]:
    """In a child process with TensorFlow's verbose log on: how many GPUs it sees and the CUDA
    library it could not load, if its log names one."""
    env = {**os.environ, "TF_CPP_MAX_VLOG_LEVEL": "3", "TF_CPP_MIN_LOG_LEVEL": "0"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout_s,
        )
    except (OSError, subprocess.SubprocessError):
        return 0, None
    found = re.search(r"FTGUI_GPUS (\d+)", done.stdout)
    missing = MISSING_LIBRARY.search(done.stderr)
    return (int(found.group(1)) if found else 0), (missing.group(1) if missing else None)


def gpu_diagnosis(gpus_seen: int | None = None) -> str | None:
    """The status bar's one sentence (see `diagnose`), without importing TensorFlow here: with
    `gpus_seen` None a child process counts the GPUs. None quickly when there is no driver."""
    driver = nvidia_driver()
    if driver is None or gpus_seen:
        return None
    missing = None
    if gpus_seen is None:
        gpus_seen, missing = probe_tensorflow()
    facts = Facts(
        gpus=[Gpu("GPU")] * gpus_seen,
        driver=driver,
        cuda_packages=cuda_packages_installed(),
        missing_library=missing,
        hidden_by=hidden_by_env(),
    )
    return diagnose(facts)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def package_versions() -> dict[str, str | None]:
    """Versions by distribution metadata (importing neither Qt nor TensorFlow)."""
    return {
        "Python": platform.python_version(),
        "TensorFlow": _version("tensorflow") or _version("tensorflow-cpu"),
        "Keras": _version("keras"),
        "Qt (PySide6)": _version("PySide6-Essentials") or _version("PySide6"),
        "pyqtgraph": _version("pyqtgraph"),
    }


def gather_facts() -> Facts:
    """Look at this machine: import TensorFlow quietly, list its devices, find the driver."""
    from ftgui.core.model.device import setup_devices

    setup_devices()
    import keras
    import tensorflow as tf

    versions = package_versions()
    versions["Keras"] = f"{keras.__version__} (backend: {keras.backend.backend()})"
    physical = tf.config.list_physical_devices()
    names = [tf.config.experimental.get_device_details(d).get("device_name", d.name)
             for d in physical if d.device_type == "GPU"]  # fmt: skip
    memory = gpu_memory_mb()
    gpus = [Gpu(name, memory[i] if i < len(memory) else None) for i, name in enumerate(names)]
    facts = Facts(
        versions=versions,
        devices=[f"{d.device_type}: {d.name}" for d in physical],
        gpus=gpus,
        driver=nvidia_driver(),
        cuda_packages=cuda_packages_installed(),
        built_with_cuda=tf.test.is_built_with_cuda(),
        hidden_by=hidden_by_env(),
    )
    if facts.driver and not gpus and facts.cuda_packages and facts.system == "Linux":
        facts.missing_library = probe_tensorflow()[1]
    return facts


def qt_platform() -> str:
    """The display platform Qt will use (without starting Qt), and why."""
    chosen = os.environ.get("QT_QPA_PLATFORM")
    if chosen:
        return f"{chosen} (QT_QPA_PLATFORM)"
    if sys.platform == "darwin":
        return "cocoa (macOS default)"
    if sys.platform == "win32":
        return "windows (Windows default)"
    if os.environ.get("WAYLAND_DISPLAY"):
        return "wayland (WAYLAND_DISPLAY is set)"
    if os.environ.get("DISPLAY"):
        return f"xcb (DISPLAY={os.environ['DISPLAY']})"
    return (
        "xcb, but neither DISPLAY nor WAYLAND_DISPLAY is set: the window cannot open here "
        "(QT_QPA_PLATFORM=offscreen runs it without a screen)"
    )


def size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size < 1e9 else f"{size / 1e9:.1f} GB"


def free_space(folder: Path) -> str:
    """Free disk space where `folder` is (or would be created)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return size_text(shutil.disk_usage(probe).free) + " free"
    except OSError as exc:
        return f"unknown ({exc.strerror})"
