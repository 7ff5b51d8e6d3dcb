"""Thumbnails read off the GUI thread, newest request first, kept in a cache by path.

Workers only decode (`QImageReader` with `setScaledSize` into a `QImage`, which is safe off the GUI
thread); the `QPixmap` is made on the GUI thread when the image arrives. Requests are a stack, so
the rows a person scrolled to last load first; `cancel` drops everything not yet started.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPixmap

THUMBNAIL_SIZE = 128
CACHE_BYTES = 256 * 1024 * 1024  # about 4,000 thumbnails of 128×128
WORKERS = 1 if (os.cpu_count() or 1) <= 2 else 2  # leave the GUI thread a core

_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ftgui-thumbnail")


def read_thumbnail(path: str, size: int = THUMBNAIL_SIZE) -> QImage | None:
    """The image at `path` scaled to fit and centred in a transparent `size`×`size` square (so
    every caption lines up), or None if unreadable. Safe on any thread.
    """
    reader = QImageReader(path)
    original = reader.size()
    if original.isValid() and not original.isEmpty():
        reader.setScaledSize(original.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        return None
    if image.width() != size and image.height() != size:  # a format that ignored setScaledSize
        smooth = Qt.TransformationMode.SmoothTransformation
        image = image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, smooth)
    square = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    square.fill(Qt.GlobalColor.transparent)
    painter = QPainter(square)
    painter.drawImage((size - image.width()) // 2, (size - image.height()) // 2, image)
    painter.end()
    return square


def placeholder(text: str, size: int = THUMBNAIL_SIZE) -> QPixmap:
    """A grey square with a word or two on it, for a thumbnail not loaded or not readable."""
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(150, 150, 150))
    painter.setBrush(QColor(128, 128, 128, 40))
    painter.drawRoundedRect(pixmap.rect().adjusted(4, 4, -4, -4), 6, 6)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


class ThumbnailLoader(QObject):
    """`thumbnail(path)` answers from the cache or queues a read; `ready(path)` says it arrived."""

    ready = Signal(str)
    _loaded = Signal(str, object)  # (path, QImage | None), from a worker thread

    def __init__(self, size: int = THUMBNAIL_SIZE, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.size = size
        self.loading = placeholder("…", size)
        self.unreadable = placeholder("cannot read", size)
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._cache_bytes = 0
        self._requested: set[str] = set()  # queued or being read; GUI thread only
        self._stack: list[str] = []  # guarded by _lock; the last one is read first
        self._lock = threading.Lock()
        self._drainers = 0  # worker jobs running for this loader; guarded by _lock
        self._loaded.connect(self._arrived, Qt.ConnectionType.QueuedConnection)

    def thumbnail(self, path: str) -> QPixmap | None:
        """The cached thumbnail (or the "cannot read" placeholder); None after queueing a read."""
        pixmap = self._cache.get(path)
        if pixmap is not None:
            self._cache.move_to_end(path)
            return pixmap
        if path not in self._requested:
            self._requested.add(path)
            with self._lock:
                self._stack.append(path)
                start = self._drainers < WORKERS
                if start:
                    self._drainers += 1
            if start:
                _POOL.submit(self._drain)
        return None

    def cancel(self) -> None:
        """Drop every request not yet being read (reads under way still land in the cache)."""
        with self._lock:
            self._stack.clear()
        self._requested.clear()

    def cached_count(self) -> int:
        return len(self._cache)

    def _drain(self) -> None:
        """Worker: read queued paths, newest first, until none are left."""
        while True:
            with self._lock:
                if not self._stack:
                    self._drainers -= 1
                    return
                path = self._stack.pop()
            try:
                image = read_thumbnail(path, self.size)
            except Exception:  # a reader plug-in's surprise is still "cannot read"
                image = None
            with contextlib.suppress(RuntimeError):  # the loader was deleted meanwhile
                self._loaded.emit(path, image)

    def _arrived(self, path: str, image: QImage | None) -> None:
        self._requested.discard(path)
        pixmap = self.unreadable if image is None else QPixmap.fromImage(image)
        self._cache[path] = pixmap
        self._cache_bytes += _bytes(pixmap)
        while self._cache_bytes > CACHE_BYTES and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= _bytes(old)
        self.ready.emit(path)


def _bytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4
