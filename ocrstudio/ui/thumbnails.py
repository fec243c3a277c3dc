"""Thumbnails loaded in the background, on demand, with a bounded cache.

`QImageReader.setScaledSize` lets the JPEG decoder skip most of the work, so a thumbnail
costs a few milliseconds even for a 12-megapixel photo. Reading happens in a pool thread,
as a `workers.Worker` (QImage is safe off the GUI thread); the QPixmap is made in the GUI
thread on arrival.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap, QTransform

from ocrstudio.ui.workers import Worker

THUMB = 56  # pixels, the longer side


def read_scaled(file: Path, longest: int, turns: int = 0) -> QImage:
    """The image (EXIF orientation applied, then a project's clockwise quarter `turns`)
    scaled so its longer side is `longest`."""
    reader = QImageReader(str(file))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > longest:
        # The scaled size applies before the EXIF rotation, so the raw size is the right base.
        size.scale(longest, longest, Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(size)
    image = reader.read()
    if not image.isNull() and max(image.width(), image.height()) > longest:
        image = image.scaled(
            longest,
            longest,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    if turns % 4 and not image.isNull():
        image = image.transformed(QTransform().rotate(90 * (turns % 4)))  # clockwise on screen
    return image


class ThumbnailCache(QObject):
    """`get(key, file)` returns a pixmap or None (and starts loading it)."""

    thumbnail_ready = Signal(int)

    def __init__(
        self,
        pool: QThreadPool,
        longest: int = THUMB,
        capacity: int = 3000,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.pool = pool
        self.longest = longest
        self.capacity = capacity
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._pending: dict[int, Worker] = {}  # kept alive until they land
        self._generation = 0  # reads started before a clear() are ignored when they land

    def get(self, key: int, file: Path, turns: int = 0) -> QPixmap | None:
        pix = self._cache.get(key)
        if pix is not None:
            self._cache.move_to_end(key)
            return pix
        if key not in self._pending:
            longest, generation = self.longest, self._generation
            worker = Worker(lambda _p, _c: read_scaled(file, longest, turns), f"thumbnail {key}")
            worker.finished_ok.connect(
                lambda image, k=key, g=generation: self._on_loaded(g, k, image)
            )
            self._pending[key] = worker
            self.pool.start(worker)
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
        self._pending.pop(key, None)
        self._cache[key] = QPixmap.fromImage(image) if not image.isNull() else QPixmap()
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        self.thumbnail_ready.emit(key)
