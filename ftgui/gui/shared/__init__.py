"""Widgets and helpers every tab uses: elided labels, folds, background tasks, thumbnails,
the window's own settings, plot export."""
