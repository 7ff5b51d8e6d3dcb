"""The Audit tab's place in the window: a tab beside Results, opened from the Dataset field's
Audit… button (the Train tab's dataset) and from the Results tab (the open run's dataset); a run
opened in Results shows its `RUN/audit/` here again."""

from __future__ import annotations

from typing import Any

from ftgui.gui.audit.view import AuditView


def attach_audit(window: Any) -> AuditView:
    """Make the Audit tab of `window` (a MainWindow) and wire its entry points."""
    view = AuditView(window.analysis)
    tabs, results, panel = window.tabs, window.results, window.settings_panel
    tabs.insertTab(tabs.indexOf(results) + 1, view, "A&udit")

    def audit_dataset() -> None:
        view.audit_config(window.current_config())
        tabs.setCurrentWidget(view)

    def audit_run(run_dir: str) -> None:
        view.show_run(run_dir, audit_if_missing=True)
        tabs.setCurrentWidget(view)

    panel.audit_requested.connect(audit_dataset)
    results.audit_requested.connect(audit_run)
    results.run_shown.connect(view.show_run)
    view.errored.connect(window.show_error)
    view.folder_changed.connect(panel.check_dataset)  # the Train tab counts the images again
    return view
