"""Load TensorFlow without its start-up chatter, set up the devices it sees, and name them."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

CPU_ONLY = "CPU only"  # what the status bar says when TensorFlow sees no GPU


@contextlib.contextmanager
def _native_stderr_to_file() -> Iterator[None]:
    """Send C++ log lines (oneDNN, CUDA probing) printed on fd 2 to a temporary file."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters): nothing to hide
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _split_cpu(tf: Any, count: int) -> None:
    """Expose the CPU as `count` logical devices ($FTGUI_CPU_DEVICES) to try distribution."""
    if count > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        with contextlib.suppress(RuntimeError):  # devices already initialised in this process
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration()] * count
            )


def import_in_background() -> Callable[[], None]:
    """Start importing TensorFlow and Keras, quietly, on another thread (their import is mostly
    one core's work: the image check decodes on the others meanwhile). Returns `wait`, which
    returns once that import has ended; call it before printing to stderr or using TensorFlow.
    A failed import is left for `setup_devices` to raise on the caller's thread."""
    if "keras" in sys.modules:
        return lambda: None

    def load() -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with contextlib.suppress(Exception), _native_stderr_to_file():
            import keras  # noqa: F401

    thread = threading.Thread(target=load, name="ftgui-import", daemon=True)
    thread.start()
    return thread.join


def setup_devices() -> str:
    """Import TensorFlow quietly, turn on GPU memory growth, return "GPU: <name>" or "CPU only"."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _native_stderr_to_file():
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        _split_cpu(tf, int(os.environ.get("FTGUI_CPU_DEVICES", "1") or 1))
    names = []
    for gpu in gpus:
        with contextlib.suppress(RuntimeError):  # already initialised earlier in this process
            tf.config.experimental.set_memory_growth(gpu, True)
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return "GPU: " + ", ".join(names) if names else CPU_ONLY


def gpu_memory() -> tuple[str, int, int] | None:
    """(device, bytes in use, peak bytes) of the first GPU TensorFlow uses; None without one."""
    import tensorflow as tf

    if not tf.config.list_logical_devices("GPU"):
        return None
    info = tf.config.experimental.get_memory_info("GPU:0")
    return "GPU:0", int(info["current"]), int(info["peak"])
