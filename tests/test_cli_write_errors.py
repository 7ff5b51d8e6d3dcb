"""Paths the user names to be written (train --out, export --out, predict --csv, gradcam --out,
import-kaggle OUT) that cannot be: one sentence, exit 2, before the slow work, nothing left."""

import errno
import os
import re
import zipfile
from pathlib import Path

import pytest

from ftgui.cli.export import export_main
from ftgui.cli.gradcam import gradcam_main
from ftgui.cli.import_kaggle import import_main
from ftgui.cli.predict import predict_main
from ftgui.cli.train import train_main
from ftgui.core.errors import UserError
from ftgui.core.training.run_folder import RunFolder
from tests.commands import ftgui

pytestmark = pytest.mark.slow  # every test here reads a run trained for this module

NO_FOLDER = "/proc/nope"  # cannot be created, not even by root
REFUSES_FILES = "/proc"  # an existing folder that takes no new file, not even from root
ENOENT = os.strerror(errno.ENOENT)


@pytest.fixture(scope="module")
def tiny_run(cats_run: Path) -> Path:
    """A finished 1 + 1 epoch run at 32 px with random weights (shared with other modules)."""
    return cats_run


@pytest.fixture
def image(tiny_run: Path) -> str:
    return str(next((tiny_run.parent / "data" / "validation" / "cats").iterdir()))


@pytest.fixture
def no_slow_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the command if it starts loading TensorFlow or training before checking the path."""

    def too_late(*args: object, **kwargs: object) -> None:
        raise AssertionError("the slow work started before the output path was checked")

    monkeypatch.setattr("ftgui.core.model.device.setup_devices", too_late)
    monkeypatch.setattr("ftgui.core.run.whole_run.run", too_late)


def _targets(tmp_path: Path, name: str) -> dict[str, tuple[Path, str]]:
    """Unwritable paths named `name` -> (path, a pattern of the reason the sentence gives)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return {
        "folder cannot be created": (
            Path(NO_FOLDER) / name,
            f"(its folder {NO_FOLDER}|the folder) (cannot be created|does not exist)",
        ),
        "parent is a file": (blocker / name, re.escape(f"{blocker} is a file, not a folder")),
        "folder takes no files": (
            Path(REFUSES_FILES) / name,
            f"(its folder {REFUSES_FILES} does not accept new files|the folder cannot be created)",
        ),
    }


CASES = ("folder cannot be created", "parent is a file", "folder takes no files")


def _one_sentence(
    capsys: pytest.CaptureFixture[str], status: int, path: Path, flag: str, why: str
) -> None:
    """Exit 2 and one line: `Cannot write PATH: <why>…; … choose another FLAG.`"""
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    prefix = f"ftgui: error: Cannot write {path}: "
    assert err.startswith(prefix) and re.match(why, err[len(prefix) :]), err
    assert err.endswith(f"choose another {flag}.\n"), err


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("fmt", ["script", "savedmodel", "tflite", "onnx"])
def test_export_to_an_unwritable_out_is_one_sentence_before_loading_the_model(
    tiny_run, tmp_path, capsys, no_slow_work, fmt, case
):
    path, why = _targets(tmp_path, "recipe.py" if fmt == "script" else "model")[case]
    status = export_main([str(tiny_run), "--format", fmt, "--out", str(path)])
    _one_sentence(capsys, status, path, "--out", why)
    assert not path.exists()


@pytest.mark.parametrize("case", CASES)
def test_predict_to_an_unwritable_csv_is_one_sentence_before_predicting(
    tiny_run, image, tmp_path, capsys, no_slow_work, case
):
    path, why = _targets(tmp_path, "p.csv")[case]
    status = predict_main([str(tiny_run), image, "--csv", str(path)])
    _one_sentence(capsys, status, path, "--csv", why)
    assert not path.exists()


