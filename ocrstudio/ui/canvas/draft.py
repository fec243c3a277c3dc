"""The shape being drawn: rectangle (drag), quad (4 clicks), polygon (clicks, then Enter or
double-click). Pure bookkeeping plus one preview item; the view feeds it scene points."""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from ocrstudio.core.types import Polygon
from ocrstudio.services.annotation_ops import is_degenerate, rectangle


class Tool(Enum):
    EDIT = "edit"
    RECT = "rectangle"
    QUAD = "quad"
    POLYGON = "polygon"


class Draft:
    """Points placed so far for the current tool, and the preview that shows them."""

    def __init__(self, preview: QGraphicsPathItem):
        self.tool = Tool.EDIT
        self.points: list[tuple[float, float]] = []
        self.cursor: tuple[float, float] | None = None
        self.preview = preview
        pen = QPen(QColor("#00e5ff"), 2.0, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        preview.setPen(pen)
        preview.setZValue(10)

    @property
    def active(self) -> bool:
        return bool(self.points)

    def reset(self) -> None:
        self.points.clear()
        self.cursor = None
        self._redraw()

    def add(self, x: float, y: float) -> Polygon | None:
        """Place a point; returns the finished polygon when this point completes one."""
        if self.points and self.points[-1] == (x, y):
            return None  # a double-click sends a second press at the same spot
        self.points.append((x, y))
        if self.tool is Tool.QUAD and len(self.points) == 4:
            return self.finish()
        self._redraw()
        return None

    def drag_to(self, x: float, y: float) -> None:
        self.cursor = (x, y)
        self._redraw()

    def release_rect(self, x: float, y: float) -> Polygon | None:
        if self.tool is not Tool.RECT or not self.points:
            return None
        (x0, y0) = self.points[0]
        self.reset()
        poly = rectangle(x0, y0, x, y)
        return None if is_degenerate(poly) else poly

    def undo_point(self) -> None:
        if self.points:
            self.points.pop()
            self._redraw()

    def finish(self) -> Polygon | None:
        """Close the polygon (Enter / double-click); None if it has too few points."""
        pts = self.points[:]
        self.reset()
        if len(pts) < 3:
            return None
        poly = Polygon(tuple(pts))
        return None if is_degenerate(poly) else poly

    def _redraw(self) -> None:
        path = QPainterPath()
        pts = list(self.points)
        if self.tool is Tool.RECT and pts and self.cursor:
            (x0, y0), (x1, y1) = pts[0], self.cursor
            path.addRect(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))
        elif pts:
            if self.cursor:
                pts.append(self.cursor)
            path.moveTo(QPointF(*pts[0]))
            for p in pts[1:]:
                path.lineTo(QPointF(*p))
            if len(pts) >= 3:
                path.closeSubpath()
        self.preview.setPath(path)
