"""Frozen-prefix reuse: which layers are cached, and that caching changes no number."""

import json
import shutil
from pathlib import Path

import pytest

from ftgui.core.analysis.evaluation_files import EVALUATION_DIR
from ftgui.core.events import RunEnded, Status
from ftgui.core.model.build import HEAD_LAYER_NAMES
from ftgui.core.run.whole_run import run
from ftgui.core.settings.config import PhaseConfig, RunConfig, book_phases
from ftgui.core.settings.layer_plan import head_layers
from ftgui.core.settings.vgg16 import layer_names
from ftgui.core.training.feature_cache import (
    frozen_prefix,
    frozen_prefixes,
    group_starts,
    root_levels,
)
from ftgui.core.training.run_folder import read_history
from tests.images import make_book_dataset


def test_frozen_prefix_counts_the_frozen_layers_below_the_first_trainable_one():
    head, finetune = book_phases()
    assert frozen_prefix(head.trainable_layers) == 18
    assert frozen_prefix(finetune.trainable_layers) == 14  # block1_conv1 … block4_pool
    assert frozen_prefix(["block1_conv1", "block5_conv3"]) == 0


def test_consecutive_phases_share_the_lowest_common_frozen_level():
    phases = [
        PhaseConfig("head", 1, 1e-3),
        PhaseConfig("block5", 1, 1e-4, trainable_layers=list(layer_names()[14:])),
        PhaseConfig("block4+5", 1, 1e-4, trainable_layers=list(layer_names()[10:])),
        PhaseConfig("everything", 1, 1e-5, trainable_layers=list(layer_names())),
        PhaseConfig("head again", 1, 1e-5),
    ]
    prefixes = frozen_prefixes(phases, enabled=True)
    assert prefixes == [18, 14, 10, 0, 18]
    assert root_levels(prefixes) == [10, 10, 10, 0, 18]
    assert group_starts(root_levels(prefixes)) == {0, 4}
    assert root_levels(frozen_prefixes(phases, enabled=False)) == [0, 0, 0, 0, 0]


def test_the_tail_model_uses_the_head_layers_the_layer_plan_shows():
    assert tuple(layer.name for layer in head_layers(32, 2)) == HEAD_LAYER_NAMES


def _config(data, out, **changes) -> RunConfig:
    config = RunConfig(
        data_dir=str(data),
        out_dir=str(out),
        weights="none",
        image_size=32,
        batch_size=8,
        seed=21,
        dropout=0.0,
    )
    config.phases[0].epochs, config.phases[0].learning_rate = 2, 1e-3
    config.phases[1].epochs, config.phases[1].learning_rate = 2, 1e-4
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def _losses(folder):
    return [(r["loss"], r["val_loss"], r["accuracy"]) for r in read_history(folder)]


@pytest.fixture(scope="module")
def module_dataset(tmp_path_factory):
    """8 / 4 / 4 images, read (never changed) by the runs compared with `uncached_losses`."""
    root = tmp_path_factory.mktemp("feature_cache")
    return make_book_dataset(root / "data", classes=("cats", "dogs"), per_split=(8, 4, 4))


def _run_emptying_files(data: Path, out: Path, statuses: list[str], **changes) -> RunEnded:
    """A run on a copy of `data` whose image files are all emptied as soon as the image check
    has decoded them (a decode after that would fail): every phase, the test split and the
    scoring after the run must read the decoded pixels."""
    copy = shutil.copytree(data, out.parent / f"{out.name}-data")

    def listener(event: object) -> None:
        if isinstance(event, Status):
            statuses.append(event.text)
            if " decoded once at 32×32" in event.text:
                for path in copy.rglob("img_*"):
                    path.write_bytes(b"")

    ended = run(_config(copy, out, **changes), listener)
    assert not any(path.stat().st_size for path in copy.rglob("img_*"))
    assert not ended.stopped and not (out / "cache").exists()
    scores = json.loads((out / EVALUATION_DIR / "final-test.json").read_text())
    assert scores["skipped"] == [] and sum(scores["confusion"][0]) == 4
    return ended


@pytest.fixture(scope="module")
def uncached(module_dataset, tmp_path_factory) -> tuple[Path, RunEnded]:
    """One uncached run (its files emptied after the check), trained once for every test that
    compares with it: its folder and its RunEnded."""
    out = tmp_path_factory.mktemp("uncached") / "run"
    return out, _run_emptying_files(module_dataset, out, [], cache_features=False)


@pytest.fixture(scope="module")
def uncached_losses(uncached):
    return _losses(uncached[0])


@pytest.mark.slow
def test_cached_phases_give_the_same_losses_as_uncached_ones_and_neither_reads_an_image_file(
    module_dataset, tmp_path, uncached, uncached_losses
):
    """Both runs read no image file after the image check (once `test_pixels`' own pair of
    runs), and caching changes no number."""
    statuses: list[str] = []
    ended = _run_emptying_files(module_dataset, tmp_path / "cached", statuses)
    cached = _losses(tmp_path / "cached")
    assert len(cached) == len(uncached_losses) == 4
    for mine, theirs in zip(cached, uncached_losses, strict=True):
        assert mine == pytest.approx(theirs, rel=1e-5)
    assert ended.test_metrics == pytest.approx(uncached[1].test_metrics, rel=1e-5)
    described = [s for s in statuses if "computed once" in s]
    assert described[0].startswith("block4_pool outputs of 16 + 8 images computed once")
    assert described[0].endswith("in RAM")
    assert any(s.startswith("block5_pool outputs") for s in described)  # derived for phase 1


