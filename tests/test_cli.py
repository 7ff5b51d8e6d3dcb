"""The command line as a person uses it: exit codes, one-line errors, Ctrl+C, --config."""

import signal
import subprocess
import sys
import time

import pytest

from ftgui.core.settings.config import RunConfig
from ftgui.core.training.run_folder import read_history
from tests.commands import ROOT, TINY_RUN, ftgui, ftgui_here


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def train_in_process(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str]:
    """`python main.py train ARGV` in this process (argument and input errors load no
    TensorFlow): its exit status and stderr."""
    from ftgui.cli.train import train_main

    try:
        code = train_main(list(argv))
    except SystemExit as exited:  # argparse's own errors
        code = exited.code
    return code, capsys.readouterr().err


def assert_one_line(code: int, stderr: str, *fragments: str) -> None:
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith("ftgui") and "error: " in lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--image-size", "16"], ["image size must be a whole number from 32"]),
        (["--batch-size", "0"], ["batch size"]),
        (["--validation-split", "1.5"], ["validation split"]),
        (["--epochs-head", "-1"], ["epochs of phase 1"]),
        (["--batch-size", "many"], ["--batch-size: invalid int value: 'many'"]),
        (["--unfreeze-from", "block9_conv1"], ["Unknown layer 'block9_conv1'", "block5_conv1"]),
        (["--weights", "/nonexistent/w.h5"], ["/nonexistent/w.h5", "existing file"]),
    ],
)
def test_out_of_range_and_unknown_values_exit_2_with_one_line(
    book_dataset, tmp_path, capsys, args, fragments
):
    out = tmp_path / "r"
    code, stderr = train_in_process(capsys, "--data", str(book_dataset), "--out", str(out), *args)
    assert_one_line(code, stderr, *fragments)
    assert not out.exists()


def test_a_bad_value_through_main_py_exits_2_with_one_line_and_no_traceback(book_dataset):
    result = ftgui("train", "--data", str(book_dataset), "--batch-size", "0")
    assert_one_line_error(result, "batch size")


def test_dataset_problems_exit_2_with_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "one" / "cats").mkdir(parents=True)
    (tmp_path / "two" / "a").mkdir(parents=True)
    (tmp_path / "two" / "b").mkdir()
    for folder, fragment in (
        ("missing", "does not exist"),
        ("empty", "no class folders"),
        ("one", "only one class"),
        ("two", "no images"),
    ):
        assert_one_line(*train_in_process(capsys, "--data", str(tmp_path / folder)), fragment)
    assert_one_line(*train_in_process(capsys), "No dataset given")


