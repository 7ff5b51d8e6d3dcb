"""Audit a dataset before trusting a model: likely label errors (cross-validated classifiers on
the frozen base's pooled outputs, ranked by cleanlab) and duplicates (exact file copies, and near
copies by the similarity of those outputs), written to label_issues.csv, duplicates.csv and
audit.json."""