@pytest.mark.parametrize("case", CASES)
def test_gradcam_to_an_unwritable_out_is_one_sentence_before_explaining(
    tiny_run, image, tmp_path, capsys, no_slow_work, case
):
    path, why = _targets(tmp_path, "overlay.png")[case]
    status = gradcam_main([str(tiny_run), image, "--out", str(path)])
    _one_sentence(capsys, status, path, "--out", why)
    assert not path.exists()


@pytest.mark.parametrize("case", [*CASES, "out is a file"])
def test_train_to_an_unwritable_out_is_one_sentence_before_training(
    tiny_run, tmp_path, capsys, no_slow_work, case
):
    targets = _targets(tmp_path, "run")
    targets["out is a file"] = (tmp_path / "a-file", "it is a file, not a folder;")
    path, why = targets[case]
    data = tiny_run.parent / "data"
    status = train_main(["--data", str(data), "--weights", "none", "--out", str(path)])
    _one_sentence(capsys, status, path, "--out", why)


def test_run_folder_creation_failing_late_is_the_same_sentence():
    with pytest.raises(UserError) as caught:
        RunFolder(Path(NO_FOLDER) / "run").create()
    assert str(caught.value) == (
        f"Cannot write {NO_FOLDER}/run: the folder cannot be created ({ENOENT}); "
        f"choose another --out."
    )


def test_import_kaggle_into_a_file_is_one_sentence(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with zipfile.ZipFile(tmp_path / "train.zip", "w") as archive:
        archive.writestr("train/cat.0.jpg", b"")
    status = import_main([str(tmp_path / "train.zip"), str(blocker)])
    _one_sentence(capsys, status, blocker, "OUT", "it is a file, not a folder;")


def test_a_script_whose_write_fails_leaves_no_file_and_no_new_folder(
    tiny_run, tmp_path, capsys, monkeypatch
):

    def disk_full(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", disk_full)
    path = tmp_path / "new" / "deeper" / "recipe.py"
    status = export_main([str(tiny_run), "--format", "script", "--out", str(path)])
    _one_sentence(capsys, status, path, "--out", f"the disk holding {path.parent} is full; free")
    assert list(tmp_path.iterdir()) == []


def test_a_model_export_whose_write_fails_leaves_no_folder(tiny_run, tmp_path, capsys, monkeypatch):
    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("ftgui.core.export.artifacts._write_artifact", disk_full)
    path = tmp_path / "new" / "deeper" / "model"
    status = export_main([str(tiny_run), "--format", "savedmodel", "--out", str(path)])
    _one_sentence(capsys, status, path, "--out", f"the disk holding {path.parent} is full; free")
    assert list(tmp_path.iterdir()) == []


def test_the_checks_leave_nothing_behind_and_accept_new_folders(tmp_path):
    from ftgui.core.files import check_writable_file, check_writable_folder

    assert check_writable_folder(tmp_path / "a" / "b", "--out") == tmp_path / "a" / "b"
    assert check_writable_file(tmp_path / "c" / "d.csv", "--csv") == tmp_path / "c" / "d.csv"
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UserError, match=r"its folder .*c does not exist; create it or choose"):
        check_writable_file(tmp_path / "c" / "d.csv", "--csv", make_folders=False)
    with pytest.raises(UserError, match="it is a folder, not a file; choose another --csv"):
        check_writable_file(tmp_path, "--csv")


def test_a_read_only_folder_is_refused_even_for_root():
    """/sys refuses new files to everyone in most containers (root ignores permission bits)."""
    from ftgui.core.files import check_writable_file

    try:
        check_writable_file("/sys/ftgui-check.csv", "--csv")
    except UserError as exc:
        assert str(exc).startswith("Cannot write /sys/ftgui-check.csv: its folder /sys does not ")
    else:
        pytest.skip("/sys takes new files here")


def test_main_py_exits_2_with_one_line_for_an_unwritable_export(tiny_run):
    result = ftgui("export", str(tiny_run), "--format", "script", "--out", "/proc/nope/recipe.py")
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"ftgui: error: Cannot write /proc/nope/recipe.py: its folder /proc/nope cannot be created "
        f"({ENOENT}); choose another --out.\n"
    )
    assert result.stdout == ""
