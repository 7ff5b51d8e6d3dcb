"""The report as one HTML page: every part escaped, figures inline SVG, pictures data URIs,
no script and nothing loaded from anywhere."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ftgui.core.report.facts import ReportFacts
from ftgui.core.report.figures import curve_svg, reliability_svg
from ftgui.core.report.hardest import HardImage

STYLE = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:980px;color:#222;line-height:1.4}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;border-bottom:1px solid #ddd;padding-top:8px}
.summary{background:#f4f6fb;padding:10px 14px;border-radius:6px}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:right}th{background:#f6f6f6}td.l,th.l{text-align:left}
code,pre{background:#f6f6f6;padding:2px 4px;border-radius:3px;white-space:pre-wrap;
word-break:break-all}.figs{display:flex;flex-wrap:wrap;gap:12px}
.hard{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px}
.hard div{border:1px solid #ddd;border-radius:4px;padding:4px;font-size:12px}
.hard img{width:88px;height:auto;margin-right:2px}.muted{color:#666}
.hard span{overflow-wrap:anywhere}
"""


def render(facts: ReportFacts, hardest: Sequence[HardImage]) -> str:
    """The whole page."""
    sections = [
        _summary(facts),
        _settings(facts),
        _curves(facts),
        _scores(facts),
        _hardest(facts, hardest),
        _calibration(facts),
        _dataset(facts),
        _audit(facts),
        _environment(facts),
        _limits(facts),
    ]
    title = f"ftgui report: {facts.run_name}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{''.join(sections)}"
        f'<p class="muted">Written by ftgui on {escape(facts.written)}.</p></body></html>\n'
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], left: int = 1) -> str:
    """An HTML table; the first `left` columns are text, the rest numbers."""

    def cell(tag: str, index: int, value: object) -> str:
        css = ' class="l"' if index < left else ""
        return f"<{tag}{css}>{escape(_text(value))}</{tag}>"

    head = "".join(cell("th", i, v) for i, v in enumerate(header))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _summary(facts: ReportFacts) -> str:
    return f'<p class="summary">{escape(facts.summary_line())}</p>'


def _settings(facts: ReportFacts) -> str:
    phases = [
        (p.name, p.epochs, f"{p.learning_rate:g}", p.optimizer, p.trainable) for p in facts.phases
    ]
    settings = _table(("setting", "value"), facts.settings, left=2)
    return (
        "<h2>Settings and how to reproduce the run</h2>"
        f"<p>Same settings again: <code>{escape(facts.config_command)}</code><br>"
        f"As flags: <code>{escape(facts.flag_command)}</code></p>"
        + _table(("phase", "epochs", "learning rate", "optimizer", "trains"), phases, left=5)
        + settings
    )


def _curves(facts: ReportFacts) -> str:
    if not facts.history:
        return "<h2>Curves</h2><p>No epoch finished.</p>"
    loss = curve_svg(facts.history, "loss", "loss per epoch")
    accuracy = curve_svg(facts.history, "accuracy", "accuracy per epoch")
    best = "".join(f"<li>{escape(line)}</li>" for line in facts.best_lines)
    return (
        "<h2>Curves (one timeline, a band per phase)</h2>"
        f'<div class="figs">{loss}{accuracy}</div><ul>{best}</ul>'
    )


def _scores(facts: ReportFacts) -> str:
    evaluation = facts.evaluation
    if evaluation is None:
        return "<h2>Scores</h2><p>The run holds no evaluation.</p>"
    per_class = [
        (name, s["precision"], s["recall"], s["f1"], int(s["support"]))
        for name, s in evaluation.per_class.items()
    ]
    confusion = [
        (name, *row) for name, row in zip(evaluation.classes, evaluation.confusion, strict=True)
    ]
    return (
        f"<h2>Scores of {escape(evaluation.model)} on the {escape(evaluation.split)} split</h2>"
        f"<p>Accuracy {evaluation.accuracy:.4f}, loss {evaluation.loss:.4f} on "
        f"{len(evaluation.images)} images.</p>"
        + _table(("class", "precision", "recall", "F1", "support"), per_class)
        + "<p>Confusion matrix (rows: true class, columns: predicted class)</p>"
        + _table(("true \\ predicted", *evaluation.classes), confusion)
    )


