"""Each fact in one place: optimizers, image sizes, the unfreeze flag, frozen layers, errors that
name their setting, the learning rate checked where it enters and where the config is read."""

from __future__ import annotations

import dataclasses
import io
import pickle
import tokenize
from pathlib import Path
from types import SimpleNamespace

import pytest

import ftgui.cli.args as args_module
import ftgui.core.model.build as build
from ftgui.cli.train import train_parser
from ftgui.core.errors import UserError
from ftgui.core.settings import optimizers
from ftgui.core.settings.config import PhaseConfig, RunConfig
from ftgui.core.settings.fields import LAST_PHASE_SETTINGS, PHASE, RUN
from ftgui.core.settings.layer_plan import frozen_layers, frozen_prefix, trainable_from
from ftgui.core.settings.vgg16 import MAX_IMAGE_SIZE, MIN_IMAGE_SIZE, layer_names
from ftgui.gui.train.setting_widgets import window_words

ROOT = Path(__file__).resolve().parents[1]


# -- optimizers --------------------------------------------------------------------------------


def test_the_optimizer_setting_takes_its_choices_and_help_from_the_optimizer_table():
    assert PHASE["optimizer"].choices == tuple(o.name for o in optimizers.OPTIMIZER_TABLE)
    assert PHASE["optimizer"].help == "rmsprop (the book's), adam, or sgd with momentum 0.9"


def test_make_optimizer_builds_the_tables_keras_class_with_its_fixed_arguments(monkeypatch):
    sgd = dataclasses.replace(optimizers.BY_NAME["sgd"], options=(("momentum", 0.5),))
    monkeypatch.setitem(optimizers.BY_NAME, "sgd", sgd)
    made = build.make_optimizer(PhaseConfig("p", 1, 1e-3, "sgd"))
    assert type(made).__name__ == "SGD"
    assert float(made.momentum) == 0.5


def test_an_unknown_optimizer_is_an_error_naming_the_setting_and_the_choices():
    with pytest.raises(UserError, match="Unknown optimizer 'nadam'.*rmsprop, adam, sgd") as error:
        build.make_optimizer(PhaseConfig("Fine-tune", 1, 1e-3, "nadam"))
    assert error.value.setting == "optimizer"


def test_the_phase_editor_labels_its_optimizers_from_the_table(qtbot, monkeypatch):
    from ftgui.gui.train.phase_editor import OPTIMIZER, PhaseEditor

    adam = dataclasses.replace(optimizers.BY_NAME["adam"], label="Adam (β 0.9)")
    monkeypatch.setitem(optimizers.BY_NAME, "adam", adam)
    editor = PhaseEditor()
    qtbot.addWidget(editor)
    editor.load([PhaseConfig("p", 1, 1e-3)])
    box = editor.table.cellWidget(0, OPTIMIZER)
    assert [box.itemText(i) for i in range(box.count())] == ["RMSprop", "Adam (β 0.9)", "SGD+mom."]


# -- image sizes, the sample, --unfreeze-from -----------------------------------------------


def test_the_image_size_limits_are_the_conv_bases():
    assert (RUN["image_size"].low, RUN["image_size"].high) == (MIN_IMAGE_SIZE, MAX_IMAGE_SIZE)


@pytest.mark.parametrize("module", ["ftgui/core/data/sample.py", "ftgui/cli/args.py"])
def test_the_samples_image_size_is_written_once(module):
    source = (ROOT / module).read_text(encoding="utf-8")
    numbers = [
        token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.NUMBER
    ]
    assert "32" not in numbers  # it is vgg16.MIN_IMAGE_SIZE, as sample.SAMPLE_PIXELS


def test_unfreeze_from_is_a_table_entry_with_its_flag_metavar_and_help(monkeypatch):
    text = " ".join(train_parser().format_help().split())
    assert (
        "--unfreeze-from LAYER in the last phase, train LAYER and every layer above it "
        "(default block5_conv1)" in text
    )
    changed = dataclasses.replace(LAST_PHASE_SETTINGS[0], help="train from LAYER upward")
    monkeypatch.setattr(args_module, "LAST_PHASE_SETTINGS", (changed,))
    assert "train from LAYER upward" in " ".join(train_parser().format_help().split())


def test_unfreeze_from_sets_the_last_phase_in_model_order_and_names_its_setting():
    args = train_parser().parse_args(["--data", "d", "--unfreeze-from", "block4_conv3"])
    config = args_module.config_from_args(args)
    assert config.phases[-1].trainable_layers == list(layer_names()[12:])
    assert config.phases[0].trainable_layers == []
    bad = train_parser().parse_args(["--data", "d", "--unfreeze-from", "block9_conv1"])
    with pytest.raises(UserError, match="Unknown layer 'block9_conv1'") as error:
        args_module.config_from_args(bad)
    assert error.value.setting == "unfreeze_from"


def test_trainable_from_gives_the_layers_bottom_to_top():
    assert trainable_from("block5_conv1") == (
        "block5_conv1",
        "block5_conv2",
        "block5_conv3",
        "block5_pool",
    )


