"""Background tasks: results on the GUI thread, progress, errors, and cancelled work dropped."""

from __future__ import annotations

import threading
import zipfile

import pytest
from PIL import Image
from PySide6.QtCore import QThread

from ftgui.core.errors import UserError
from ftgui.gui.shared.tasks import BackgroundTask, TaskState


def test_a_result_arrives_on_the_gui_thread_after_its_progress(qtbot):
    task = BackgroundTask()
    progress, threads = [], []

    def work(state: TaskState) -> int:
        threads.append(QThread.currentThread())
        for done in range(1, 6):
            state.set_progress(done, 5)
        return 42

    task.progressed.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(task.succeeded, timeout=5000) as result:
        task.start(work)
        assert task.is_running()
    assert result.args == [42]
    assert progress == [(n, 5) for n in range(1, 6)]
    assert threads[0] is not QThread.currentThread()  # it ran elsewhere
    assert not task.is_running()


def test_an_exception_in_the_task_arrives_as_failed(qtbot):
    task = BackgroundTask()

    def work(state: TaskState) -> None:
        raise UserError("The folder is gone; choose another.")

    with qtbot.waitSignal(task.failed, timeout=5000) as failure:
        task.start(work)
    assert str(failure.args[0]) == "The folder is gone; choose another."


def test_a_replaced_task_is_cancelled_and_its_late_result_dropped(qtbot):
    task = BackgroundTask()
    release, saw_cancel = threading.Event(), threading.Event()
    results = []
    task.succeeded.connect(results.append)

    def slow(state: TaskState) -> str:
        release.wait(5)
        if state.is_cancelled():
            saw_cancel.set()
        return "stale"

    task.start(slow)
    with qtbot.waitSignal(task.succeeded, timeout=5000):
        task.start(lambda state: "fresh")
    release.set()
    assert saw_cancel.wait(5)
    qtbot.wait(200)  # the stale result has had time to arrive, and must not
    assert results == ["fresh"]


def test_a_cancelled_task_reports_nothing(qtbot):
    task = BackgroundTask()
    started, release = threading.Event(), threading.Event()
    reports = []
    for signal in (task.succeeded, task.failed, task.progressed):
        signal.connect(lambda *args: reports.append(args))

    def work(state: TaskState) -> str:
        started.set()
        release.wait(5)
        state.set_progress(1, 2)  # raises Cancelled: the task stops here
        return "never"

    task.start(work)
    assert started.wait(5)
    task.cancel()
    release.set()
    qtbot.wait(300)
    assert reports == [] and not task.is_running()


def _tiny_kaggle_zip(tmp_path, per_class: int):
    image = tmp_path / "x.jpg"
    Image.new("RGB", (8, 8), "white").save(image)
    archive = tmp_path / "train.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for n in range(per_class):
            for animal in ("cat", "dog"):
                zf.write(image, f"train/{animal}.{n}.jpg")
    return archive


def test_cancelling_the_kaggle_import_leaves_no_half_dataset(tmp_path):
    from ftgui.core.data.kaggle import import_dogs_vs_cats
    from ftgui.gui.shared.tasks import Cancelled

    archive = _tiny_kaggle_zip(tmp_path, 40)
    out = tmp_path / "dogs-vs-cats"
    state = TaskState(lambda *report: None)

    def progress(done: int, total: int) -> None:
        if done == 25:
            state.cancel()
        state.set_progress(done, total)

    with pytest.raises(Cancelled):
        import_dogs_vs_cats(archive, out, {"train": 10, "validation": 5, "test": 5}, progress)
    assert not out.exists()  # created by the import, removed with everything in it


def test_the_window_cancels_an_import_and_stays_usable(qtbot, tmp_path):
    from ftgui.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    archive = _tiny_kaggle_zip(tmp_path, 2000)
    out = tmp_path / "dogs-vs-cats"
    before = window.settings_panel.data_edit.text()
    window.files.import_kaggle(str(archive), str(out))
    qtbot.waitUntil(lambda: (out / "train").exists(), timeout=10_000)
    window.files.cancel_import()
    qtbot.waitUntil(lambda: not out.exists(), timeout=10_000)
    assert window.settings_panel.data_edit.text() == before  # nothing filled in
    assert window.files.import_progress is None and window.last_error is None
