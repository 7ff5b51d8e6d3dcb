"""Guards against PySide6 builds that leak references to None or True (6.12.0 aborts with
"none_dealloc" after a few thousand processEvents calls; pyproject pins it out)."""

import sys

from PySide6.QtWidgets import QLabel


def test_processing_events_keeps_the_refcounts_of_none_and_true(qapp):
    label = QLabel("x")
    label.show()
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        qapp.processEvents()
    after = sys.getrefcount(None), sys.getrefcount(True)
    assert after[0] - before[0] > -100 and after[1] - before[1] > -100, (before, after)
