"""One description per setting: the table drives config.json, the flags and the window's fields."""

import dataclasses
import json

import pytest

import ftgui.cli.args as args_module
import ftgui.gui.train.settings_panel as panel_module
from ftgui.app import gui_parser
from ftgui.cli.args import config_from_args, resume_config_from_args
from ftgui.cli.train import train_parser
from ftgui.core.errors import UserError
from ftgui.core.settings.config import PhaseConfig, RunConfig
from ftgui.core.settings.fields import PHASE, PHASE_SETTINGS, RUN, RUN_SETTINGS, Setting
from ftgui.gui.train.phase_editor import EPOCHS, RATE, PhaseEditor
from ftgui.gui.train.settings_panel import OWN_WIDGETS, SettingsPanel
from tests.commands import ftgui

PHASE_FLAGS = [f"{s.flag}-{end}" for s in PHASE_SETTINGS if s.flag for end in ("head", "finetune")]
FAKE = Setting(
    "warmup_steps",
    int,
    7,
    "warm-up steps",
    "batches of slowly rising learning rate",
    low=0,
    high=500,
    flag="--warmup-steps",
    metavar="N",
)


def test_the_dataclasses_hold_exactly_the_settings_of_the_tables():
    run_fields = [f.name for f in dataclasses.fields(RunConfig) if f.name != "phases"]
    assert run_fields == [s.name for s in RUN_SETTINGS]
    assert [f.name for f in dataclasses.fields(PhaseConfig)] == [s.name for s in PHASE_SETTINGS]


@pytest.mark.parametrize("setting", RUN_SETTINGS, ids=lambda s: s.name)
def test_a_config_json_written_before_a_setting_existed_loads_it_with_the_tables_default(
    setting, tmp_path
):
    changed = RunConfig(data_dir="d", seed=9)
    data = changed.to_dict()
    del data[setting.name]  # an older run's config.json
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = RunConfig.load(path)
    assert getattr(loaded, setting.name) == setting.default
    others = {k: v for k, v in loaded.to_dict().items() if k != setting.name}
    assert others == {k: v for k, v in data.items() if k != setting.name}


@pytest.mark.parametrize("parser", [train_parser, gui_parser], ids=["train", "window"])
def test_every_flag_of_the_table_is_in_help_with_its_default(parser):
    text = " ".join(parser().format_help().split())  # undo argparse's line wrapping
    for setting in RUN_SETTINGS:
        if setting.flag:
            assert setting.flag in text, setting.name
            assert setting.help.split()[0] in text, setting.name
    for flag in PHASE_FLAGS:
        assert flag in text
    assert "--lr-head F learning rate of the first phase, training the classifier" in text
    assert "(default 2e-05)" in text and "(default 1e-05)" in text
    assert "--image-size N square image size in pixels (default 150)" in text


def test_a_setting_added_to_the_table_gets_a_flag_with_its_help_and_default(monkeypatch):
    monkeypatch.setattr(args_module, "RUN_SETTINGS", (*RUN_SETTINGS, FAKE))
    parser = train_parser()
    text = " ".join(parser.format_help().split())
    assert "--warmup-steps N batches of slowly rising learning rate (default 7)" in text
    assert parser.parse_args(["--warmup-steps", "12"]).warmup_steps == 12


def test_a_setting_added_to_the_table_gets_a_window_field_with_its_range(qtbot, monkeypatch):
    monkeypatch.setattr(panel_module, "RUN_SETTINGS", (*RUN_SETTINGS, FAKE))
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    spin = panel.fields["warmup_steps"]
    assert (spin.minimum(), spin.maximum()) == (0, 500)
    assert spin.toolTip() == FAKE.help


@pytest.mark.parametrize("setting", RUN_SETTINGS, ids=lambda s: s.name)
def test_every_run_setting_has_a_window_field_with_the_tables_range(qtbot, setting):
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    if setting.name in OWN_WIDGETS:
        tips = [w.toolTip() for w in (panel.data_edit, panel.weights_combo, panel.out_edit)]
        assert setting.help in [*tips, panel.sample_button.toolTip()]
        return
    widget = panel.fields[setting.name]
    assert widget.toolTip() == setting.help
    if setting.kind in (int, float):
        tick = 10.0**-setting.decimals
        low = setting.low - (1 if setting.optional else 0) + (tick if setting.low_open else 0)
        high = setting.high - (tick if setting.high_open else 0)
        assert widget.minimum() == pytest.approx(low)
        assert widget.maximum() == pytest.approx(high)
        assert widget.singleStep() == pytest.approx(setting.step)
    if setting.choices:
        assert [widget.itemData(i) for i in range(widget.count())] == list(setting.choices)


def test_the_window_keeps_every_value_of_a_loaded_configuration(qtbot):
    config = RunConfig(
        data_dir="d", validation_split=0.35, dropout=0.25, cache_budget_mb=64, distribute="none"
    )
    config.xla = False
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.load(config)
    shown = RunConfig()
    panel.apply_to(shown)
    for setting in RUN_SETTINGS:
        assert getattr(shown, setting.name) == getattr(config, setting.name), setting.name


