"""Shared test set-up: offscreen Qt, private ftgui and Keras homes, tiny image datasets."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.images import make_book_dataset, make_class_folders


@pytest.fixture(autouse=True, scope="session")
def private_homes(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the sample dataset, runs and the Keras cache out of the user's home."""
    home = tmp_path_factory.mktemp("home")
    os.environ["FTGUI_HOME"] = str(home / "ftgui")
    os.environ["FTGUI_RUNS_DIR"] = str(home / "runs")
    os.environ["KERAS_HOME"] = str(home / "keras")
    # the window's own settings (recent files, geometry) follow FTGUI_HOME: not the user's


@pytest.fixture
def book_dataset(tmp_path: Path) -> Path:
    """Two classes in train/validation/test, 32 px images."""
    return make_book_dataset(tmp_path / "data", classes=("cats", "dogs"), per_split=(12, 6, 6))


@pytest.fixture
def small_book_dataset(tmp_path: Path) -> Path:
    """Two classes, 8 / 4 / 4 images: every split is whole batches of 8, so each step function
    traces once (a ragged last batch traces it again) and a tiny run costs a third less."""
    return make_book_dataset(tmp_path / "small", classes=("cats", "dogs"), per_split=(8, 4, 4))


@pytest.fixture
def folder_dataset(tmp_path: Path) -> Path:
    """Three classes directly under the folder (split by --validation-split)."""
    return make_class_folders(tmp_path / "flat", classes=("a", "b", "c"), per_class=10)


@pytest.fixture
def window(qtbot):
    """The main window with default settings, shown (`tests/gui_window.py`); a module whose
    tests need another set-up defines its own `window`."""
    from tests.gui_window import main_window

    yield from main_window(qtbot)


@pytest.fixture(scope="session")
def cats_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 1 + 1 epoch run at 32 px with random weights on 8 / 4 / 0 cats and dogs (a
    sigmoid head), trained once for every test that only reads it; its dataset is `RUN/../data`."""
    from ftgui.core.run.whole_run import run
    from ftgui.core.settings.config import RunConfig

    root = tmp_path_factory.mktemp("cats_run")
    data = make_book_dataset(root / "data", ("cats", "dogs"), (8, 4, 0))
    config = RunConfig(
        data_dir=str(data), out_dir=str(root / "run"), weights="none", image_size=32, batch_size=8,
        seed=5,
    )  # fmt: skip
    config.phases[0].epochs, config.phases[0].learning_rate = 1, 1e-3
    config.phases[1].epochs = 1
    run(config, lambda event: None)
    return root / "run"
