"""The run layer: one run is the app's run, and runs in one process share what stays valid."""

import numpy as np
import pytest

from ftgui.core.data.dataset import find_dataset
from ftgui.core.events import RunEnded, Status
from ftgui.core.run import whole_run
from ftgui.core.run.shared_inputs import SharedInputs
from ftgui.core.settings.config import RunConfig, book_phases
from ftgui.core.training import feature_cache, image_check
from ftgui.core.training.run_folder import read_history
from ftgui.core.training.time_spent import TimeSpent
from tests.commands import ftgui
from tests.images import make_class_folders

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


@pytest.fixture
def counted(monkeypatch):
    """How many image checks decoded a dataset, and how many feature computations ran."""
    counts = {"decodes": 0, "extractions": 0}
    scan, compute = image_check.scan_dataset, feature_cache.compute_features

    def counting_scan(*args, **kwargs):
        counts["decodes"] += 1
        return scan(*args, **kwargs)

    def counting_compute(*args, **kwargs):
        counts["extractions"] += 1
        return compute(*args, **kwargs)

    monkeypatch.setattr(image_check, "scan_dataset", counting_scan)
    monkeypatch.setattr(feature_cache, "compute_features", counting_compute)
    return counts


def _config(data, out, **changes) -> RunConfig:
    config = RunConfig(
        data_dir=str(data), out_dir=str(out), weights="none", image_size=32, batch_size=8, seed=7
    )
    config.phases[0].epochs, config.phases[0].learning_rate = 1, 1e-3
    config.phases[1].epochs, config.phases[1].learning_rate = 1, 1e-4
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def _check(inputs, config):
    dataset = find_dataset(config.data_dir, config.validation_split, config.seed)
    key, report = inputs.checked(config, dataset, lambda event: None, TimeSpent())
    return key, report, dataset


def test_an_image_check_is_reused_until_a_file_the_image_size_or_the_split_changes(
    book_dataset, tmp_path, counted
):
    inputs = SharedInputs(tmp_path / "shared")
    try:
        config = _config(book_dataset, tmp_path / "unused")
        key, report, dataset = _check(inputs, config)
        again_key, again, again_dataset = _check(inputs, config)
        assert counted["decodes"] == 1 and again_key == key and again.pixels is report.pixels
        assert again_dataset.train == dataset.train and again_dataset.test == dataset.test

        _check(inputs, _config(book_dataset, tmp_path / "unused", seed=8))
        assert counted["decodes"] == 1  # the book layout's files do not depend on the seed

        assert dataset.train.files[2].endswith("img_002.jpg")
        third = report.pixels.array[2].copy()
        changed = book_dataset / "train" / "cats" / "img_000.jpg"
        changed.write_bytes((book_dataset / "train" / "cats" / "img_002.jpg").read_bytes())
        _, changed_report, _ = _check(inputs, config)
        assert counted["decodes"] == 2 and len(report.pixels.array) == 0  # the old ones freed
        np.testing.assert_array_equal(changed_report.pixels.array[0], third)

        _check(inputs, _config(book_dataset, tmp_path / "unused", image_size=40))
        assert counted["decodes"] == 3

        folders = make_class_folders(tmp_path / "flat", ("a", "b"), 10)
        _check(inputs, _config(folders, tmp_path / "unused"))
        _check(inputs, _config(folders, tmp_path / "unused", seed=8))  # another split
        assert counted["decodes"] == 5
    finally:
        inputs.close()
    assert not (tmp_path / "shared").exists()


@pytest.mark.slow
def test_frozen_outputs_are_reused_only_for_the_same_images_weights_and_copies(
    small_book_dataset, tmp_path, counted
):
    from ftgui.core.data.pipeline import make_dataset
    from ftgui.core.model.build import build_model
    from ftgui.core.training.feature_cache import CacheSettings, FeatureCache
    from ftgui.core.training.feature_sets import FeatureSources
    from ftgui.core.training.feature_shelf import FeatureShelf

    dataset = find_dataset(small_book_dataset)
    train = make_dataset(dataset.train, 32, 64, True)
    validation = make_dataset(dataset.validation, 32, 64, True)
    sources = FeatureSources(
        lambda _: train, validation, len(dataset.train), len(dataset.validation)
    )
    shelf = FeatureShelf(tmp_path / "features")
    model = build_model(2, 32, "none", augment=True, seed=3)

    def features(model, images="images A", copies=0, seed=3):
        settings = CacheSettings(True, 32, 8, None, tmp_path, copies > 0, copies, seed, images)
        cache = FeatureCache(book_phases(), settings, shelf=shelf)
        found = cache.features_for(0, model, sources, lambda text: None, lambda: False)
        shelf.run_ended()
        return found

    first = features(model)
    computed = counted["extractions"]
    assert features(model) is first and counted["extractions"] == computed
    other_weights = build_model(2, 32, "none", augment=True, seed=4)
    assert not np.allclose(features(other_weights).validation, first.validation)
    for changed in ({"images": "images B"}, {"copies": 2}):
        before = counted["extractions"]
        features(model, **changed)
        assert counted["extractions"] > before, changed
    two = features(model, copies=2)
    before = counted["extractions"]
    assert not np.allclose(features(model, copies=2, seed=5).train, two.train)
    assert counted["extractions"] > before
    shelf.release()


@pytest.mark.slow
def test_a_second_run_reuses_the_first_ones_inputs_and_trains_as_a_fresh_process_does(
    small_book_dataset, tmp_path, counted
):
    inputs = SharedInputs(tmp_path / "shared")
    statuses: list[str] = []

    def listener(event):
        if isinstance(event, Status):
            statuses.append(event.text)

    try:
        first = whole_run.run(_config(small_book_dataset, tmp_path / "first"), listener)
        alone = dict(counted)  # without shared inputs a run decodes and computes its own
        assert alone["decodes"] == 1 and alone["extractions"] > 0
        whole_run.run(_config(small_book_dataset, tmp_path / "a"), listener, inputs=inputs)
        computed = dict(counted)
        assert computed == {key: 2 * value for key, value in alone.items()}
        statuses.clear()
        ended = whole_run.run(_config(small_book_dataset, tmp_path / "b"), listener, inputs=inputs)
    finally:
        inputs.close()
    assert counted == computed  # nothing decoded or computed again
    assert any(text.endswith("(decoded before: reused)") for text in statuses)
    assert any(text.endswith("(computed before: reused)") for text in statuses)
    assert isinstance(ended, RunEnded) and not ended.stopped and first.test_metrics
    assert ended.test_metrics == pytest.approx(first.test_metrics, abs=1e-6)
    assert (tmp_path / "b" / "evaluation").is_dir()  # scored, as the app's runs are

    fresh = ftgui("train", "--config", str(tmp_path / "b" / "config.json"), "--out",
                  str(tmp_path / "fresh"))  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    rows = {name: read_history(tmp_path / name) for name in ("first", "b", "fresh")}
    assert len(rows["b"]) == len(rows["fresh"]) == 2
    for other in ("first", "fresh"):
        for mine, theirs in zip(rows["b"], rows[other], strict=True):
            for metric in METRICS:
                assert float(mine[metric]) == pytest.approx(float(theirs[metric]), abs=1e-6)