def test_an_automatic_cache_budget_survives_the_window(qtbot):
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.load(RunConfig(data_dir="d", cache_budget_mb=None))
    assert panel.fields["cache_budget_mb"].text() == "auto"
    shown = RunConfig(cache_budget_mb=5)
    panel.apply_to(shown)
    assert shown.cache_budget_mb is None


def test_the_window_and_the_config_agree_on_the_validation_split_range(qtbot):
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    spin = panel.validation_split
    for value in (spin.minimum(), spin.maximum()):
        RunConfig(data_dir="d", validation_split=round(value, 2)).validate()
    for value in (spin.minimum() - 0.01, spin.maximum() + 0.01):
        with pytest.raises(UserError, match="validation split"):
            RunConfig(data_dir="d", validation_split=round(value, 2)).validate()


def test_the_phase_editor_uses_the_tables_limits_and_the_cores_sentence(qtbot):
    editor = PhaseEditor()
    qtbot.addWidget(editor)
    config = RunConfig(data_dir="d")
    editor.load(config.phases)
    epochs = editor.table.cellWidget(0, EPOCHS)
    assert (epochs.minimum(), epochs.maximum()) == (PHASE["epochs"].low, PHASE["epochs"].high)
    rate = editor.table.cellWidget(1, RATE)
    rate.setText("0")
    rate.textEdited.emit("0")
    config.phases[1].learning_rate = 0
    with pytest.raises(UserError) as core:
        config.validate()
    shown = editor.reason.text()
    assert shown.split(";")[0] == str(core.value).split(";")[0]
    assert shown.startswith("The learning rate of phase 2 ('Fine-tune') must be a number above 0")
    assert editor.problems() == [shown]


def test_lr_flags_set_the_first_and_last_phases_learning_rate():
    args = train_parser().parse_args(["--data", "d", "--lr-head", "1e-4", "--lr-finetune", "3e-6"])
    config = config_from_args(args)
    assert config.phases[0].learning_rate == 1e-4
    assert config.phases[-1].learning_rate == 3e-6
    assert config.phases[0].epochs == 30  # nothing else moved


def test_lr_flags_pre_fill_the_window(qtbot):
    config = config_from_args(gui_parser().parse_args(["--sample", "--lr-head", "1e-4"]))
    assert config.phases[0].learning_rate == 1e-4  # overrides the sample's own rate
    editor = PhaseEditor()
    qtbot.addWidget(editor)
    editor.load(config.phases)
    assert editor.table.cellWidget(0, RATE).text() == "0.0001"
    assert editor.problems() == []


def test_lr_finetune_needs_a_second_phase(tmp_path):
    single = RunConfig(data_dir="d", phases=[PhaseConfig("only", 1, 1e-4)])
    single.save(tmp_path / "c.json")
    args = train_parser().parse_args(["--config", str(tmp_path / "c.json"), "--lr-finetune", "1"])
    with pytest.raises(
        UserError, match="--lr-finetune needs .*set its learning rate with --lr-head"
    ):
        config_from_args(args)


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--lr-head", "0.1"), ("--lr-finetune", "0.1"), ("--epochs-head", "5"), ("--out", "o")],
)
def test_resume_refuses_flags_that_are_not_speed_flags_by_their_name(flag, value):
    args = train_parser().parse_args(["--resume", "somewhere", flag, value])
    with pytest.raises(UserError, match=f"so {flag} cannot change it"):
        resume_config_from_args(args)


def test_an_unknown_unfreeze_layer_is_one_sentence_from_the_flags():
    args = train_parser().parse_args(["--data", "d", "--unfreeze-from", "block9_conv1"])
    with pytest.raises(UserError, match="Unknown layer 'block9_conv1'.*block5_pool"):
        config_from_args(args)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--lr-head", "0"], "The learning rate of phase 1 ('Train classifier') must be a number"),
        (["--lr-finetune", "20"], "The learning rate of phase 2 ('Fine-tune') must be a number"),
        (["--lr-head", "fast"], "--lr-head: invalid float value: 'fast'"),
    ],
)
def test_out_of_range_learning_rates_exit_2_with_one_line(tmp_path, args, fragment):
    result = ftgui("train", "--data", str(tmp_path), "--out", str(tmp_path / "r"), *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert fragment in lines[0]
    assert not (tmp_path / "r").exists()


def test_range_sentences_name_the_setting_range_and_value():
    assert RUN["batch_size"].problem(0) == (
        "The batch size must be a whole number from 1 to 4096; 0 is not."
    )
    assert RUN["seed"].problem(-1) == (
        "The seed must be a whole number from 0 to 2147483647; -1 is not."
    )
    assert RUN["batch_size"].problem(True) is not None  # a bool is not a number
    assert RUN["cache_budget_mb"].problem(None) is None  # automatic
    assert PHASE["learning_rate"].problem(10.0) is None
    assert PHASE["learning_rate"].problem(0.0, "phase 1 ('a')") == (
        "The learning rate of phase 1 ('a') must be a number above 0 to 10; 0.0 is not."
    )
