"""Helpers to drive the real window from tests and benchmarks: real mouse and key events
through QTest, in image coordinates, so gestures go through the same code a person's do."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from ocrstudio.ui.canvas.view import Canvas


def isolated_settings(folder: Path) -> QSettings:
    """Settings in a file of their own, so tests never touch a person's recent projects.
    A region drawn is not read at once here (that loads the shipped models in the
    background): the test of that feature turns it on."""
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    if not settings.contains("read_drawn"):
        settings.setValue("read_drawn", False)
    return settings


def view_point(canvas: Canvas, x: float, y: float) -> QPoint:
    return canvas.mapFromScene(QPointF(x, y))


def click(
    canvas: Canvas,
    x: float,
    y: float,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    QTest.mouseClick(
        canvas.viewport(), Qt.MouseButton.LeftButton, modifiers, view_point(canvas, x, y)
    )


def double_click(canvas: Canvas, x: float, y: float) -> None:
    QTest.mouseDClick(
        canvas.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        view_point(canvas, x, y),
    )


def drag(
    canvas: Canvas,
    path: Sequence[tuple[float, float]],
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
) -> None:
    """Press at the first point, move through the others, release at the last."""
    vp = canvas.viewport()
    QTest.mousePress(vp, button, modifiers, view_point(canvas, *path[0]))
    for x, y in path[1:]:
        QTest.mouseMove(vp, view_point(canvas, x, y))
    QTest.mouseRelease(vp, button, modifiers, view_point(canvas, *path[-1]))


def wait_until(predicate: Callable[[], object], timeout_s: float = 30.0, step_ms: int = 20) -> None:
    """Process events until `predicate()` is true (raises TimeoutError after timeout_s).
    The wait between looks is `time.sleep`, which lets go of the GIL: `QTest.qWait` keeps
    it while it waits, and a worker thread running a model then gets it only now and then
    (pre-labeling ran at a tenth of its speed under a qWait loop; `app.exec` is not
    affected)."""
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError(f"condition not met within {timeout_s} s")
        QApplication.processEvents()
        QTest.qWait(1)  # also delivers deferred deletes, which processEvents leaves
        time.sleep(step_ms / 1000)


class Heartbeat:
    """Measures event-loop stalls: a 10 ms timer notes how late each tick arrives."""

    def __init__(self, interval_ms: int = 10):
        from PySide6.QtCore import QTimer

        self.interval = interval_ms / 1000.0
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.worst = 0.0
        self.ticks = 0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last:
            self.worst = max(self.worst, now - self.last - self.interval)
        self.last = now
        self.ticks += 1

    def start(self) -> Heartbeat:
        self.last, self.worst, self.ticks = 0.0, 0.0, 0
        self.timer.start()
        return self

    def stop(self) -> float:
        self.timer.stop()
        return self.worst


D = TypeVar("D", bound=QDialog)


def answer_modal(kind: type[D], answer: Callable[[D], None], after_ms: int = 50) -> None:
    """Answer the modal dialog of `kind` that the next step opens: `answer(dialog)` runs
    once it is shown; a failed answer still closes it, so it never blocks the test."""
    from PySide6.QtCore import QTimer

    def fill() -> None:
        d = QApplication.activeModalWidget()
        assert isinstance(d, kind), f"expected a {kind.__name__}, found {d!r}"
        try:
            answer(d)
        finally:
            if d.isVisible():
                d.reject()

    QTimer.singleShot(after_ms, fill)
