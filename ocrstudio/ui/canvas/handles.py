"""Vertex handles of the selected regions: finding the one under the cursor, and drawing
them at a constant size on screen. Only the selection's few polygons are looked at."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

from ocrstudio.core.types import Polygon
from ocrstudio.services import annotation_ops as ops

HANDLE_PX = 7.0  # vertex handle size on screen
GRAB_PX = 6.0  # how close the cursor must be to a vertex or an edge
MAX_HANDLES = 200  # selections larger than this show outlines only


def vertex_at(
    polygons: Sequence[tuple[int, Polygon]], x: float, y: float, zoom: float
) -> tuple[int, int] | None:
    """(region id, vertex index) of a handle within reach of (x, y), if any."""
    tol = GRAB_PX / max(zoom, 1e-6)
    for rid, poly in polygons[:MAX_HANDLES]:
        i, d = ops.nearest_vertex(poly, x, y)
        if d <= tol:
            return rid, i
    return None


def edge_at(
    polygons: Sequence[tuple[int, Polygon]], x: float, y: float, zoom: float
) -> tuple[int, int, tuple[float, float]] | None:
    """(region id, edge index, foot point) of an edge within reach of (x, y), if any."""
    tol = GRAB_PX / max(zoom, 1e-6)
    for rid, poly in polygons[:MAX_HANDLES]:
        i, d, foot = ops.nearest_edge(poly, x, y)
        if d <= tol:
            return rid, i, foot
    return None


def draw(
    painter: QPainter,
    polygons: Sequence[Polygon],
    zoom: float,
    hover: tuple[float, float] | None,
    chosen: tuple[float, float] | None = None,
) -> None:
    """Square handles on every vertex, a larger white one on the vertex the arrow keys
    move; a round one where a click would add a vertex."""
    if not polygons or len(polygons) > MAX_HANDLES:
        return
    s = HANDLE_PX / max(zoom, 1e-6)
    painter.setPen(QPen(QColor("#000000"), 0))
    painter.setBrush(QBrush(QColor("#00e5ff")))
    painter.drawRects(
        [QRectF(x - s / 2, y - s / 2, s, s) for poly in polygons for x, y in poly.points]
    )
    if hover is not None:
        painter.setBrush(QBrush(QColor("#ffffff")))
        painter.drawEllipse(QPointF(*hover), s / 2, s / 2)
    if chosen is not None:
        painter.setBrush(QBrush(QColor("#ffffff")))
        painter.drawRect(QRectF(chosen[0] - s * 0.7, chosen[1] - s * 0.7, s * 1.4, s * 1.4))
