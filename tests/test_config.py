"""Configuration defaults, JSON round trip and the one-sentence answers to bad values."""

import json
import os

import pytest

from ftgui.core.errors import UserError
from ftgui.core.settings.config import RunConfig


def test_defaults_are_the_books_recipe():
    config = RunConfig(data_dir="x")
    head, finetune = config.phases
    assert (config.image_size, config.batch_size) == (150, 20)
    assert (head.optimizer, head.learning_rate, head.epochs, head.trainable_layers) == (
        "rmsprop",
        2e-5,
        30,
        [],
    )
    assert (finetune.learning_rate, finetune.epochs) == (1e-5, 100)
    assert finetune.trainable_layers == [
        "block5_conv1",
        "block5_conv2",
        "block5_conv3",
        "block5_pool",
    ]


def test_a_saved_config_json_loads_back_field_by_field_with_changed_values(tmp_path):
    config = RunConfig(data_dir="d", validation_split=0.35, cache_budget_mb=64, xla=False)
    config.phases[0].learning_rate = 3e-4
    config.phases[1].trainable_layers = ["block4_conv1"]
    config.save(tmp_path / "config.json")
    written = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert written == config.to_dict()
    loaded = RunConfig.load(tmp_path / "config.json")
    for key, value in config.to_dict().items():
        assert getattr(loaded, key) == getattr(config, key), key
        assert loaded.to_dict()[key] == value, key
    assert (loaded.validation_split, loaded.cache_budget_mb, loaded.xla) == (0.35, 64, False)
    assert loaded.phases[0].learning_rate == 3e-4
    assert loaded.phases[1].trainable_layers == ["block4_conv1"]
    assert loaded != RunConfig(data_dir="d")


def test_a_save_killed_before_its_rename_leaves_the_old_file_whole_and_no_partial(
    tmp_path, monkeypatch
):
    path = tmp_path / "config.json"
    RunConfig(data_dir="d", seed=5).save(path)
    before = path.read_bytes()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies between writing and renaming

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        RunConfig(data_dir="d", seed=6).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]
    monkeypatch.undo()
    RunConfig(data_dir="d", seed=6).save(path)
    assert RunConfig.load(path).seed == 6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"image_size": 16}, "image size must be a whole number from 32 to 1024; 16 is not"),
        ({"batch_size": 0}, "batch size must be a whole number from 1"),
        ({"validation_split": 1.5}, "validation split must be a number from 0.05 to 0.95"),
        ({"validation_split": 0.01}, "validation split must be a number from 0.05 to 0.95"),
        ({"dropout": 1.0}, "dropout must be a number from 0 below 1"),
        ({"distribute": "tpu"}, "Unknown distribution 'tpu'; use one of auto, none, mirrored"),
        ({"cache_budget_mb": -1}, "cache budget \\(MB\\) must be a whole number from 0"),
        ({"data_dir": None}, "No dataset given"),
    ],
)
def test_out_of_range_settings_name_the_setting_and_the_range(change, message):
    config = RunConfig(data_dir="d")
    for key, value in change.items():
        setattr(config, key, value)
    with pytest.raises(UserError, match=message):
        config.validate()


def test_phase_values_are_checked_with_the_phase_named():
    config = RunConfig(data_dir="d")
    config.phases[1].learning_rate = 0
    with pytest.raises(UserError, match="learning rate of phase 2 \\('Fine-tune'\\)"):
        config.validate()
    config = RunConfig(data_dir="d")
    config.phases[0].optimizer = "adagrad"
    with pytest.raises(UserError, match="Unknown optimizer 'adagrad'.*rmsprop, adam, sgd"):
        config.validate()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"image_size": 64, "colour": "red"}', "Unknown setting 'colour'"),
        ('{"image_size": "big"}', "'image_size' .* must be a whole number, not 'big'"),
        ('{"augment": 1}', "'augment' .* must be true or false"),
        ('{"phases": [{"name": "x"}]}', "phase 1 .* lacks epochs, learning_rate"),
        ('{"image_size": 64,', "not valid JSON \\(line 1"),
        ("[1, 2]", "is not a JSON object"),
    ],
)
def test_bad_config_files_get_one_sentence(tmp_path, text, message):
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(UserError, match=message):
        RunConfig.load(path)


def test_a_missing_config_file_is_named(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        RunConfig.load(tmp_path / "nope.json")


def test_integers_are_accepted_where_numbers_are_expected():
    data = RunConfig(data_dir="d").to_dict()
    data["phases"][0]["learning_rate"] = 1
    data["validation_split"] = 0  # an int where a float is expected, though out of range
    config = RunConfig.from_dict(data)
    assert config.phases[0].learning_rate == 1.0
    assert isinstance(config.phases[0].learning_rate, float)
    assert isinstance(config.validation_split, float)


def test_an_unknown_layer_in_a_config_file_is_refused_when_validated(tmp_path):
    config = RunConfig(data_dir="d")
    config.phases[1].trainable_layers = ["block5_conv1", "block9_conv9"]
    config.save(tmp_path / "c.json")
    with pytest.raises(UserError, match="Unknown layer in phase 2 \\('Fine-tune'\\) 'block9"):
        RunConfig.load(tmp_path / "c.json").validate()
