"""The Audit tab: a dataset's likely label errors and duplicates (issue 21), the decisions taken
on them (`DIR/ftgui-decisions.csv`), and Apply to folder / Undo."""
