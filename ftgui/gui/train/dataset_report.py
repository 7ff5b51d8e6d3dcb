"""When the image check skipped files or has warnings, list them in a dialog that does not block."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ftgui.core.events import RunStarted
from ftgui.gui.shared.event_handlers import EventView, handles


def report_text(report: dict) -> tuple[str, str] | None:
    """(text, details) for a run's image-check report, or None when there is nothing to say."""
    skipped, warnings = report.get("skipped", []), report.get("warnings", [])
    if not skipped and not warnings:
        return None
    text = f"{len(skipped)} files cannot be used and were skipped; training goes on."
    if warnings:
        text += " Also: " + "; ".join(warnings) + "."
    details = "\n".join(f"{r['path']}: {r['reason']}" for r in skipped) or "\n".join(warnings)
    return text, details


class DatasetReportNotice(EventView):
    """Shows the report carried by a run's RunStarted event; `box` is the last dialog shown."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.box: QMessageBox | None = None

    @handles(RunStarted)
    def _run_started(self, event: RunStarted) -> None:
        found = report_text(event.dataset_report)
        if found is None:
            return
        text, details = found
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "ftgui: dataset report",
            text,
            QMessageBox.StandardButton.Ok,
            self.parent,
        )
        box.setDetailedText(details)
        box.setModal(False)
        self.box = box
        box.show()