@pytest.mark.slow
def test_a_cache_over_budget_goes_to_disk_and_is_removed_afterwards(
    module_dataset, tmp_path, uncached_losses
):
    statuses = []
    out = tmp_path / "disk"
    run(
        _config(module_dataset, out, cache_budget_mb=0),
        lambda e: statuses.append(e.text) if isinstance(e, Status) else None,
    )
    assert any(f"on disk in {out / 'cache'}" in s for s in statuses)
    assert not (out / "cache").exists()
    for mine, theirs in zip(_losses(out), uncached_losses, strict=True):
        assert mine == pytest.approx(theirs, rel=1e-5)


@pytest.mark.slow
def test_augmenting_every_epoch_decodes_once_and_caches_the_validation(
    small_book_dataset, tmp_path
):
    """Validation images are never augmented: their frozen outputs are computed once; the
    training images are decoded once and augmented every epoch; the run's numbers equal a run
    that reads and recomputes everything every epoch."""
    from ftgui.core.events import EpochEnded

    data = shutil.copytree(small_book_dataset, tmp_path / "copy")
    statuses = []

    def listener(event):
        if isinstance(event, Status):
            statuses.append(event.text)
        if isinstance(event, EpochEnded) and (event.phase, event.epoch) == (0, 0):
            shutil.rmtree(data / "train")  # later epochs never read the training files again

    cached = _config(data, tmp_path / "aug", augment=True, dropout=0.5)
    run(cached, listener)
    described = [s for s in statuses if "computed once" in s]
    assert described[0].startswith(
        "block4_pool outputs of the 8 validation images (never augmented) computed once: "
    )
    assert described[0].endswith("; the 16 training images augmented every epoch")
    assert "32 images decoded once at 32×32: 96.0 KB in RAM" in statuses  # in the image check
    plain = _config(small_book_dataset, tmp_path / "plain", augment=True, dropout=0.5)  # no cache
    plain.cache_features = False
    run(plain, lambda e: None)
    mine, theirs = read_history(tmp_path / "aug"), read_history(tmp_path / "plain")
    assert len(mine) == len(theirs) == 4
    for a, b in zip(mine, theirs, strict=True):
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-6), key


def test_each_run_epoch_reads_its_own_augmented_copy():
    import numpy as np

    from ftgui.core.data.pipeline import EpochOrder, cached_dataset

    copies = np.stack([np.full((6, 2, 2, 1), copy, np.float32) for copy in range(3)])
    copies[:, :, 0, 0, 0] = np.arange(6)  # which image
    order = EpochOrder(6, seed=4)
    data = cached_dataset(copies, [0, 1, 0, 1, 0, 1], 6, binary=True, order=order)
    for epoch, copy in ((0, 0), (1, 1), (2, 2), (3, 0), (7, 1)):
        order.set_epoch(epoch)
        ((x, y),) = list(data)
        assert set(np.unique(x[:, 1, 1, 0])) == {copy}
        images = x[:, 0, 0, 0].numpy().astype(int)
        assert sorted(images) == list(range(6))
        assert y.numpy().ravel().tolist() == [i % 2 for i in images]


@pytest.mark.slow
def test_augmented_copies_differ_and_validation_is_never_augmented(small_book_dataset, tmp_path):
    import numpy as np

    from ftgui.core.data.dataset import find_dataset
    from ftgui.core.data.pipeline import make_dataset
    from ftgui.core.model.build import build_model
    from ftgui.core.training.feature_cache import CacheSettings, FeatureCache
    from ftgui.core.training.feature_sets import FeatureSources

    dataset = find_dataset(small_book_dataset)
    model = build_model(2, 32, "none", augment=True, seed=3)
    train = make_dataset(dataset.train, 32, 64, True)
    validation = make_dataset(dataset.validation, 32, 64, True)
    images = FeatureSources(
        lambda _: train, validation, len(dataset.train), len(dataset.validation)
    )

    def features(copies: int, seed: int = 3):
        settings = CacheSettings(True, 32, 8, None, tmp_path, copies > 0, copies, seed)
        cache = FeatureCache(book_phases(), settings)
        return cache.features_for(0, model, images, lambda text: None, lambda: False)

    plain, three, again = features(0), features(3), features(3)
    assert plain.train.shape[:2] == (1, 16) and three.train.shape[:2] == (3, 16)
    assert three.level == 18 and three.copies == 3  # phase 1 derives block5_pool per copy
    np.testing.assert_array_equal(three.validation, plain.validation)
    np.testing.assert_array_equal(three.train, again.train)  # keyed by seed and copy
    for copy in range(3):
        assert not np.allclose(three.train[copy], plain.train[0])
    assert not np.allclose(three.train[0], three.train[1])
    assert not np.allclose(features(3, seed=4).train, three.train)


@pytest.mark.slow
def test_a_run_with_augmented_copies_caches_them_and_says_their_size(small_book_dataset, tmp_path):
    statuses = []
    config = _config(small_book_dataset, tmp_path / "copies", augment=True, augment_copies=2)
    run(config, lambda e: statuses.append(e.text) if isinstance(e, Status) else None)
    described = [s for s in statuses if "computed once" in s]
    assert described[0].startswith(
        "block4_pool outputs of 2 augmented copies of 16 + 8 images computed once: "
    )
    assert len(read_history(tmp_path / "copies")) == 4


@pytest.mark.slow
def test_copies_without_the_cache_augment_every_epoch_and_say_so(small_book_dataset, tmp_path):
    statuses = []
    config = _config(
        small_book_dataset, tmp_path / "nocache", augment_copies=2, cache_features=False
    )
    config.phases[0].epochs = config.phases[1].epochs = 1
    run(config, lambda e: statuses.append(e.text) if isinstance(e, Status) else None)
    assert any("need the frozen-layer cache" in s for s in statuses)
    assert not [s for s in statuses if "computed once" in s]
