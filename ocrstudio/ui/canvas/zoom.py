"""Zooming a QGraphicsView so that the point under the cursor stays exactly where it is.

Qt's AnchorUnderMouse uses the last mouse-move position, rounded, and a scene smaller than
the view is centred by Qt, so the image slid at each wheel step. Here the scene always has
one viewport of room around the image at the current zoom, and the scroll bars take up
whatever the scaling moved."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRectF
from PySide6.QtWidgets import QGraphicsView

ZOOM_RANGE = (0.01, 40.0)


def fit_scene_rect(view: QGraphicsView, image_size: tuple[int, int]) -> None:
    """The image plus one viewport of room on each side at this zoom."""
    w, h = image_size
    if not w:
        return
    zoom = view.transform().m11()
    mx, my = view.viewport().width() / zoom, view.viewport().height() / zoom
    view.scene().setSceneRect(QRectF(-mx, -my, w + 2 * mx, h + 2 * my))


def zoom_at(
    view: QGraphicsView, factor: float, anchor: QPoint, image_size: tuple[int, int]
) -> None:
    """Scale by `factor` (within ZOOM_RANGE) keeping the scene point at `anchor`."""
    zoom = view.transform().m11()
    target = min(max(zoom * factor, ZOOM_RANGE[0]), ZOOM_RANGE[1])
    fixed = view.mapToScene(anchor)
    view.scale(target / zoom, target / zoom)
    fit_scene_rect(view, image_size)
    moved = view.mapFromScene(fixed) - anchor
    h, v = view.horizontalScrollBar(), view.verticalScrollBar()
    h.setValue(h.value() + moved.x())
    v.setValue(v.value() + moved.y())
