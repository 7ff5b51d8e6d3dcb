"""GPU options: MirroredStrategy over two logical CPU devices, mixed precision, XLA.

The logical-CPU tests hide any GPU from their run; the XLA run uses a GPU where there is one.
"""

import subprocess
from pathlib import Path

import keras
import pytest
import tensorflow as tf

from ftgui.core.model.acceleration import choose_acceleration
from ftgui.core.settings.config import RunConfig
from ftgui.core.training.run_folder import read_history
from tests.commands import TINY_RUN, ftgui

ON_GPU = bool(tf.config.list_physical_devices("GPU"))


def train(data: Path, out: Path, *flags: str, cpus: int = 1) -> subprocess.CompletedProcess:
    return ftgui("train", "--data", str(data), *TINY_RUN, "--out", str(out), *flags, cpus=cpus)


@pytest.fixture
def cpu_only(monkeypatch) -> None:
    """Runs started by the test see no GPU (as on a machine without one)."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")


@pytest.mark.parametrize(("device", "expected"), [("CPU only", False), ("GPU: NVIDIA H100", True)])
def test_mixed_precision_and_xla_default_to_on_only_with_a_gpu(device, expected):
    try:
        chosen = choose_acceleration(RunConfig(data_dir="d"), device)
        assert (chosen.mixed_precision, chosen.xla) == (expected, expected)
        assert keras.mixed_precision.global_policy().name == (
            "mixed_float16" if expected else "float32"
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.slow
def test_mirrored_strategy_with_mixed_precision_on_two_logical_cpus(
    small_book_dataset, tmp_path, cpu_only
):
    result = train(
        small_book_dataset,
        tmp_path / "run",
        "--distribute",
        "mirrored",
        "--mixed-precision",
        cpus=2,
    )
    assert result.returncode == 0, result.stderr
    assert "CPU only · 2 replicas (MirroredStrategy) · mixed precision" in result.stdout
    assert len(read_history(tmp_path / "run")) == 3
    model = keras.saving.load_model(tmp_path / "run" / "model.keras")
    assert model.get_layer("dense").dtype_policy.name == "mixed_float16"
    assert model.output.dtype == "float32"  # the output layer stays float32


@pytest.mark.slow
def test_xla_compiles_the_training_steps(small_book_dataset, tmp_path):
    result = train(small_book_dataset, tmp_path / "run", "--xla", "--no-cache")
    assert result.returncode == 0, result.stderr
    if ON_GPU:  # mixed precision defaults to on with a GPU
        assert "GPU: " in result.stdout and " · mixed precision · XLA" in result.stdout
    else:
        assert "CPU only · XLA" in result.stdout
    assert len(read_history(tmp_path / "run")) == 3


@pytest.mark.slow
def test_xla_across_logical_cpus_is_refused_in_one_line(small_book_dataset, tmp_path, cpu_only):
    result = train(
        small_book_dataset, tmp_path / "run", "--xla", "--distribute", "mirrored", cpus=2
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ftgui: error: XLA cannot run across several logical CPU devices (a TensorFlow "
        "limitation); drop --xla or --distribute mirrored."
    ]
