"""Quick OCR: open, drop or paste any photo, without a project. The shipped models read it
in the background; the regions show on a canvas of their own, the text in a list of its
lines, grouped along the text's own baselines and laid out as on the page; one click copies
all of it, the very lines of the list (a double-click copies one line), and the photo can
join the open project."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ocrstudio.core.errors import OcrStudioError
from ocrstudio.core.images import read_image
from ocrstudio.core.types import PageLabels
from ocrstudio.services import quick_ocr as qo
from ocrstudio.ui.canvas.view import Canvas
from ocrstudio.ui.editor import to_qimage
from ocrstudio.ui.prelabel_ui import preset as prelabel_preset
from ocrstudio.ui.workers import Worker

if TYPE_CHECKING:
    from ocrstudio.ui.window_parts import WindowParts

PHOTO_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.tif *.tiff *.webp)"


class QuickOcrDialog(QDialog):
    def __init__(
        self,
        window: WindowParts,
        pixels: np.ndarray,
        name: str,
        file: Path | None = None,
        models: tuple[Path, Path] | None = None,
    ):
        super().__init__(window.window())
        self.window_, self.pixels, self.name, self.file = window, pixels, name, file
        self.models = models
        self.page: PageLabels | None = None
        self.layout_: list[tuple[str, list[int]]] = []  # each line and its regions
        self.setWindowTitle(f"Quick OCR — {name}")
        self.canvas = Canvas()
        self.canvas.set_image(to_qimage(pixels))
        self.canvas.regions_edited.connect(lambda _e: self._show_regions())  # read-only
        self.lines = QListWidget()
        # fixed-width letters: the columns of a form or a receipt line up as on the page
        self.lines.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.lines.itemDoubleClicked.connect(self._copy_one)
        self.lines.currentRowChanged.connect(
            lambda row: self.canvas.select(self.layout_[row][1] if row >= 0 else [], center=True)
        )
        self.canvas.selection_changed.connect(self._select_line)
        self.status = QLabel("Reading…")
        self.status.setWordWrap(True)
        self.copy_all = QPushButton("Copy all text")
        self.copy_all.clicked.connect(self.copy_text)
        self.add = QPushButton("Add to the project")
        self.add.clicked.connect(self.add_to_project)
        buttons = QHBoxLayout()
        for w in (self.copy_all, self.add):
            w.setEnabled(False)
            buttons.addWidget(w)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.addWidget(self.status)
        side.addWidget(self.lines, 1)
        side.addLayout(buttons)
        right = QWidget()
        right.setLayout(side)
        right.setMinimumWidth(260)
        split = QSplitter()
        split.addWidget(self.canvas)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.resize(1100, 680)
        self.worker: Worker | None = None

    @classmethod
    def open_for(
        cls, window: WindowParts, file: Path | None = None, pixels: np.ndarray | None = None
    ) -> QuickOcrDialog | None:
        """A file (asked for when none is given), or pixels (a pasted image)."""
        if pixels is None:
            if file is None:
                chosen, _ = QFileDialog.getOpenFileName(
                    window.window(), "Photo to read", "", PHOTO_FILTER
                )
                if not chosen:
                    return None
                file = Path(chosen)
            try:
                pixels = read_image(file)
            except OcrStudioError as exc:
                window.runner.notify(str(exc), failure=True)
                return None
        name = file.name if file is not None else "pasted image"
        dialog = cls(window, pixels, name, file)
        dialog.show()
        dialog.canvas.fit()
        dialog.start()
        return dialog

    def start(self) -> None:
        pixels, name, models = self.pixels, self.name, self.models
        predictors = self.window_.jobs.predictors
        preset = prelabel_preset(self.window_.jobs)

        def job(_progress: Any, _cancel: Any) -> tuple[PageLabels, float, float]:
            t0 = time.perf_counter()
            ocr = qo.load_models(predictors, models, preset=preset)
            t1 = time.perf_counter()
            page = ocr.predict(pixels, name)
            return page, time.perf_counter() - t1, t1 - t0

        self.worker = self.window_.runner.start(job, f"Reading {name}", self._read)
        self.worker.failed.connect(lambda msg, _tb: self.status.setText(f"Failed: {msg}"))

    def _read(self, result: tuple[PageLabels, float, float]) -> None:
        self.page, seconds, loading = result
        self._show_regions()
        self.lines.clear()
        self.layout_ = qo.page_layout(self.page)
        for line, _members in self.layout_:
            item = QListWidgetItem(line)
            item.setToolTip("Double-click copies this line")
            self.lines.addItem(item)
        self._fit_lines()
        n = len(self.page.regions)
        loaded = f" (the models took {loading:.1f} s to load, once)" if loading > 0.5 else ""
        self.status.setText(
            f"{n} region(s) in {len(self.layout_)} line(s), read in "
            f"{seconds:.2f} s{loaded}. Double-click a line to copy it."
        )
        self.copy_all.setEnabled(n > 0)
        self.add.setEnabled(self.window_.project is not None and self.file is not None)

    def _fit_lines(self) -> None:
        """Room for the longest line (up to half the dialog): a receipt's prices stay in
        view, not behind a scroll bar."""
        longest = max((line for line, _ in self.layout_), key=len, default="")
        need = self.lines.fontMetrics().horizontalAdvance(longest) + 40
        self.lines.setMinimumWidth(min(need, self.width() // 2))

    def _show_regions(self) -> None:
        if self.page is None:
            return
        for k, r in enumerate(self.page.regions):
            self.canvas.upsert_region(k, r)
        self.canvas.layout_labels()

    def _select_line(self, ids: list[int]) -> None:
        """A region clicked on the canvas: its line in the list."""
        row = next(
            (
                k
                for k, (_, members) in enumerate(self.layout_)
                if len(ids) == 1 and ids[0] in members
            ),
            -1,
        )
        if row >= 0 and self.lines.currentRow() != row:
            self.lines.setCurrentRow(row)

    def text(self) -> str:
        """What "Copy all text" puts on the clipboard: the list's lines, one each."""
        return "\n".join(line for line, _ in self.layout_)

    def copy_text(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.status.setText("All the text is on the clipboard.")

    def _copy_one(self, item: QListWidgetItem) -> None:
        k = self.lines.row(item)
        if 0 <= k < len(self.layout_):
            line = self.layout_[k][0].strip()
            QGuiApplication.clipboard().setText(line)
            self.status.setText(f"Copied “{line}”.")

    def add_to_project(self) -> None:
        w = self.window_
        if w.project is None or self.file is None:
            return
        try:
            added = qo.add_photos(w.project, [self.file])
        except OcrStudioError as exc:
            w.runner.notify(str(exc), failure=True)
            return
        w.jobs.reload_all()
        self.status.setText(
            f"{self.file.name} is in the project."
            if added
            else f"{self.file.name} was in the project already."
        )
        self.add.setEnabled(False)


def clipboard_pixels() -> np.ndarray | None:
    """The clipboard's image as RGB pixels, if it holds one."""
    from PySide6.QtGui import QImage

    image = QGuiApplication.clipboard().image()
    if image.isNull():
        return None
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, : 3 * w].reshape(h, w, 3).copy()  # a copy: the QImage's buffer goes
