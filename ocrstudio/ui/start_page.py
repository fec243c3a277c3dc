"""What the window shows when no project is open: recent projects, open or create one,
or make the demo project."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

RECENT_KEY = "recent_projects"
MAX_RECENT = 10


def recent_projects(settings: QSettings) -> list[str]:
    value = settings.value(RECENT_KEY, [])
    if isinstance(value, str):  # QSettings hands back a lone string for a one-item list
        value = [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def remember_project(settings: QSettings, folder: Path) -> None:
    path = str(folder.resolve())
    items = [p for p in recent_projects(settings) if p != path]
    settings.setValue(RECENT_KEY, [path, *items][:MAX_RECENT])
    settings.sync()


class StartPage(QWidget):
    open_requested = Signal(str)  # a project folder
    new_requested = Signal()
    browse_requested = Signal()
    demo_requested = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        title = QLabel(
            "<h1>ocrstudio</h1><p>Label the text in photos, with models that learn from "
            "your corrections.</p><ol>"
            "<li><b>Open</b> a folder of photos (they stay where they are).</li>"
            "<li><b>Pre-label</b>: a detector and a recognizer propose regions and text "
            "(Ctrl+Shift+L).</li>"
            "<li><b>Correct</b> from the keyboard: Tab to the next region, type, Enter; "
            "Ctrl+Enter when the image is done. Unsure regions are red.</li>"
            "<li><b>Fine-tune</b> the models on what you verified, in the background "
            "(Ctrl+T), and pre-label again: it gets better.</li>"
            "<li><b>Export</b> in ICDAR, PaddleOCR, labelme, MMOCR and more (Ctrl+E).</li>"
            "</ol><p>Every edit is saved as you make it. F1 lists the shortcuts.</p>"
        )
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        buttons = QVBoxLayout()
        for text, signal, tip in (
            (
                "Try the demo project",
                self.demo_requested,
                "A few generated photos with labels: the whole loop in a minute",
            ),
            ("New project from a folder of images…", self.new_requested, ""),
            ("Open a project…", self.browse_requested, ""),
        ):
            b = QPushButton(text)
            b.setMinimumHeight(36)
            b.setToolTip(tip)
            b.clicked.connect(signal.emit)
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.recent = QListWidget()
        self.recent.itemActivated.connect(
            lambda it: self.open_requested.emit(it.data(Qt.ItemDataRole.UserRole))
        )
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Recent projects</b>"))
        right.addWidget(self.recent)
        row = QHBoxLayout()
        row.addLayout(buttons, 1)
        row.addLayout(right, 2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(48, 32, 48, 32)
        outer.addWidget(title)
        outer.addLayout(row, 1)
        self.refresh()

    def refresh(self) -> None:
        self.recent.clear()
        for path in recent_projects(self.settings):
            p = Path(path)
            item = QListWidgetItem(f"{p.name}    —    {p.parent}")
            item.setData(Qt.ItemDataRole.UserRole, path)
            if not (p / "project.db").is_file():
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setText(item.text() + "   (missing)")
            self.recent.addItem(item)
        if not self.recent.count():
            placeholder = QListWidgetItem("No recent projects yet")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(placeholder)
