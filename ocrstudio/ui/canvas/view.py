"""The annotation canvas: an image, its regions, navigation and the editing gestures.

Navigation: wheel zooms at the cursor, middle-drag or Space+drag pans, `fit()` shows the
whole image. Editing (tool EDIT): click selects (Ctrl toggles, drag on empty space selects
by rectangle), drag inside a region moves the selection, drag a handle moves a vertex,
press on an edge of a selected region inserts a vertex there, Shift+click on a handle
deletes the vertex. The canvas owns its mouse (`gestures.py`) and its keyboard
(`keys.py`) and hands them its events. Drawing: see `draft.py`.

The view never writes to the project: finished gestures come out as signals carrying
(region id, before, after) so the window can push one undoable command per gesture.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from ocrstudio.core.types import Polygon, Region
from ocrstudio.services.unsure import UnsureRule
from ocrstudio.ui.canvas import handles
from ocrstudio.ui.canvas.draft import Draft, Tool
from ocrstudio.ui.canvas.gestures import MouseGestures
from ocrstudio.ui.canvas.items import RegionItem
from ocrstudio.ui.canvas.keys import KeyGestures
from ocrstudio.ui.canvas.labels import layout_labels
from ocrstudio.ui.canvas.order import ReadingOrder
from ocrstudio.ui.canvas.zoom import fit_scene_rect, zoom_at


class Canvas(QGraphicsView):
    region_drawn = Signal(object)  # Polygon
    regions_edited = Signal(object)  # list[tuple[int, Region, Region]]
    selection_changed = Signal(object)  # list[int]
    region_activated = Signal(int)  # double-click or Enter: edit its text
    step_requested = Signal(int)  # Tab / Shift+Tab: next / previous region
    context_requested = Signal(object, object)  # global QPoint, (region id, vertex) or None
    order_chosen = Signal(object)  # list[int]: regions clicked in sequence (renumbering)
    typing_started = Signal(str)  # a character typed with one region selected (keys.py)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.keys = KeyGestures(self)  # first: Qt sends `event` from the next line on
        self.setScene(QGraphicsScene(self))
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform
        )
        # Zooming keeps the point under the cursor itself (`zoom_by`): Qt's AnchorUnderMouse
        # rounds to the last mouse-move position and drifts at each wheel step.
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlags(
            QGraphicsView.OptimizationFlag.DontSavePainterState
            | QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing
        )
        self.setBackgroundBrush(QBrush(QColor("#2b2b2b")))
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pixmap = QGraphicsPixmapItem()
        self._pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._pixmap.setZValue(-10)
        self.scene().addItem(self._pixmap)
        preview = QGraphicsPathItem()
        self.scene().addItem(preview)
        self.draft = Draft(preview)
        self.items_by_id: dict[int, RegionItem] = {}
        self.order = ReadingOrder(self.items_by_id, self.order_chosen.emit, self.viewport().update)
        self._selected: list[int] = []
        self.vertex: tuple[int, int] | None = None  # (region, vertex) last clicked: arrows move it
        self.space_held = False  # Space down: a left drag pans
        self.show_text = True
        self.labels_selected_only = False  # texts of the selected and hovered regions only
        self.image_size = (0, 0)
        self.rule = UnsureRule()  # which regions are drawn as unsure (services.unsure)
        self.gestures = MouseGestures(self)

    # ---- content -------------------------------------------------------------------
    def set_image(self, image: QImage | None) -> None:
        self.clear_regions()
        if image is None or image.isNull():
            self._pixmap.setPixmap(QPixmap())
            self.image_size = (0, 0)
            return
        self._pixmap.setPixmap(QPixmap.fromImage(image))
        self.image_size = (image.width(), image.height())
        self._update_scene_rect()

    def _update_scene_rect(self) -> None:
        fit_scene_rect(self, self.image_size)

    def clear_regions(self) -> None:
        for item in self.items_by_id.values():
            self.scene().removeItem(item)
        self.items_by_id.clear()
        self.gestures.hovered = None
        self.set_selection([])
        self.draft.reset()

    def upsert_region(self, rid: int, region: Region) -> None:
        item = self.items_by_id.get(rid)
        if item is None:
            item = RegionItem(rid, region, self.show_text, self.zoom(), self.rule)
            self.items_by_id[rid] = item
            self.scene().addItem(item)
        else:
            item.set_region(region)
        self.viewport().update()

    def remove_regions(self, ids: list[int]) -> None:
        for rid in ids:
            item = self.items_by_id.pop(rid, None)
            if item is not None:
                self.scene().removeItem(item)
        self.set_selection([r for r in self._selected if r in self.items_by_id])

    def set_rule(self, rule: UnsureRule) -> None:
        self.rule = rule
        for item in self.items_by_id.values():
            item.rule = rule
            item.set_region(item.region)  # restyled by the new rule

    def set_show_text(self, show: bool) -> None:
        self.show_text = show
        for item in self.items_by_id.values():
            item.set_show_text(show)

    def set_labels_selected_only(self, only: bool) -> None:
        self.labels_selected_only = only
        self.layout_labels()

    # ---- reading order (order.py) -------------------------------------------------
    def set_order(self, ids: list[int]) -> None:
        self.order.set_order(ids)

    def set_show_order(self, show: bool) -> None:
        self.order.set_show(show)

    def start_renumber(self) -> None:
        self.order.start()

    def layout_labels(self) -> None:
        """Place the transcriptions so none covers another or a region's words (call
        after a batch of `upsert_region`s)."""
        layout_labels(list(self.items_by_id.values()), self.labels_selected_only)
        self.viewport().update()

    # ---- selection -----------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        return list(self._selected)

    def select(self, ids: list[int], center: bool = False) -> None:
        self.set_selection([r for r in ids if r in self.items_by_id])
        if center and self._selected:
            item = self.items_by_id[self._selected[0]]
            rect = self.mapToScene(self.viewport().rect()).boundingRect()
            if not rect.contains(item.sceneBoundingRect()):
                self.centerOn(item)

    def selected_polygons(self) -> list[tuple[int, Polygon]]:
        return [(rid, self.items_by_id[rid].region.polygon) for rid in self._selected]

    def set_selection(self, ids: list[int]) -> None:
        """Select exactly `ids` (regions shown on the canvas)."""
        if ids == self._selected:
            return
        for rid in set(self._selected) - set(ids):
            if rid in self.items_by_id:
                self.items_by_id[rid].set_selected(False)
        for rid in ids:
            self.items_by_id[rid].set_selected(True)
        self._selected = ids
        if self.vertex is not None and self.vertex[0] not in ids:
            self.vertex = None
        self.viewport().update()
        self.selection_changed.emit(list(ids))

    # ---- tools and zoom ------------------------------------------------------------
    def set_tool(self, tool: Tool) -> None:
        self.draft.tool = tool
        self.draft.reset()
        self.restore_cursor()

    def restore_cursor(self) -> None:
        cursor = (
            Qt.CursorShape.ArrowCursor if self.tool is Tool.EDIT else Qt.CursorShape.CrossCursor
        )
        self.viewport().setCursor(cursor)

    @property
    def tool(self) -> Tool:
        return self.draft.tool

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom keeping the scene point at `anchor` (viewport pixels; default the centre)
        exactly where it is on screen (`zoom.py`)."""
        zoom_at(self, factor, anchor or self.viewport().rect().center(), self.image_size)
        self._zoom_changed()

    def fit(self) -> None:
        if self.image_size[0]:
            self.fitInView(self._pixmap, Qt.AspectRatioMode.KeepAspectRatio)
            self._update_scene_rect()
            self.centerOn(self._pixmap)
            self._zoom_changed()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._update_scene_rect()

    def _zoom_changed(self) -> None:
        zoom = self.zoom()
        for item in self.items_by_id.values():
            item.set_zoom(zoom)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt's name)
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.2**steps, event.position().toPoint())
        event.accept()

    # ---- handles -------------------------------------------------------------------
    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        chosen = None
        if self.vertex is not None and self.vertex[0] in self.items_by_id:
            rid, i = self.vertex
            points = self.items_by_id[rid].region.polygon.points
            chosen = points[i] if i < len(points) else None
        handles.draw(
            painter,
            [p for _, p in self.selected_polygons()],
            self.zoom(),
            self.gestures.hover,
            chosen,
        )

    # ---- events: the mouse (gestures.py) and the keyboard (keys.py) -----------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.gestures.press(event):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.gestures.move(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.gestures.release(event):
            super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.gestures.double_click(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        self.gestures.context_menu(event)

    def event(self, event: QEvent) -> bool:
        if self.keys.claims(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if self.keys.press(event):
            event.accept()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self.keys.release(event):
            super().keyReleaseEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002
        # Tab walks the regions in reading order instead of moving the focus away.
        self.step_requested.emit(1 if next else -1)
        return True

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        self.keys.focus_in(event)


__all__ = ["Canvas", "Tool"]
