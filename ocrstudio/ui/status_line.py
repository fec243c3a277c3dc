"""The window's one line of text in the status bar: the open image, or for a while a
message (QStatusBar's own temporary messages drew over it)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel

from ocrstudio.services.annotation import ImageRecord

MESSAGE_MS = 10_000


class StatusLine(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.image_info = ""
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(lambda: self.setText(self.image_info))

    def show_message(self, text: str, ms: int = MESSAGE_MS) -> None:
        """`text` for `ms`, then the open image again."""
        self.setText(text)
        self.timer.start(ms)

    def show_image(self, rec: ImageRecord) -> None:
        self.image_info = f"{rec.path}   {rec.width} x {rec.height}   {rec.split.value}"
        if not self.timer.isActive():
            self.setText(self.image_info)
