"""The dataset audit: label errors, duplicates and leaks on planted faults; the decisions file
honoured by training; Apply to folder and its undo."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.planted_faults import Truth, duplicate_scores, label_scores, planted_dataset
from ftgui.core.audit import duplicates as dup
from ftgui.core.audit.files import PairRow, pair_order
from ftgui.core.audit.label_issues import (
    find_label_issues,
    out_of_sample_probabilities,
    self_confidence_ranking,
)
from ftgui.core.data import decisions as dec
from ftgui.core.data.dataset import find_dataset
from ftgui.core.errors import UserError
from tests.images import make_book_dataset, make_class_folders

# ---- the parts, on numbers ------------------------------------------------------------------


def test_cleanlab_ranks_flipped_labels_first_from_out_of_sample_probabilities() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, (3, 20))
    labels = np.repeat([0, 1, 2], 60)
    features = centres[labels] + rng.normal(0, 1.5, (180, 20))
    flipped = rng.choice(180, 9, replace=False)
    given = labels.copy()
    given[flipped] = (labels[flipped] + 1) % 3
    fitted = np.ones(180, bool)
    fitted[150:] = False  # the last 30 play the test split: scored by a model fitted on the rest
    probabilities = out_of_sample_probabilities(features, given, fitted, 5, 0)
    issues = find_label_issues(given, probabilities)
    top = {issue.index for issue in issues[:18]}
    assert len(top & set(flipped)) >= 8
    assert all(issues[k].self_confidence <= issues[k + 1].self_confidence for k in range(5))
    assert all(issue.suggested == labels[issue.index] for issue in issues if issue.index in flipped)
    assert set(self_confidence_ranking(given, probabilities)[:18]) & set(flipped)


def test_near_copies_pass_an_adaptive_threshold_on_any_scale() -> None:
    rng = np.random.default_rng(1)
    for scale in (1e-3, 1.0, 1e4):  # random and ImageNet weights give very different scales
        rows = rng.normal(5.0, 1.0, (200, 64)) * scale
        rows[199] = rows[3] + rng.normal(0, 0.02, 64) * scale  # a re-saved copy of image 3
        units = dup.unit_directions(rows)
        threshold = dup.adaptive_threshold(dup.nearest_similarities(units))
        pairs = dup.near_pairs(units, threshold.similarity, set())
        assert [(p.a, p.b) for p in pairs] == [(3, 199)], scale


def test_exact_copies_are_found_by_their_bytes(tmp_path: Path) -> None:
    files = []
    for name, content in (("a", b"one"), ("b", b"two"), ("c", b"one"), ("d", b"one")):
        (tmp_path / name).write_bytes(content)
        files.append(str(tmp_path / name))
    assert [(p.a, p.b) for p in dup.exact_pairs(files)] == [(0, 2), (0, 3), (2, 3)]


def test_pairs_across_splits_come_first_test_train_before_the_others() -> None:
    rows = [
        PairRow("a", "train", "b", "train", 0.999, "near"),
        PairRow("c", "validation", "d", "train", 0.99, "near"),
        PairRow("e", "test", "f", "validation", 0.98, "near"),
        PairRow("g", "train", "h", "test", 0.97, "near"),
        PairRow("i", "test", "j", "train", 1.0, "exact"),
    ]
    assert [r.path_a for r in sorted(rows, key=pair_order)] == ["i", "g", "e", "c", "a"]


# ---- the decisions file ---------------------------------------------------------------------


def test_training_honours_decisions_unless_told_to_ignore_them(tmp_path: Path) -> None:
    from ftgui.core.data.sample import resolve_dataset
    from ftgui.core.settings.config import RunConfig

    root = make_book_dataset(tmp_path / "data", ("cats", "dogs"), (6, 3, 3))
    whole = find_dataset(root)
    out, moved = whole.train.files[0], whole.validation.files[1]
    dec.decide(root, [dec.Decision(dec.relative(root, out), dec.EXCLUDE),
                      dec.Decision(dec.relative(root, moved), dec.RELABEL, "dogs"),
                      dec.Decision(dec.relative(root, whole.test.files[0]), dec.KEEP)])  # fmt: skip
    text = (root / dec.DECISIONS_FILE).read_text().splitlines()
    assert text[0] == "path,action,label" and "validation/cats/" in text[3]
    honoured = resolve_dataset(RunConfig(data_dir=str(root)))
    assert out not in honoured.train.files and len(honoured.train) == 11
    assert honoured.validation.labels[honoured.validation.files.index(moved)] == 1
    assert honoured.decisions_note.endswith("1 image excluded, 1 relabelled")
    assert len(honoured.decisions_digest or "") == 64
    ignored = resolve_dataset(RunConfig(data_dir=str(root), ignore_decisions=True))
    assert len(ignored.train) == 12 and ignored.decisions_digest is None


@pytest.mark.parametrize(
    "content, words",
    [
        ("path,action\nx.png,exclude\n", "its header is not path,action,label"),
        ("path,action,label\nx.png,delete,\n", "line 2 has action 'delete'"),
        ("path,action,label\nx.png,relabel,\n", "line 2 relabels without a label"),
    ],
)
def test_a_broken_decisions_file_is_one_sentence(tmp_path: Path, content: str, words: str) -> None:
    root = make_book_dataset(tmp_path / "data", ("cats", "dogs"), (4, 2, 0))
    (root / dec.DECISIONS_FILE).write_text(content)
    with pytest.raises(UserError, match=f"{words}.*--ignore-decisions"):
        dec.apply_decisions(find_dataset(root))


def test_relabelling_to_an_unknown_class_names_the_classes(tmp_path: Path) -> None:
    root = make_book_dataset(tmp_path / "data", ("cats", "dogs"), (4, 2, 0))
    first = find_dataset(root).train.files[0]
    dec.decide(root, [dec.Decision(dec.relative(root, first), dec.RELABEL, "birds")])
    with pytest.raises(UserError, match="'birds', which is not a class of this dataset"):
        dec.apply_decisions(find_dataset(root))


def test_apply_to_folder_moves_without_deleting_and_undo_restores_every_file(
    tmp_path: Path,
) -> None:
    root = make_class_folders(tmp_path / "flat", ("a", "b", "c"), 6)
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.*"))
    dataset = find_dataset(root)
    files = dataset.train.files
    dec.decide(root, [dec.Decision(dec.relative(root, files[0]), dec.EXCLUDE),
                      dec.Decision(dec.relative(root, files[1]), dec.RELABEL, "c")])  # fmt: skip
    planned = dec.planned_moves(dataset)
    relabelled = Path(next(m.target for m in planned if m.target.startswith("c/")))
    assert (root / relabelled).exists()  # c/ has a file of that name: it must not be overwritten
    moved = dec.apply_to_folder(dataset)
    assert [m.source for m in moved] == [m.source for m in planned] and len(moved) == 2
    renamed = relabelled.with_name(f"{relabelled.stem}-2{relabelled.suffix}").as_posix()
    assert renamed in [m.target for m in moved]
    assert any(m.target.startswith("_excluded/") for m in moved)
    assert all((root / m.target).is_file() and not (root / m.source).exists() for m in moved)
    again = find_dataset(root)  # `_excluded` is not a class; the relabelled file is in c/
    assert again.class_names == ["a", "b", "c"] and len(again.train) + len(again.validation) == 17
    assert dec.read_undo(root) == moved
    assert dec.undo_apply(root) == 2 and dec.read_undo(root) == []
    after = sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*.*")
        if p.name not in (dec.DECISIONS_FILE,)
    )  # fmt: skip
    assert after == before


# ---- the command, on planted faults ---------------------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth, Path, str]:
    """`python main.py audit` (in-process: the command's own entry point) on 270 digits with
    11 flipped labels and 12 copies of test images in train: (data, truth, audit, stdout)."""
    from ftgui.cli.audit import audit_main

    root = tmp_path_factory.mktemp("planted")
    truth = planted_dataset(root / "data", per_class=90)
    out = root / "audit"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = audit_main(["--data", str(root / "data"), "--weights", "none", "--image-size",
                           "32", "--out", str(out)])  # fmt: skip
    assert code == 0
    return root / "data", truth, out, printed.getvalue()


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or []), list(reader)


@pytest.mark.slow
def test_the_audit_finds_the_planted_label_errors_near_the_top(planted) -> None:
    _, truth, out, stdout = planted
    header, rows = _rows(out / "label_issues.csv")
    assert header == ["path", "split", "label", "suggested", "self_confidence", "rank"]
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    precision, recall = label_scores([r["path"] for r in rows], truth)
    assert recall >= 0.8 and precision >= 0.6, (precision, recall)
    mislabelled = [r for r in rows if r["path"] in truth.mislabelled]
    assert all(r["suggested"] != r["label"] for r in mislabelled)
    assert f"{len(rows)} likely label errors (of 282 images" in stdout, stdout


@pytest.mark.slow
def test_the_audit_finds_exact_and_re_saved_copies_with_few_false_pairs(planted) -> None:
    _, truth, out, stdout = planted
    header, rows = _rows(out / "duplicates.csv")
    assert header == ["path_a", "split_a", "path_b", "split_b", "similarity", "kind"]
    recall, false_pairs = duplicate_scores([(r["path_a"], r["path_b"]) for r in rows], truth)
    assert recall["exact"] == 1.0 and recall["jpeg"] + recall["resized"] >= 1.5, recall
    assert false_pairs <= 3
    exact = [r for r in rows if r["kind"] == "exact"]
    assert len(exact) == 4 and all(float(r["similarity"]) == 1.0 for r in exact)
    leaks = [r["split_a"] != r["split_b"] for r in rows]
    assert leaks == sorted(leaks, reverse=True)  # leaks first
    count = sum(leaks)
    assert f"{count} leaks between splits ({count} test↔train)" in stdout and count >= 10


@pytest.mark.slow
def test_audit_json_says_how_it_was_done(planted) -> None:
    _, _, out, _ = planted
    summary = json.loads((out / "audit.json").read_text())
    assert summary["classes"] == ["digit_0", "digit_1", "digit_2"] and summary["folds"] == 5
    assert set(summary["counts"]) == {"train", "validation", "test"}
    assert summary["imbalance"]["ratio"] >= 1.0 and summary["seconds"] > 0
    assert summary["flagged"] == len(summary["probabilities"])
    for space in ("thumbnails", "outputs"):
        assert 0 < summary["threshold"][space]["similarity"] < 1
        assert "robust SDs" in summary["threshold"][space]["rule"]
    assert "cleanlab" in summary["method"]["ranking"]


def test_bad_audit_input_is_one_sentence_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from ftgui.cli.audit import audit_main

    assert audit_main(["--data", str(tmp_path / "nope"), "--weights", "none"]) == 2
    assert audit_main([str(tmp_path), "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "not both" in err[1] and "Traceback" not in "".join(err)
    with pytest.raises(SystemExit) as exit_:
        audit_main(["--sample", "--folds", "1"])
    assert exit_.value.code == 2


@pytest.mark.slow
def test_a_run_says_what_the_decisions_changed_and_records_their_digest(tmp_path: Path) -> None:
    from ftgui.core.events import Status
    from ftgui.core.run.whole_run import run
    from ftgui.core.settings.config import RunConfig

    root = make_book_dataset(tmp_path / "data", ("cats", "dogs"), (9, 4, 0))
    first = find_dataset(root).train.files[0]
    dec.decide(root, [dec.Decision(dec.relative(root, first), dec.EXCLUDE)])
    config = RunConfig(data_dir=str(root), out_dir=str(tmp_path / "run"), weights="none",
                       image_size=32, batch_size=8)  # fmt: skip
    config.phases[0].epochs, config.phases[1].epochs = 1, 1
    texts: list[str] = []
    run(config, lambda event: texts.append(event.text) if isinstance(event, Status) else None)
    assert "Dataset decisions (ftgui-decisions.csv): 1 image excluded, 0 relabelled" in texts
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["decisions_digest"] == dec.digest(root) and saved["ignore_decisions"] is False
    assert RunConfig.load(tmp_path / "run" / "config.json").data_dir == str(root)  # still loads
    report = json.loads((tmp_path / "run" / "dataset_report.json").read_text())
    assert report["counts"]["train"] == [8, 9]  # the excluded cat is not trained on
