"""What the window's helpers (quick OCR, the image list's menu, drops and the session)
use of the main window, as a Protocol: they depend on these parts, not on `MainWindow`,
so the window can import them without an import circle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtCore import QByteArray, QSettings
    from PySide6.QtWidgets import QWidget

    from ocrstudio.services.project import ProjectHandle
    from ocrstudio.ui.controllers import Jobs
    from ocrstudio.ui.editor import Editor
    from ocrstudio.ui.jobs import JobRunner
    from ocrstudio.ui.panels.images import ImageListPanel


class WindowParts(Protocol):
    project: ProjectHandle | None
    jobs: Jobs
    runner: JobRunner
    editor: Editor
    image_panel: ImageListPanel

    settings: QSettings

    def open_project(self, folder: Path, rescan: bool = True) -> bool: ...

    # and the QMainWindow's own: itself as a widget (a dialog's parent), geometry and
    # state, size
    def window(self) -> QWidget: ...
    def saveGeometry(self) -> QByteArray: ...  # noqa: N802
    def saveState(self) -> QByteArray: ...  # noqa: N802
    def restoreGeometry(self, geometry: QByteArray) -> bool: ...  # noqa: N802
    def restoreState(self, state: QByteArray) -> bool: ...  # noqa: N802
    def resize(self, w: int, h: int) -> None: ...
    def width(self) -> int: ...
    def height(self) -> int: ...