def _hardest(facts: ReportFacts, hardest: Sequence[HardImage]) -> str:
    if not hardest:
        return ""
    cards = []
    for image in hardest:
        pictures = "".join(
            f'<img alt="{alt}" src="{uri}">'
            for alt, uri in (("image", image.image_uri), ("Grad-CAM", image.gradcam_uri))
            if uri
        )
        verdict = "right" if image.label == image.predicted else "wrong"
        shown = escape(_short_path(image.path, facts))
        cards.append(
            f"<div>{pictures}<br><b>{escape(image.label)}</b> → {escape(image.predicted)} "
            f"({image.confidence:.2f}, {verdict}), loss {image.loss:.3f}<br>"
            f'<span class="muted" title="{escape(image.path)}">{shown}</span></div>'
        )
    split = facts.evaluation.split if facts.evaluation else ""
    return (
        f"<h2>The {len(hardest)} hardest {escape(split)} images (highest loss)</h2>"
        "<p>Each with its Grad-CAM overlay for the predicted class (viridis: yellow where the "
        f'model looked most, dark purple least).</p><div class="hard">{"".join(cards)}</div>'
    )


def _short_path(path: str, facts: ReportFacts) -> str:
    """The image's path inside the dataset folder (the whole path when it lies elsewhere)."""
    root = facts.dataset_root
    if root and path.startswith(root.rstrip("/") + "/"):
        return path[len(root.rstrip("/")) + 1 :]
    return path


def _calibration(facts: ReportFacts) -> str:
    calibration = facts.calibration
    if calibration is None:
        return "<h2>Calibration</h2><p>No calibration (the run has no validation scores).</p>"
    rows = [
        (s.split, s.images, s.accuracy, s.ece_before, s.ece_after)
        for s in (calibration.validation, calibration.test)
        if s is not None
    ]
    figure = reliability_svg(calibration.bins, "reliability diagram (validation)")
    return (
        "<h2>Calibration</h2>"
        f"<p>Temperature {calibration.temperature:.4f}, fitted on the validation split "
        f"({'lowest NLL' if calibration.fit == 'nll' else 'lowest ECE'}); the test split was "
        "not used to fit it. ECE: expected calibration error, 15 bins.</p>"
        + _table(("split", "images", "accuracy", "ECE before", "ECE after"), rows)
        + f'<div class="figs">{figure}</div>'
    )


def _dataset(facts: ReportFacts) -> str:
    counts = [(split, *per_class) for split, per_class in facts.counts.items() if per_class]
    skipped = "".join(
        f"<li>{escape(s.get('path', ''))}: {escape(s.get('reason', ''))}</li>"
        for s in facts.skipped
    )
    warnings = "".join(f"<li>{escape(w)}</li>" for w in facts.warnings)
    return (
        f"<h2>Dataset</h2><p>{escape(facts.dataset_name)}</p>"
        + _table(("split", *facts.class_names), counts)
        + (f"<p>Skipped files:</p><ul>{skipped}</ul>" if skipped else "<p>No file skipped.</p>")
        + (f"<p>Warnings:</p><ul>{warnings}</ul>" if warnings else "")
    )


def _audit(facts: ReportFacts) -> str:
    if not facts.audit:
        return ""
    parts = ["<h2>Dataset audit</h2>"]
    for title, (header, rows, total) in facts.audit.items():
        parts.append(f"<p>{escape(title)}: {total}</p>")
        if rows:
            parts.append(_table(header, rows, left=len(header)))
    return "".join(parts)


def _environment(facts: ReportFacts) -> str:
    versions = "".join(
        f"<li>{escape(name)}: {escape(version or 'not installed')}</li>"
        for name, version in facts.versions.items()
    )
    return (
        "<h2>Environment and time</h2>"
        f"<p>Versions and device of the machine that wrote this report: {escape(facts.device)}"
        f"</p><ul>{versions}</ul>"
        + _table(("phase", "epochs", "seconds", "seconds per epoch"), facts.time_rows)
    )


def _limits(facts: ReportFacts) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in facts.limits())
    return f"<h2>Limits of this model</h2><ul>{items}</ul>"
