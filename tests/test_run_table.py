"""The runs folder read into rows (plain runs, sweeps' trials), the settings that differ, a run's
curves, and a RunConfig as `train` flag values that parse back to the same configuration."""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from ftgui.cli.args import OneLineParser, add_run_arguments, config_from_args
from ftgui.core.settings.config import RunConfig, apply_last_phase_setting
from ftgui.core.settings.flag_values import (
    flag_args,
    flag_values,
    phase_flags,
    switch_flags,
    switch_values,
    value_flags,
)
from ftgui.core.training.run_folder import HISTORY_FIELDS
from ftgui.core.views.run_table import (
    FAILED,
    FINISHED,
    RESUMABLE,
    RUNNING,
    SAMPLE,
    STOPPED,
    differing_settings,
    read_run_table,
    run_curves,
    run_label,
)

HOUR = 3600.0


def history_rows(epochs: tuple[int, ...], val_losses: list[float]) -> list[list[object]]:
    """history.csv rows: phase, name, epoch, loss, accuracy, val_loss, val_accuracy, seconds."""
    names = ("Train classifier", "Fine-tune", "Polish")
    rows, i = [], 0
    for phase, count in enumerate(epochs):
        for epoch in range(count):
            loss = val_losses[i]
            rows.append([phase + 1, names[phase], epoch + 1, loss + 0.1, 1 - loss / 3, loss,
                         1 - loss / 2, 1.5])  # fmt: skip
            i += 1
    return rows


