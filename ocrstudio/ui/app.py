"""Start the GUI: the application object, the window, and the screenshot mode."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ocrstudio.core.errors import InputError

if TYPE_CHECKING:  # imported by run() itself: the CLI starts without the window's modules
    from ocrstudio.ui.main_window import MainWindow

ORGANIZATION = "ocrstudio"
APPLICATION = "ocrstudio"


def application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName(ORGANIZATION)
        QCoreApplication.setApplicationName(APPLICATION)
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setStyle("Fusion")
    return app  # type: ignore[return-value]  # the stubs: instance() is a QCoreApplication


def settle(app: QApplication, rounds: int = 5) -> None:
    """Let queued events (thumbnails, layout) run before a screenshot."""
    for _ in range(rounds):
        app.processEvents()


def screenshot(window: QWidget, out: Path) -> Path:
    """Render the window into a PNG (works offscreen: QWidget.grab paints into a pixmap)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    pixmap = window.grab()
    if not pixmap.save(str(out), "PNG"):
        raise InputError("cannot write the screenshot", out)
    return out


def run(
    project: Path | None = None,
    screenshot_to: Path | None = None,
    size: tuple[int, int] = (1400, 860),
    quick: Path | None = None,
) -> int:
    """Open the window (on `project` if given; with `quick`, that photo in quick OCR).
    With `screenshot_to`, render and exit."""
    from ocrstudio.ui.main_window import MainWindow

    app = application()
    if screenshot_to is not None:  # a rendering leaves no trace in a person's settings
        scratch = tempfile.TemporaryDirectory(prefix="ocrstudio-shot-")
        settings = QSettings(str(Path(scratch.name) / "settings.ini"), QSettings.Format.IniFormat)
    else:
        settings = QSettings()
    window = MainWindow(settings)
    if screenshot_to is not None:
        window.resize(*size)
    if project is not None and not window.open_project(project, rescan=False):
        return 2
    if project is None and screenshot_to is None:
        window.restore_session()  # the last project, size and layout
    window.show()
    if quick is not None:
        return _quick(app, window, quick, screenshot_to, size)
    if screenshot_to is not None:
        settle(app)
        window.thumbnails.pool.waitForDone(5000)  # thumbnails in the list, not blanks
        settle(app)
        window.canvas.fit()
        window.editor.step_region(+1)  # the first region selected: its crop and text show
        settle(app)
        screenshot(window, screenshot_to)
        window.close()
        return 0
    QTimer.singleShot(0, window.canvas.fit)
    return int(app.exec())


def _quick(
    app: QApplication,
    window: MainWindow,
    photo: Path,
    screenshot_to: Path | None,
    size: tuple[int, int],
) -> int:
    """Quick OCR of `photo`; with `screenshot_to`, the dialog once read, rendered."""
    from ocrstudio.ui.quick_ocr import QuickOcrDialog

    dialog = QuickOcrDialog.open_for(window, photo)
    if dialog is None:
        return 2
    if screenshot_to is None:
        return int(app.exec())
    dialog.resize(*size)
    while dialog.worker is not None and not dialog.worker.done:
        app.processEvents()
        time.sleep(0.02)
    settle(app)
    dialog.canvas.fit()
    if dialog.lines.count():
        dialog.lines.setCurrentRow(0)  # one region selected, as a person would click it
    settle(app)
    screenshot(dialog, screenshot_to)
    window.close()
    return 0 if dialog.page is not None else 1
