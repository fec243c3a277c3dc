"""What the window keeps between sessions (size, layout, the last project), fitting it to
the screen, and photos dropped on it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication

from ocrstudio.core.errors import OcrStudioError
from ocrstudio.services import project as projects
from ocrstudio.services import quick_ocr as qo
from ocrstudio.ui.start_page import recent_projects

if TYPE_CHECKING:
    from ocrstudio.ui.window_parts import WindowParts

SCREEN_SHARE = 0.92  # of the available screen a window takes at most


def fit_screen(size: tuple[int, int], share: float = SCREEN_SHARE) -> tuple[int, int]:
    """`size`, made smaller where the screen is (a 1600 x 1000 screen at 1.5x scaling
    offers 1067 x 667 logical pixels); a first window takes `share` of it at most."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return size
    avail = screen.availableGeometry()
    return (min(size[0], int(avail.width() * share)), min(size[1], int(avail.height() * share)))


def save(window: WindowParts) -> None:
    s = window.settings
    s.setValue("geometry", window.saveGeometry())
    s.setValue("window_state", window.saveState())
    s.setValue("last_project", str(window.project.folder) if window.project else "")
    s.sync()


def restore(window: WindowParts) -> bool:
    """Size and layout as the last session left them (fitted to this screen), and its
    project reopened (else the most recent one). True when a project opened."""
    s = window.settings
    geometry = s.value("geometry")
    if geometry:
        window.restoreGeometry(geometry)
        window.resize(*fit_screen((window.width(), window.height()), share=1.0))
    state = s.value("window_state")
    if state:
        window.restoreState(state)
    last = str(s.value("last_project", "") or "")
    if not last:
        recent = recent_projects(s)
        last = recent[0] if recent else ""
    return bool(last) and projects.is_project(Path(last)) and window.open_project(Path(last))


def drop(window: WindowParts, paths: list[Path]) -> None:
    """Dropped photos and folders join the open project; without one, a photo is read
    by quick OCR."""
    from ocrstudio.ui.quick_ocr import QuickOcrDialog

    if window.project is None:
        files = qo.photo_files(paths)
        if files:
            QuickOcrDialog.open_for(window, files[0])
        return
    try:
        added = qo.add_photos(window.project, paths)
    except OcrStudioError as exc:
        window.runner.notify(str(exc), failure=True)
        return
    window.jobs.reload_all()
    window.runner.notify(f"{added} image(s) added to the project")