def write_run(
    folder: Path,
    config: RunConfig | None = None,
    val_losses: list[float] | None = None,
    epochs: tuple[int, ...] = (2, 2),
    test: float | None = 0.9,
    checkpoint: bool = False,
    age: float = HOUR,
) -> Path:
    """A run folder written by hand: config.json, history.csv, test_metrics.json (when `test`),
    checkpoint.npz (when `checkpoint`); its files `age` seconds old."""
    folder.mkdir(parents=True)
    config = config or RunConfig(data_dir="/data/cats")
    config.out_dir = str(folder)
    config.save(folder / "config.json")
    val_losses = val_losses or [0.9, 0.6, 0.5, 0.55][: sum(epochs)]
    with open(folder / "history.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HISTORY_FIELDS)
        writer.writerows(history_rows(epochs, val_losses))
    if test is not None:
        (folder / "test_metrics.json").write_text(json.dumps({"loss": 0.3, "accuracy": test}))
    if checkpoint:
        (folder / "checkpoint.npz").write_bytes(b"not read")
    stamp = time.time() - age
    for file in folder.iterdir():
        os.utime(file, (stamp, stamp))
    return folder


def short_config(**changes: object) -> RunConfig:
    """A 2 + 2 epoch configuration on /data/cats with `changes` ("lr_finetune" and
    "unfreeze_from" reach the last phase)."""
    config = RunConfig(data_dir="/data/cats")
    config.phases[0].epochs = config.phases[1].epochs = 2
    if "lr_finetune" in changes:
        config.phases[1].learning_rate = changes.pop("lr_finetune")
    if "unfreeze_from" in changes:
        apply_last_phase_setting(config, "unfreeze_from", str(changes.pop("unfreeze_from")))
    for name, value in changes.items():
        setattr(config, name, value)
    return config


def write_sweep(folder: Path, trials: list[tuple[str, str, dict[str, str]]]) -> Path:
    """A sweep folder: sweep.json, trials.csv listing (status, run, values) per trial."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sweep.json").write_text("{}")
    flags = list(trials[0][2])
    with open(folder / "trials.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["trial", "status", *flags, "best_val_loss", "best_val_accuracy",
                         "best_epoch", "test_accuracy", "seconds", "run"])  # fmt: skip
        for number, (status, run, values) in enumerate(trials, 1):
            writer.writerow([number, status, *values.values(), "", "", "", "", "2.0", run])
    return folder


# -- flag values ----------------------------------------------------------------------------


def parse_train_flags(argv: list[str]) -> RunConfig:
    parser = OneLineParser(prog="train")
    add_run_arguments(parser)
    return config_from_args(parser.parse_args(argv))


def test_flag_values_name_the_books_settings_as_train_flags_without_dashes():
    values = flag_values(RunConfig(data_dir="/data/cats"))
    assert values["lr-head"] == "2e-05"
    assert values["lr-finetune"] == "1e-05"
    assert values["epochs-finetune"] == "100"
    assert values["unfreeze-from"] == "block5_conv1"
    assert values["dropout"] == "0.5"
    assert values["data"] == "/data/cats"
    assert "cache-budget-mb" not in values  # automatic: no flag given
    assert switch_values(RunConfig(data_dir="d"))["augment"] == "no"


def _changed_configs() -> list[RunConfig]:
    custom = RunConfig(data_dir="/data/x", weights="none", image_size=64, batch_size=7,
                       augment=True, augment_copies=3, validation_split=0.35, seed=11,
                       dropout=0.25, out_dir="/runs/a", tensorboard=True, cache_features=False,
                       cache_budget_mb=512, mixed_precision=False, xla=True,
                       distribute="none")  # fmt: skip
    custom.phases[0].epochs, custom.phases[0].learning_rate = 4, 3.3e-6
    custom.phases[1].epochs, custom.phases[1].learning_rate = 9, 1 / 3 * 1e-4
    apply_last_phase_setting(custom, "unfreeze_from", "block4_conv2")
    sample = RunConfig(sample=True, image_size=32, mixed_precision=True)
    sample.phases[0].epochs, sample.phases[1].epochs = 1, 2
    return [RunConfig(data_dir="/data/cats"), custom, sample]


@pytest.mark.parametrize("config", _changed_configs(), ids=["book", "every-flag", "sample"])
def test_parsing_every_flag_and_value_gives_back_the_same_config(config):
    values = {**flag_values(config), **switch_values(config)}
    assert parse_train_flags(flag_args(values)).to_dict() == config.to_dict()


def test_every_train_flag_is_either_a_value_flag_or_a_switch_and_phase_flags_match_cli():
    from ftgui.cli import args as cli_args

    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    flags = [a for a in parser._actions if a.option_strings and a.dest != "help"]
    taking = {a.option_strings[0][2:] for a in flags if a.nargs != 0}
    switches = {a.option_strings[0][2:] for a in flags if a.nargs == 0}
    assert taking - {"config"} == set(value_flags())
    assert switches == set(switch_flags())
    assert [f[:2] for f in cli_args._phase_flags()] == [f[:2] for f in phase_flags()]


def test_a_last_phase_of_hand_picked_layers_has_no_unfreeze_from():
    config = short_config()
    config.phases[1].trainable_layers = ["block5_conv1", "block5_conv3"]
    assert "unfreeze-from" not in flag_values(config)
    one_phase = RunConfig(data_dir="d", phases=RunConfig().phases[:1])
    assert "lr-finetune" not in flag_values(one_phase)


# -- rows -----------------------------------------------------------------------------------


def test_a_finished_run_becomes_a_row_with_its_best_epoch_test_accuracy_and_time(tmp_path):
    write_run(tmp_path / "run-a", short_config(), val_losses=[0.9, 0.6, 0.5, 0.55])
    (row,) = read_run_table(tmp_path).runs
    assert row.name == "run-a" and row.dataset == "cats" and row.status == FINISHED
    assert (row.best_val_loss, row.best_epoch) == (0.5, 3)  # run epoch: phase 2, epoch 1
    assert row.best_val_accuracy == pytest.approx(0.75)
    assert (row.test_accuracy, row.seconds, row.epochs) == (0.9, 6.0, 4)
    assert row.settings["epochs-finetune"] == "2" and "out" not in row.settings
    assert row.date == pytest.approx(time.time() - HOUR, abs=5)
    assert not row.resumable and row.sweep is None


def test_status_tells_finished_resumable_stopped_and_running_apart(tmp_path):
    write_run(tmp_path / "done-no-test", short_config(), test=None)
    write_run(tmp_path / "resumable", short_config(), epochs=(2, 1), test=None, checkpoint=True)
    write_run(tmp_path / "old-stop", short_config(), epochs=(2, 1), test=None)
    write_run(tmp_path / "live", short_config(), epochs=(1,), test=None, checkpoint=True, age=5)
    rows = {row.name: row for row in read_run_table(tmp_path).runs}
    assert rows["done-no-test"].status == FINISHED
    assert rows["resumable"].status == RESUMABLE and rows["resumable"].resumable
    assert rows["old-stop"].status == STOPPED and not rows["old-stop"].resumable
    assert rows["live"].status == RUNNING and not rows["live"].resumable
    assert read_run_table(tmp_path).runs[0].name == "live"  # newest first


def test_broken_folders_are_skipped_with_a_reason_and_the_rest_still_listed(tmp_path):
    write_run(tmp_path / "good", short_config())
    bad_json = write_run(tmp_path / "bad-json", short_config())
    (bad_json / "config.json").write_text("{not json")
    bad_history = write_run(tmp_path / "bad-history", short_config())
    (bad_history / "history.csv").write_text(",".join(HISTORY_FIELDS) + "\n1,x,one,a,b,c,d,e\n")
    (tmp_path / "no-config").mkdir()
    (tmp_path / "no-config" / "history.csv").write_text("phase\n")
    (tmp_path / "unrelated").mkdir()
    (tmp_path / "a-file.txt").write_text("x")
    table = read_run_table(tmp_path)
    assert [row.name for row in table.runs] == ["good"]
    reasons = {Path(folder).name: why for folder, why in table.skipped}
    assert set(reasons) == {"bad-json", "bad-history", "no-config"}
    assert "not valid JSON" in reasons["bad-json"]
    assert "no config.json" in reasons["no-config"]
    assert read_run_table(tmp_path / "missing").rows() == []


def test_a_sweeps_trials_are_grouped_under_it_not_listed_as_runs(tmp_path):
    sweep = tmp_path / "sweep-1"
    for name, lr in (("trial-1", 1e-5), ("trial-2", 1e-4)):
        write_run(sweep / name, short_config(lr_finetune=lr))
    write_run(sweep / "trial-4", short_config(lr_finetune=3e-4), epochs=(1,), test=None,
              checkpoint=True, age=5)  # fmt: skip
    write_sweep(sweep, [("done", "trial-1", {"lr-finetune": "1e-05"}),
                        ("done", "trial-2", {"lr-finetune": "0.0001"}),
                        ("failed", "trial-3", {"lr-finetune": "0.001"})])  # fmt: skip
    write_run(tmp_path / "plain", short_config())
    table = read_run_table(tmp_path)
    assert [row.name for row in table.runs] == ["plain"]
    (group,) = table.sweeps
    assert group.name == "sweep-1"
    assert [(t.name, t.trial, t.status) for t in group.trials] == [
        ("trial 1", 1, FINISHED),
        ("trial 2", 2, FINISHED),
        ("trial 3", 3, FAILED),  # no folder: what trials.csv says
        ("trial-4", None, RUNNING),  # not in trials.csv yet: the trial running now
    ]
    assert group.trials[1].settings["lr-finetune"] == "0.0001"
    assert group.trials[2].settings == {"lr-finetune": "0.001"} and group.trials[2].seconds == 2
    assert all(t.sweep == "sweep-1" for t in group.trials)
    assert group.best is group.trials[0]
    assert len(table.rows()) == 5 and table.datasets() == ["cats"]
    assert group.trials[2].dataset == "cats"  # the sweep's, though its folder is missing


def test_differing_settings_are_only_the_flags_whose_values_differ(tmp_path):
    write_run(tmp_path / "a", short_config(lr_finetune=1e-5))
    write_run(tmp_path / "b", short_config(lr_finetune=1e-4, unfreeze_from="block5_conv3"))
    write_run(tmp_path / "c", short_config(lr_finetune=1e-4, dropout=0.5))
    rows = sorted(read_run_table(tmp_path).runs, key=lambda row: row.name)
    flags = differing_settings(rows)
    assert flags == ["lr-finetune", "unfreeze-from"]
    assert run_label(rows[1], flags) == "lr-finetune=0.0001, unfreeze-from=block5_conv3"
    assert differing_settings(rows[1:2]) == []
    assert run_label(rows[0], []) == "a"


def test_sample_runs_are_listed_under_the_sample_dataset(tmp_path):
    config = RunConfig(sample=True)
    write_run(tmp_path / "s", config, epochs=(2, 2))
    (row,) = read_run_table(tmp_path).runs
    assert row.dataset == SAMPLE


def test_reading_stops_when_progress_raises_and_reports_every_folder(tmp_path):
    for i in range(3):
        write_run(tmp_path / f"r{i}", short_config())
    seen = []
    read_run_table(tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 3), (1, 3), (2, 3)]

    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        if done == 1:
            raise Cancelled

    with pytest.raises(Cancelled):
        read_run_table(tmp_path, progress=cancel)


def test_three_hundred_runs_of_a_hundred_epochs_are_read_in_under_two_seconds(tmp_path):
    write_run(tmp_path / "r000", short_config(), epochs=(30, 70), val_losses=[1.0] * 100)
    for i in range(1, 300):
        (tmp_path / f"r{i:03d}").mkdir()
        for name in ("config.json", "history.csv", "test_metrics.json"):
            (tmp_path / f"r{i:03d}" / name).write_bytes((tmp_path / "r000" / name).read_bytes())
    started = time.perf_counter()
    table = read_run_table(tmp_path)
    seconds = time.perf_counter() - started
    assert len(table.runs) == 300 and not table.skipped
    assert seconds < 2.0, f"{seconds:.2f} s"


# -- curves ---------------------------------------------------------------------------------


def test_run_curves_lay_phases_end_to_end_on_the_run_epoch_axis(tmp_path):
    folder = write_run(tmp_path / "r", short_config(), epochs=(3, 2),
                       val_losses=[0.9, 0.7, 0.8, 0.4, 0.4])  # fmt: skip
    curves = run_curves(folder)
    assert list(curves.x) == [1, 2, 3, 4, 5]
    assert curves.phases == [(0, "Train classifier"), (3, "Fine-tune")]
    assert curves.best_epoch == 4  # the first of two equal lowest
    assert np.allclose(curves.val["loss"], [0.9, 0.7, 0.8, 0.4, 0.4])
    assert np.allclose(curves.train["loss"], [1.0, 0.8, 0.9, 0.5, 0.5])
    assert curves.val["accuracy"][3] == pytest.approx(0.8)


@pytest.mark.slow
def test_a_real_finished_run_reads_as_a_finished_row_whose_flags_rebuild_its_config(cats_run):
    (row,) = read_run_table(cats_run.parent).runs
    assert row.status == FINISHED and row.epochs == 2 and row.dataset == "data"
    assert row.best_epoch in (1, 2) and 0.0 <= (row.best_val_accuracy or -1) <= 1.0
    assert row.seconds > 0
    curves = run_curves(cats_run)
    assert [name for _, name in curves.phases] == ["Train classifier", "Fine-tune"]
    assert curves.val["loss"][row.best_epoch - 1] == pytest.approx(row.best_val_loss)
    config = RunConfig.load(cats_run / "config.json")
    values = {**flag_values(config), **switch_values(config)}
    assert parse_train_flags(flag_args(values)).to_dict() == config.to_dict()