def test_bad_weights_files_exit_2_with_one_line(book_dataset, tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    result = ftgui(
        "train",
        "--data",
        str(book_dataset),
        "--weights",
        str(junk),
        "--image-size",
        "32",
        "--out",
        str(tmp_path / "r"),
    )
    assert_one_line_error(result, "is not a Keras weights file (not HDF5)")
    assert "signature" not in result.stderr
    assert not (tmp_path / "r" / "history.csv").exists()


def test_a_bad_config_file_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "c.json"
    path.write_text('{"image_size": 64, "learning_rate": 0.1}')
    code, stderr = train_in_process(capsys, "--config", str(path))
    assert_one_line(code, stderr, "Unknown setting 'learning_rate'")


@pytest.mark.slow
def test_a_run_folder_with_spaces_and_non_ascii_names_profiles_and_reproduces_through_config(
    tmp_path, capsys
):
    """The first run's dataset, class and run folders have spaces and non-ASCII letters, and
    it prints `--profile`; its config.json then reproduces it (`train --config` in this
    process: a second TensorFlow import would prove nothing more)."""
    from tests.images import make_book_dataset

    data = make_book_dataset(tmp_path / "my photos ü", ("chats noirs", "chiens é"), (8, 4, 4))
    first_out = tmp_path / "runs ä" / "first run"
    first = ftgui("train", "--data", str(data), *TINY_RUN, "--out", str(first_out), "--profile")
    assert first.returncode == 0, first.stderr
    assert "epoch 2/2" in first.stdout and "Test:" in first.stdout
    assert len(read_history(first_out)) == 3
    assert RunConfig.load(first_out / "config.json").data_dir == str(data)
    _check_profile(first.stdout)
    again = ftgui_here(
        capsys, "train", "--config", str(first_out / "config.json"), "--out", str(tmp_path / "b")
    )
    assert again.returncode == 0, again.stderr
    a, b = (
        RunConfig.load(first_out / "config.json"),
        RunConfig.load(tmp_path / "b" / "config.json"),
    )
    assert (a.out_dir, b.out_dir) == (str(first_out), str(tmp_path / "b"))
    a.out_dir = b.out_dir = None
    assert a == b
    rows_a, rows_b = read_history(first_out), read_history(tmp_path / "b")
    assert [(r["phase"], r["epoch"]) for r in rows_a] == [(r["phase"], r["epoch"]) for r in rows_b]
    for row_a, row_b in zip(rows_a, rows_b, strict=True):  # same seed, same data: same run
        assert row_b["loss"] == pytest.approx(row_a["loss"], rel=1e-3)
    refused = ftgui("train", "--config", str(first_out / "config.json"))
    assert_one_line_error(refused, "already holds a run")


@pytest.mark.slow
def test_ctrl_c_stops_at_the_batch_end_keeps_finished_epochs_and_exits_130(
    small_book_dataset, tmp_path
):
    out = tmp_path / "run"
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "train",
            "--data",
            str(small_book_dataset),
            "--weights",
            "none",
            "--image-size",
            "32",
            "--batch-size",
            "4",
            "--epochs-head",
            "50",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if "epoch 1/50" in line:
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Stopping at the end of this batch" in stderr and "Traceback" not in stderr
    resume = f"continue with `python main.py train --resume {out}`"
    assert f"Stopped: every finished epoch is kept; {resume}" in stdout
    rows = read_history(out)
    assert 1 <= len(rows) < 50
    assert (out / "model.keras").exists()


def _check_profile(stdout: str) -> None:
    """`--profile` prints every part of the run once, and the parts add up to the whole."""
    table = stdout.split("Where the time went (wall clock):\n", 1)[1].splitlines()
    seconds = {line.rsplit(None, 3)[0].strip(): float(line.split()[-3]) for line in table[:-1]}
    for part in (
        "start-up (Python, ftgui imports)",
        "image check and decode (TensorFlow loads meanwhile)",
        "TensorFlow import and devices",
        "model build and weights",
        "frozen-layer outputs (once)",
        "Train classifier: training steps",
        "Train classifier: validation",
        "Fine-tune: checkpoints, history, best saves",
        "model saves (model.keras, best models)",
        "scoring the saved models (evaluation/)",
    ):
        assert seconds[part] > 0, part
    whole = float(table[-1].split()[-2])
    assert table[-1].split()[:2] == ["whole", "run"]
    assert abs(whole - sum(seconds.values())) < 0.01 * len(seconds)


def test_help_usage_lists_the_sub_commands_then_the_windows_flags(capsys):
    from ftgui.app import COMMANDS, SUB_COMMANDS, gui_parser, main

    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    text = capsys.readouterr().out
    assert exited.value.code == 0 and text == gui_parser().format_help()
    first, second = text.splitlines()[:2]
    names = "train,sweep,audit,evaluate,gradcam,lr-find,calibrate,predict,export,report"
    commands = "{" + names + ",import-kaggle,doctor}"
    assert first == f"usage: ftgui [-h] {commands} ..."
    assert commands[1:-1].split(",") == [*SUB_COMMANDS]
    assert second.startswith("       ftgui [-h] [--data DIR | --sample] [--config FILE]")
    assert "[--unfreeze-from LAYER]" in text.split("\n\n")[0]  # the window's flags in the usage
    flat = " ".join(text.split())
    assert all(f"{name} {' '.join(COMMANDS[name].split())}" in flat for name in SUB_COMMANDS)
    assert gui_parser().parse_args(["--data", "d"]).data_dir == "d"  # still pre-fills the window


def test_a_misspelt_sub_command_is_named_with_the_nearest_one(capsys):
    from ftgui.app import main

    with pytest.raises(SystemExit) as exited:
        main(["trian", "--sample"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("ftgui: error: unknown sub-command 'trian' (did you mean train?);")
    assert len(err.strip().splitlines()) == 1
