"""Thumbnails loaded in the background, on demand, with a bounded cache.

`QImageReader.setScaledSize` lets the JPEG decoder skip most of the work, so a thumbnail
costs a few milliseconds even for a 12-megapixel photo. Reading happens in a pool thread
(QImage is safe off the GUI thread); the QPixmap is made in the GUI thread on arrival.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

THUMB = 56  # pixels, the longer side


def read_scaled(file: Path, longest: int) -> QImage:
    """The image (EXIF orientation applied) scaled so its longer side is `longest`."""
    reader = QImageReader(str(file))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > longest:
        # The scaled size applies before the EXIF rotation, so the raw size is the right base.
        size.scale(longest, longest, Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(size)
    image = reader.read()
    if not image.isNull() and max(image.width(), image.height()) > longest:
        image = image.scaled(longest, longest, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image


class _Signals(QObject):
    loaded = Signal(int, int, QImage)  # generation, key, image


class _Load(QRunnable):
    def __init__(self, key: int, file: Path, longest: int, signals: _Signals,
                 generation: int):
        super().__init__()
        self.key, self.file, self.longest, self.signals = key, file, longest, signals
        self.generation = generation

    def run(self) -> None:
        self.signals.loaded.emit(self.generation, self.key,
                                 read_scaled(self.file, self.longest))


class ThumbnailCache(QObject):
    """`get(key, file)` returns a pixmap or None (and starts loading it)."""

    thumbnail_ready = Signal(int)

    def __init__(self, pool: QThreadPool, longest: int = THUMB, capacity: int = 3000,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.pool = pool
        self.longest = longest
        self.capacity = capacity
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0  # reads started before a clear() are ignored when they land
        self._signals = _Signals()
        self._signals.loaded.connect(self._on_loaded)

    def get(self, key: int, file: Path) -> QPixmap | None:
        pix = self._cache.get(key)
        if pix is not None:
            self._cache.move_to_end(key)
            return pix
        if key not in self._pending:
            self._pending.add(key)
            self.pool.start(_Load(key, file, self.longest, self._signals, self._generation))
        return None

    def invalidate(self, key: int) -> None:
        self._cache.pop(key, None)

    def clear(self) -> None:
        self.pool.clear()  # reads not yet started
        self._cache.clear()
        self._pending.clear()
        self._generation += 1

    def _on_loaded(self, generation: int, key: int, image: QImage) -> None:
        if generation != self._generation:
            return
        self._pending.discard(key)
        self._cache[key] = QPixmap.fromImage(image) if not image.isNull() else QPixmap()
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        self.thumbnail_ready.emit(key)
