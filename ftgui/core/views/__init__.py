"""Qt-free state of the window's views (timelines, time left, results read back): tested
without a display."""
