"""Configuration defaults, JSON round trip and the one-sentence answers to bad values."""

import json

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


def test_json_round_trip_keeps_every_setting(tmp_path):
    config = RunConfig(data_dir="d", weights="none", image_size=64, augment=True, seed=7)
    config.phases[1].optimizer = "sgd"
    config.save(tmp_path / "c.json")
    assert RunConfig.load(tmp_path / "c.json") == config


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"image_size": 16}, "image size must be a whole number from 32 to 1024, not 16"),
        ({"batch_size": 0}, "batch size must be a whole number from 1"),
        ({"validation_split": 1.5}, "validation split must be a number above 0 below 1"),
        ({"dropout": 1.0}, "dropout must be a number from 0 below 1"),
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
    assert json.loads(json.dumps(data))
    assert RunConfig.from_dict(data).phases[0].learning_rate == 1.0