# -- frozen layers ---------------------------------------------------------------------------


def test_frozen_layers_and_the_frozen_prefix_come_from_one_function():
    finetune = trainable_from("block5_conv1")
    assert frozen_layers(finetune) == layer_names()[:14]
    assert frozen_prefix(finetune) == 14
    assert frozen_prefix([]) == 18
    assert frozen_prefix(["block1_conv1", "block5_conv3"]) == 0
    assert frozen_layers(["block3_conv1"])[6:8] == ("block3_conv2", "block3_conv3")


def test_the_model_freezes_the_layers_the_layer_plan_says(monkeypatch):
    layers = [SimpleNamespace(name=name, trainable=None) for name in layer_names()]
    base = SimpleNamespace(layers=layers, trainable=None)
    model = SimpleNamespace(get_layer=lambda name: base)
    monkeypatch.setattr(build, "frozen_layers", lambda trainable: ("block1_conv1",))
    build.apply_trainable(model, ["block5_conv3"])
    assert base.trainable is True
    assert [layer.trainable for layer in layers] == [False] + [True] * 17


# -- errors name their setting; the window names its control from it ------------------------


def test_a_user_error_keeps_its_setting_and_window_sentence_through_a_pipe():
    error = UserError("Bad; pass --weights FILE.", "weights", window="Bad; choose Weights → File…")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.setting, copy.window) == (str(error), "weights", error.window)


def test_a_value_out_of_range_is_an_error_about_its_setting():
    with pytest.raises(UserError) as error:
        RunConfig(data_dir="d", batch_size=0).validate()
    assert error.value.setting == "batch_size"


def test_the_window_says_an_errors_own_window_sentence_without_matching_its_text():
    error = UserError("Nothing known; pass --weights FILE.", "weights", window="Window words.")
    assert window_words(error) == "Window words."
    flagged = UserError("The image size is too small; raise --image-size N.", "image_size")
    assert window_words(flagged) == "The image size is too small; raise Image size."


def test_weights_and_dataset_errors_carry_the_window_sentences_users_saw(tmp_path):
    missing = tmp_path / "w.h5"
    with pytest.raises(UserError) as error:
        build.build_conv_base(str(missing), 32)
    assert error.value.setting == "weights"
    assert window_words(error.value) == (
        f"Weights file {missing} does not exist; choose Weights → ImageNet, Random init or File…"
    )
    assert window_words(str(error.value)) == window_words(error.value)
    with pytest.raises(UserError) as error:
        RunConfig().validate()
    assert error.value.setting == "data_dir"
    assert window_words(error.value) == window_words(str(error.value))


def test_the_settings_panel_shows_a_refused_dataset_in_the_errors_window_words(qtbot):
    from ftgui.gui.train.settings_panel import SettingsPanel

    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel._dataset_refused(UserError("Dataset x is empty; use --data DIR.", "data_dir", "Empty."))
    assert panel.data_reason.text() == "Empty."


# -- the learning rate: checked where it enters and where the config is read ----------------


def test_a_config_file_with_an_out_of_range_learning_rate_is_refused_where_it_is_read(tmp_path):
    data = RunConfig(data_dir="d").to_dict()
    data["phases"][1]["learning_rate"] = 0.0
    with pytest.raises(UserError, match="learning rate of phase 2 \\('Fine-tune'\\)") as error:
        RunConfig.from_dict(data)
    assert error.value.setting == "learning_rate"


def test_the_phase_editor_checks_a_typed_rate_once_not_every_phase_on_every_edit(
    qtbot, monkeypatch
):
    from ftgui.gui.train.phase_editor import RATE, PhaseEditor

    def validate(self: PhaseConfig, index: int) -> None:
        raise AssertionError("the editor re-checked a phase it only shows")

    editor = PhaseEditor()
    qtbot.addWidget(editor)
    monkeypatch.setattr(PhaseConfig, "validate", validate)
    editor.load([PhaseConfig("Head", 2, 1e-3), PhaseConfig("Tune", 2, 1e-5)])
    rate = editor.table.cellWidget(1, RATE)
    rate.setText("0")
    rate.textEdited.emit("0")
    assert "learning rate of phase 2 ('Tune')" in editor.reason.problem
    rate.setText("1e-4")
    rate.textEdited.emit("1e-4")
    assert editor.reason.problem == "" and editor.phases[1].learning_rate == 1e-4
    editor.table.item(0, 0).setText(" ")
    assert editor.reason.problem == "Phase 1 has no name; give every phase a name."


# -- Keras internals -------------------------------------------------------------------------


def test_reseeding_without_the_keras_internal_names_the_installed_keras(monkeypatch):
    import keras

    dropout = keras.layers.Dropout(0.5, seed=1)
    model = keras.Sequential([keras.Input((4,)), dropout])
    assert [generator for *_, generator in build.seed_generators(model)]
    monkeypatch.delattr(dropout, "_seed_generators")
    with pytest.raises(UserError, match=f"Keras {keras.__version__} has no Layer._seed_generators"):
        build.reseed_random_layers(model, 1337, 0)
