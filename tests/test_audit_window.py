"""Issue 21 in the window: the Audit tab (review gallery, pairs, decisions, Apply / Undo), its
entry points, and the analysis process's AuditRequest. Fast tests write an audit's three files
by hand and answer for the process; the slow one audits a tiny dataset in-process."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from ftgui.core.audit.files import IssueRow, PairRow, pair_order, read_audit, write_audit
from ftgui.core.data.decisions import (
    EXCLUDE,
    KEEP,
    RELABEL,
    Decision,
    decide,
    read_decisions,
    read_undo,
)
from ftgui.core.errors import UserError
from ftgui.core.events import Status
from ftgui.core.paths import runs_dir
from ftgui.core.service.analysis_process import AuditRequest, ModelCache, handle
from ftgui.core.settings.config import RunConfig
from ftgui.gui.audit.folder_actions import confirmation_text
from ftgui.gui.audit.issue_model import DecisionRole
from ftgui.gui.audit.view import AuditView, header_text
from ftgui.gui.results.view import ResultsView
from tests.images import make_book_dataset
from tests.test_report_window import AnsweringClient
from tests.test_results_detail_fixes import make_run

CLASSES = ("cat", "dog")


def write_hand_audit(folder: Path, data: Path) -> tuple[list[IssueRow], list[PairRow]]:
    """Three flagged images (written out of rank order) and two pairs, a leak among them."""
    cats, dogs = (
        sorted((data / "train" / "cat").iterdir()),
        sorted((data / "train" / "dog").iterdir()),
    )
    val_cat, test_dog = sorted((data / "validation" / "cat").iterdir()), (data / "test" / "dog")
    issues = [
        IssueRow(str(dogs[0]), "train", "dog", "cat", 0.20, 3),
        IssueRow(str(cats[0]), "train", "cat", "dog", 0.01, 1),
        IssueRow(str(val_cat[0]), "validation", "cat", "dog", 0.05, 2),
    ]
    pairs = sorted(
        [
            PairRow(str(cats[1]), "train", str(cats[2]), "train", 0.97, "near"),
            PairRow(
                str(sorted(test_dog.iterdir())[0]), "test", str(dogs[1]), "train", 1.0, "exact"
            ),
        ],
        key=pair_order,
    )
    summary = {
        "classes": list(CLASSES),
        "images": 24,
        "counts": {"train": [6, 6], "validation": [3, 3], "test": [3, 3]},
        "imbalance": {"largest": 6, "smallest": 3, "ratio": 2.0},
        "probabilities": {issue.path: [0.3, 0.7] for issue in issues},
        "dataset": str(data),
        "seconds": 1.5,
    }
    write_audit(folder, issues, pairs, summary)
    return issues, pairs


@pytest.fixture
def audited(tmp_path: Path) -> tuple[Path, Path]:
    """(dataset folder, audit folder)."""
    data = make_book_dataset(tmp_path / "data", CLASSES, (6, 3, 3))
    write_hand_audit(tmp_path / "audit", data)
    return data, tmp_path / "audit"


@pytest.fixture
def view(qtbot) -> tuple[AuditView, AnsweringClient]:
    client = AnsweringClient()
    shown = AuditView(client)
    qtbot.addWidget(shown)
    shown.resize(1200, 800)
    return shown, client


def open_audit(view: AuditView, qtbot, folder: Path) -> None:
    view.load(folder)
    qtbot.waitUntil(lambda: view.loaded is not None, timeout=5000)


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_the_audit_shows_counts_errors_most_likely_first_and_leaks_first(view, qtbot, audited):
    shown, _ = view
    _, folder = audited
    open_audit(shown, qtbot, folder)
    header = shown.header.text()
    assert "24 images (train 12, validation 6, test 6)" in header
    assert "<b>3</b> likely label errors" in header
    assert "<b>1</b> leak between splits (1 test↔train)" in header
    assert "1 duplicate pair within a split" in header
    assert "largest class 6, smallest 3 (×2.0)" in header
    model = shown.issues.issue_model
    assert [issue.rank for issue in model.issues] == [1, 2, 3]
    assert model.index(0).data() == "#1 cat → dog"
    assert "cat 0.30, dog 0.70" in model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    pairs = shown.pairs.pair_model
    assert pairs.pairs[0].leak and not pairs.pairs[1].leak
    assert pairs.index(0).data().startswith("LEAK test ↔ train · exact · similarity 1.000")
    assert pairs.index(1).data().startswith("within train · near")
    assert shown.folder.apply_button.isEnabled() and not shown.folder.undo_button.isEnabled()
    assert [a.text() for a in shown.relabel_menu.actions()] == ["1  cat", "2  dog"]


def test_review_keys_write_each_decision_at_once_and_move_on(view, qtbot, audited):
    shown, _ = view
    data, folder = audited
    open_audit(shown, qtbot, folder)
    issues, model = shown.issues, shown.issues.issue_model
    issues.setFocus()
    qtbot.keyClick(issues, Qt.Key.Key_K)
    first = model.relative_path(model.issues[0])
    assert read_decisions(data) == {first: Decision(first, KEEP, "")}
    assert issues.currentIndex().row() == 1
    qtbot.keyClick(issues, Qt.Key.Key_E)
    second = model.relative_path(model.issues[1])
    assert read_decisions(data)[second] == Decision(second, EXCLUDE, "")
    qtbot.keyClick(issues, Qt.Key.Key_R)
    assert "Relabel to: 1 cat · 2 dog" in shown.hint.text()
    qtbot.keyClick(issues, Qt.Key.Key_1)
    third = model.relative_path(model.issues[2])
    assert read_decisions(data)[third] == Decision(third, RELABEL, "cat")
    assert model.index(2).data(DecisionRole) == Decision(third, RELABEL, "cat")
    assert "3 decided" in shown.issues_title.text()
    issues.setCurrentIndex(model.index(0))
    qtbot.keyClick(issues, Qt.Key.Key_R)
    qtbot.keyClick(issues, Qt.Key.Key_Escape)  # never mind: a number now relabels nothing
    qtbot.keyClick(issues, Qt.Key.Key_2)
    assert read_decisions(data)[first].action == KEEP
    assert not issues.armed and shown.hint.text().startswith("Keys:")


def test_buttons_and_the_relabel_menu_decide_for_the_whole_selection(view, qtbot, audited):
    shown, _ = view
    data, folder = audited
    open_audit(shown, qtbot, folder)
    model, selection = shown.issues.issue_model, shown.issues.selectionModel()
    selection.clearSelection()
    for row in (0, 2):
        selection.select(model.index(row), QItemSelectionModel.SelectionFlag.Select)
    shown.exclude_button.click()
    chosen = [model.relative_path(model.issues[row]) for row in (0, 2)]
    assert {p: d.action for p, d in read_decisions(data).items()} == dict.fromkeys(chosen, EXCLUDE)
    shown.relabel_menu.actions()[1].trigger()
    assert {d.label for d in read_decisions(data).values()} == {"dog"}
    assert model.decision_of(1) is None and "2 decided" in shown.issues_title.text()


def test_apply_lists_what_moves_moves_on_yes_and_undo_restores_every_file(view, qtbot, audited):
    shown, _ = view
    data, folder = audited
    open_audit(shown, qtbot, folder)
    model = shown.issues.issue_model
    cat, dog = model.issues[0], model.issues[2]  # train/cat/… and train/dog/…
    decide(
        data,
        [
            Decision(model.relative_path(cat), EXCLUDE),
            Decision(model.relative_path(dog), RELABEL, "cat"),
        ],
    )
    before = files_in(data)
    asked: list[list[str]] = []
    shown.folder.confirm = lambda root, moves: asked.append([m.target for m in moves]) or False
    shown.folder.apply_button.click()
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    cat_name, dog_name = Path(cat.path).name, Path(dog.path).name
    assert sorted(asked[0]) == sorted([f"_excluded/train/cat/{cat_name}", f"train/cat/{dog_name}"])
    assert files_in(data) == before  # declined: nothing moved
    shown.folder.confirm = lambda root, moves: True
    with qtbot.waitSignal(shown.folder_changed, timeout=5000):
        shown.folder.apply_button.click()
    moved = files_in(data)
    assert f"_excluded/train/cat/{cat_name}" in moved and f"train/cat/{dog_name}" in moved
    assert len(moved - {"ftgui-undo.csv"}) == len(before)  # nothing deleted
    assert "Moved 2 images" in shown.status.text()
    assert shown.folder.undo_button.isEnabled() and read_undo(data)
    with qtbot.waitSignal(shown.folder_changed, timeout=5000):
        shown.folder.undo_button.click()
    assert files_in(data) == before
    assert "Moved 2 files back" in shown.status.text()
    assert not shown.folder.undo_button.isEnabled()


def test_the_confirmation_names_every_move_and_says_nothing_is_deleted(tmp_path):
    from ftgui.core.data.decisions import Move

    moves = [Move(f"train/cat/{i}.png", f"_excluded/train/cat/{i}.png") for i in range(14)]
    moves.append(Move("train/cat/x.png", "train/dog/x.png"))
    question, first, every = confirmation_text(tmp_path, moves)
    assert "Move 15 images" in question and "14 excluded" in question
    assert "1 relabelled" in question and "Nothing is deleted" in question
    assert "… and 3 more" in first and len(every.splitlines()) == 15


def test_an_audit_runs_in_the_background_and_cancel_drops_its_answer(view, qtbot, audited):
    shown, client = view
    data, folder = audited
    release = threading.Event()

    def slow(request, status):
        status("Computing the base's pooled outputs of 24 images…")
        release.wait(5)
        return SimpleNamespace(folder=folder)

    client.answer = slow
    config = RunConfig(data_dir=str(data), weights="none")
    shown.audit_config(config)
    request = client.requests[-1]
    assert isinstance(request, AuditRequest) and request.config.data_dir == str(data)
    assert Path(request.out).parent == runs_dir() and Path(request.out).name.startswith("audit-")
    assert shown.is_running() and not shown.cancel_button.isHidden()
    qtbot.waitUntil(lambda: "pooled outputs" in shown.status.text(), timeout=5000)
    shown.cancel_button.click()
    assert client.cancelled == 1 and shown.cancel_button.isHidden()
    assert shown.status.text() == "Audit cancelled; nothing written."
    release.set()
    qtbot.wait(200)
    assert shown.loaded is None  # the late answer was dropped
    client.answer = lambda request, status: SimpleNamespace(folder=folder)
    shown.audit_button.click()  # Audit again: the same dataset
    assert client.requests[-1].config.data_dir == str(data)
    qtbot.waitUntil(lambda: shown.loaded is not None, timeout=5000)
    assert len(shown.issues.issue_model.issues) == 3 and shown.audit_button.text() == "Audit again"


def test_a_bad_folder_is_one_sentence(view, qtbot):
    shown, client = view
    reason = "Dataset folder /nowhere does not exist; check the path or use --sample."

    def refuse(request, status):
        raise UserError(reason)

    client.answer = refuse
    with qtbot.waitSignal(shown.errored, timeout=5000) as said:
        shown.audit_config(RunConfig(data_dir="/nowhere"))
    assert said.args[0] == reason and shown.status.text() == reason
    assert not shown.is_running() and shown.progress.isHidden()


def test_a_run_shows_its_audit_again_and_one_without_says_so_or_is_audited(view, qtbot, tmp_path):
    shown, client = view
    data = make_book_dataset(tmp_path / "data", CLASSES, (6, 3, 3))
    run = tmp_path / "run"
    write_hand_audit(run / "audit", data)
    shown.show_run(str(run))
    qtbot.waitUntil(lambda: shown.loaded is not None, timeout=5000)
    assert shown.loaded.audit.folder == run / "audit" and shown.audit_button.isEnabled()
    other = tmp_path / "other"
    other.mkdir()
    shown.show_run(str(other))
    qtbot.waitUntil(lambda: "has no audit yet" in shown.status.text(), timeout=5000)
    assert shown.loaded is None and not client.requests
    shown.show_run(str(other), audit_if_missing=True)
    qtbot.waitUntil(lambda: bool(client.requests), timeout=5000)
    assert client.requests == [AuditRequest(str(other / "audit"), run_dir=str(other))]


def test_the_window_audits_the_dataset_field_and_the_open_run(window, qtbot, tmp_path):
    client = AnsweringClient()
    window.audit.client = client
    data = make_book_dataset(tmp_path / "data", CLASSES, (6, 3, 3))
    panel = window.settings_panel
    assert not panel.audit_button.isEnabled()  # no dataset yet
    panel.data_edit.setText(str(data))
    panel.check_dataset()
    qtbot.waitUntil(lambda: panel.audit_button.isEnabled(), timeout=5000)
    panel.audit_button.click()
    assert window.tabs.currentWidget() is window.audit
    assert client.requests[-1].config.data_dir == str(data)
    window.audit.cancel()
    run = tmp_path / "run"
    write_hand_audit(run / "audit", data)
    window.results.show_run(str(run))  # as opening a run does: its audit is shown again
    qtbot.waitUntil(lambda: window.audit.loaded is not None, timeout=5000)
    window.tabs.setCurrentWidget(window.page)
    window.results.audit_requested.emit(str(run))
    assert window.tabs.currentWidget() is window.audit
    assert window.tabs.tabText(window.tabs.indexOf(window.results) + 1) == "A&udit"


def test_the_results_tab_asks_for_the_open_runs_audit(qtbot, tmp_path):
    from tests.test_results_detail_fixes import FakeClient

    results = ResultsView(FakeClient())
    qtbot.addWidget(results)
    assert not results.audit_button.isEnabled()
    run = make_run(tmp_path / "run", tmp_path / "images")
    with qtbot.waitSignal(results.run_shown, timeout=1000) as shown:
        results.show_run(str(run))
    assert shown.args == [str(run)]
    qtbot.waitUntil(lambda: results.audit_button.isEnabled(), timeout=5000)
    with qtbot.waitSignal(results.audit_requested, timeout=1000) as asked:
        results.audit_button.click()
    assert asked.args == [str(run)]


def test_header_text_counts_leaks_test_train_first():
    pairs = [
        PairRow("a", "test", "b", "validation", 1.0, "exact"),
        PairRow("c", "train", "d", "test", 0.9, "near"),
        PairRow("e", "train", "f", "train", 0.9, "near"),
    ]
    summary = {
        "images": 9,
        "counts": {"train": [3]},
        "imbalance": {"largest": 3, "smallest": 1, "ratio": 3.0},
    }
    text = header_text(summary, [], pairs)
    assert (
        "<b>0</b> likely label errors" in text
        and "<b>2</b> leaks between splits (1 test↔train)" in text
    )
    assert "(×3.0)" in text


@pytest.mark.slow
def test_the_analysis_process_audits_a_dataset_and_the_tab_shows_it(view, qtbot, tmp_path):
    shown, _ = view
    data = make_book_dataset(tmp_path / "data", CLASSES, (8, 4, 4))
    config = RunConfig(data_dir=str(data), weights="none", image_size=32)
    sent: list[object] = []
    stop = threading.Event()
    stop.set()  # stopped: nothing written
    out = tmp_path / "audit"
    assert handle(AuditRequest(str(out), config=config), ModelCache(), sent.append, stop) is None
    assert not (out / "audit.json").exists()
    stop.clear()
    outcome = handle(
        AuditRequest(str(out), config=config, folds=2), ModelCache(), sent.append, stop
    )
    assert outcome.folder == out and (out / "label_issues.csv").is_file()
    assert any(isinstance(s, Status) and "pooled outputs" in s.text for s in sent)
    stored = read_audit(out)
    assert stored.summary["folds"] == 2 and stored.summary["dataset"] == str(data)
    open_audit(shown, qtbot, out)
    assert shown.issues.issue_model.issues == sorted(stored.issues, key=lambda i: i.rank)
    assert shown.pairs.pair_model.pairs == stored.pairs
    with pytest.raises(UserError, match="does not exist"):
        handle(
            AuditRequest(str(out), run_dir=str(tmp_path / "nope")), ModelCache(), sent.append, stop
        )
