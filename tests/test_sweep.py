"""`python main.py sweep`: trials, shared epochs, halving, stop and resume, bad --vary values."""

from __future__ import annotations

import contextlib
import csv
import io
import math
import threading
from pathlib import Path

import pytest

from ftgui.cli.sweep import sweep_main
from ftgui.core.errors import UserError
from ftgui.core.sweep.plan import Vary, draw_trials, parse_vary, rung_epochs, survivors
from ftgui.core.sweep.record import SweepRecord
from ftgui.core.training.run_folder import read_history
from tests.images import make_book_dataset

HEADER = (
    "trial,status,lr-finetune,unfreeze-from,best_val_loss,best_val_accuracy,best_epoch,"
    "test_accuracy,seconds,run"
)
METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
TINY = ["--weights", "none", "--image-size", "32", "--batch-size", "8", "--seed", "3"]
EPOCHS = ["--epochs-head", "1", "--lr-head", "1e-3", "--epochs-finetune", "2"]
GRID = ["--vary", "lr-finetune=1e-4", "--vary", "unfreeze-from=block5_conv1,block5_conv3"]


def _sweep(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = sweep_main(argv)
    return code, out.getvalue()


def _rows(folder: Path) -> list[dict[str, str]]:
    with open(folder / "trials.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _same_history(a: list[dict], b: list[dict]) -> None:
    assert [(r["phase"], r["epoch"]) for r in a] == [(r["phase"], r["epoch"]) for r in b]
    for x, y in zip(a, b, strict=True):
        for key in METRICS:
            assert math.isclose(x[key], y[key], rel_tol=1e-5, abs_tol=1e-5), (x, y, key)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_book_dataset(tmp_path_factory.mktemp("sweep") / "data", ("cats", "dogs"), (8, 4, 4))


@pytest.fixture(scope="module")
def grid_sweep(data, tmp_path_factory) -> tuple[Path, str]:
    """A finished grid of 1 × 2 trials: 1 + 2 epochs, the unfreeze point varied (and the
    fine-tuning rate named, with one value)."""
    folder = tmp_path_factory.mktemp("grid") / "sweep"
    code, printed = _sweep(["--data", str(data), *TINY, *EPOCHS, *GRID, "--out", str(folder)])
    assert code == 0, printed
    return folder, printed


# ---- what varies and how trials are drawn (no training) ---------------------------------------


def test_vary_values_and_ranges_parse_and_malformed_ones_are_one_sentence():
    assert parse_vary("lr-finetune=1e-5, 1e-4") == Vary("lr-finetune", ("1e-5", "1e-4"))
    ranged = parse_vary("--lr-finetune=log:1e-6..1e-3").range
    assert ranged is not None and ranged.log and (ranged.low, ranged.high) == (1e-6, 1e-3)
    for bad in ("lr-finetune", "lr-finetune=", "dropout=0.6..0.2", "lr=log:0..1", "a=1,,2"):
        with pytest.raises(UserError):
            parse_vary(bad)


def test_a_grid_is_every_combination_the_first_flag_slowest():
    varies = [Vary("a", ("1", "2")), Vary("b", ("x", "y", "z"))]
    trials = draw_trials(varies, "grid", None, 0, set())
    assert len(trials) == 6 and trials[0] == {"a": "1", "b": "x"} and trials[3]["a"] == "2"
    with pytest.raises(UserError, match="--trials needs --search random"):
        draw_trials(varies, "grid", 3, 0, set())


def test_a_random_search_draws_with_the_seed_inside_the_ranges():
    varies = [parse_vary("lr-finetune=log:1e-6..1e-3"), parse_vary("epochs-finetune=2..9")]
    first = draw_trials(varies, "random", 8, 5, {"epochs-finetune"})
    assert first == draw_trials(varies, "random", 8, 5, {"epochs-finetune"})
    assert first != draw_trials(varies, "random", 8, 6, {"epochs-finetune"})
    for trial in first:
        assert 1e-6 <= float(trial["lr-finetune"]) <= 1e-3
        assert 2 <= int(trial["epochs-finetune"]) <= 9
    listed = draw_trials([Vary("a", ("1", "2", "3"))], "random", 3, 1, set())
    assert sorted(t["a"] for t in listed) == ["1", "2", "3"]  # no repeats while unseen remain


def test_halving_rungs_are_geometric_and_keep_the_best_third():
    assert rung_epochs(9, 9) == [1, 3] and rung_epochs(9, 4) == [3] and rung_epochs(9, 2) == []
    assert rung_epochs(2, 9) == [1]  # rungs that fall together are one
    assert [survivors(n) for n in (1, 2, 3, 4, 9)] == [1, 1, 1, 1, 3]


@pytest.mark.parametrize(
    ("vary", "says"),
    [
        ("lr-finetune=1e-4,abc", "argument --lr-finetune: invalid float value: 'abc'"),
        ("lr-finetune=1e-4,-1", "learning rate"),
        ("unfreeze-from=block5_conv1,block9", "block9"),
        ("colour=red,blue", "not a train flag a sweep can vary"),
        ("dropout=0.2..0.6", "a grid needs listed values"),
        ("augment=true,maybe", "a switch takes true or false"),
    ],
)
def test_a_bad_vary_value_is_one_sentence_exit_2_and_nothing_is_written(
    data, tmp_path, capsys, vary, says
):
    out = tmp_path / "sweep"
    code = sweep_main(["--data", str(data), *TINY, "--vary", vary, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


# ---- a real sweep -------------------------------------------------------------------------


@pytest.mark.slow
def test_trials_csv_has_the_contract_header_and_a_row_per_trial(grid_sweep):
    folder, printed = grid_sweep
    assert (folder / "trials.csv").read_text(encoding="utf-8").splitlines()[0] == HEADER
    rows = _rows(folder)
    assert [r["trial"] for r in rows] == ["1", "2"]
    assert [(r["lr-finetune"], r["unfreeze-from"]) for r in rows] == [
        ("1e-4", "block5_conv1"), ("1e-4", "block5_conv3"),
    ]  # fmt: skip
    for row in rows:
        run = folder / row["run"]
        history = read_history(run)
        assert row["status"] == "done" and len(history) == 3
        best = min(range(3), key=lambda i: float(history[i]["val_loss"]))
        assert int(row["best_epoch"]) == best + 1
        assert float(row["best_val_loss"]) == pytest.approx(history[best]["val_loss"], rel=1e-5)
        assert row["test_accuracy"] and float(row["seconds"]) > 0
        for name in ("config.json", "model.keras", "test_metrics.json", "evaluation"):
            assert (run / name).exists(), (run, name)
    record = SweepRecord.load(folder)
    assert record.search == "grid" and record.flags == ["lr-finetune", "unfreeze-from"]
    assert record.lowest_level == "block4_pool"
    assert "Trials by best validation loss" in printed and "Best trial:" in printed


@pytest.mark.slow
def test_the_shared_classifier_phase_is_trained_once_and_copied(grid_sweep):
    folder, printed = grid_sweep
    firsts = [read_history(folder / r["run"])[0] for r in _rows(folder)]
    assert len({(row["seconds"], row["loss"]) for row in firsts}) == 1  # one training, copied
    assert "Trials 1, 2 share run epoch 1" in printed
    fine_tuned = {
        tuple(read_history(folder / r["run"])[-1][m] for m in METRICS) for r in _rows(folder)
    }
    assert len(fine_tuned) == 2  # then each trial trained its own fine-tuning


@pytest.mark.slow
def test_a_trial_equals_the_same_settings_run_alone(grid_sweep, tmp_path):
    from ftgui.core.run.whole_run import run
    from ftgui.core.training.resume import load_run_config

    folder, _ = grid_sweep
    trial = folder / _rows(folder)[1]["run"]  # block5_conv3: cut above the shared level
    config = load_run_config(trial)
    config.out_dir = str(tmp_path / "alone")
    run(config, lambda event: None)
    _same_history(read_history(trial), read_history(tmp_path / "alone"))


@pytest.mark.slow
def test_halving_stops_the_worst_trials_with_their_history_kept(data, tmp_path):
    folder = tmp_path / "halving"
    argv = ["--data", str(data), *TINY, "--epochs-head", "1", "--lr-head", "1e-3"]
    argv += ["--epochs-finetune", "2", "--vary", "lr-finetune=1e-5,1e-4,1e-3", "--halving"]
    code, printed = _sweep([*argv, "--out", str(folder)])
    assert code == 0, printed
    rows = _rows(folder)
    assert sorted(r["status"] for r in rows) == ["done", "stopped", "stopped"]
    rung = 1 + rung_epochs(2, 3)[0]  # run epoch of the rung in the last phase
    kept = {r["trial"]: len(read_history(folder / r["run"])) for r in rows}
    assert sorted(kept.values()) == [rung, rung, 3]
    winner = next(r for r in rows if r["status"] == "done")
    at_rung = {
        r["trial"]: float(read_history(folder / r["run"])[rung - 1]["val_loss"]) for r in rows
    }
    assert at_rung[winner["trial"]] == min(at_rung.values())
    assert "Halving at run epoch" in printed


@pytest.mark.slow
def test_a_stopped_sweep_resumes_to_the_numbers_of_an_uninterrupted_one(data, grid_sweep, tmp_path):
    from ftgui.core.events import EpochEnded, TrialStarted
    from ftgui.core.sweep.engine import SweepRun

    folder = tmp_path / "stopped"
    code, _ = _sweep(
        ["--data", str(data), *TINY, *EPOCHS, *GRID, "--out", str(folder), "--trials", "0"]
    )
    assert code == 2 and not folder.exists()  # (--trials needs --search random)
    # start the same sweep, stop it inside trial 2's fine-tuning (as Ctrl+C does)
    record_folder = folder
    stop = threading.Event()
    trial = [0]

    def listener(event: object) -> None:
        if isinstance(event, TrialStarted):
            trial[0] = event.trial
        if isinstance(event, EpochEnded) and trial[0] == 2 and event.phase == 1:
            stop.set()  # ends at the next batch end, in the trial's second fine-tuning epoch

    argv = ["--data", str(data), *TINY, *EPOCHS, *GRID, "--out", str(record_folder)]
    from ftgui.cli import sweep as sweep_cli

    parser = sweep_cli.sweep_parser()
    args = parser.parse_args(argv)
    args.out_dir = None
    record = sweep_cli._new_record(parser, args)
    record_folder.mkdir(parents=True)
    record.save(record_folder)
    SweepRun(record_folder, record, listener, stop).run()
    statuses = [r["status"] for r in _rows(record_folder)]
    assert statuses == ["done", "stopped"]
    assert len(read_history(record_folder / "trial-02")) == 2  # its finished epochs kept

    code, printed = _sweep(["--resume", str(record_folder)])
    assert code == 0, printed
    finished, _ = grid_sweep
    for mine, theirs in zip(_rows(record_folder), _rows(finished), strict=True):
        assert mine["status"] == "done"
        _same_history(
            read_history(record_folder / mine["run"]), read_history(finished / theirs["run"])
        )


def test_the_window_plans_a_sweep_from_the_same_arguments(data):
    from ftgui.cli.sweep import plan_sweep

    record = plan_sweep(["--data", str(data), *TINY, *EPOCHS, *GRID])
    assert [t.values["unfreeze-from"] for t in record.trials] == ["block5_conv1", "block5_conv3"]
    assert [t.run for t in record.trials] == ["trial-01", "trial-02"]
    with pytest.raises(UserError, match="invalid float value: 'x'"):
        plan_sweep(["--data", str(data), "--vary", "lr-finetune=x"])
    with pytest.raises(UserError, match="needs at least one --vary"):
        plan_sweep(["--data", str(data)])


def test_resume_takes_no_other_flag_and_needs_a_sweep_folder(tmp_path, capsys):
    assert sweep_main(["--resume", str(tmp_path), "--seed", "4"]) == 2
    assert "cannot change them" in capsys.readouterr().err
    assert sweep_main(["--resume", str(tmp_path)]) == 2
    assert "is not a sweep folder" in capsys.readouterr().err


def test_a_trial_whose_run_finished_before_the_record_said_so_is_done_on_resume(tmp_path):
    """A stop that lands while a finished trial is scored leaves it `pending` in sweep.json:
    a resumed sweep finds it done from its folder instead of training it again."""
    from ftgui.core.sweep.engine import SweepRun
    from ftgui.core.sweep.record import DONE, PENDING, Trial
    from tests.test_run_table import short_config, write_run

    config = short_config()
    trials = [Trial(n, {"seed": str(n)}, f"trial-0{n}", config.to_dict()) for n in (1, 2)]
    record = SweepRecord(config.to_dict(), [{"flag": "seed", "values": ["1", "2"]}], "grid",
                         False, trials)  # fmt: skip
    write_run(tmp_path / "trial-01", short_config())  # every epoch, no checkpoint: finished
    write_run(tmp_path / "trial-02", short_config(), epochs=(2, 1), test=None, checkpoint=True)
    sweep = SweepRun(tmp_path, record, lambda event: None)
    assert [t.state for t in record.trials] == [DONE, PENDING]
    assert sweep.reached[1] == 4


def test_a_failing_trial_is_failed_with_its_sentence_and_the_sweep_goes_on(tmp_path, monkeypatch):
    from ftgui.core.events import RunEnded
    from ftgui.core.sweep import engine
    from ftgui.core.sweep.record import Trial
    from tests.test_run_table import short_config

    def fake_run(config, listener, stop, resume=False, inputs=None, pause_after=None):
        if config.seed == 2:
            raise UserError("Out of memory in trial two; lower --batch-size.")
        return RunEnded(str(config.out_dir), pause_after is not None, None, None)

    monkeypatch.setattr(engine, "run", fake_run)
    trials = []
    for n in (1, 2, 3):
        config = short_config(seed=n)
        trials.append(Trial(n, {"seed": str(n)}, f"trial-0{n}", config.to_dict()))
    record = SweepRecord(short_config().to_dict(), [{"flag": "seed", "values": ["1", "2", "3"]}],
                         "grid", False, trials)  # fmt: skip
    engine.SweepRun(tmp_path, record, lambda event: None).run()
    assert [t.status for t in record.trials] == ["done", "failed", "done"]
    assert record.trials[1].error == "Out of memory in trial two; lower --batch-size."
    saved = SweepRecord.load(tmp_path)
    assert saved.trials[1].error == record.trials[1].error
    assert [r["status"] for r in _rows(tmp_path)] == ["done", "failed", "done"]
