"""The annotation canvas: an image, its regions, navigation and the editing gestures.

Navigation: wheel zooms at the cursor, middle-drag or Space+drag pans, `fit()` shows the
whole image. Editing (tool EDIT): click selects (Ctrl toggles, drag on empty space selects
by rectangle), drag inside a region moves the selection, drag a handle moves a vertex,
press on an edge of a selected region inserts a vertex there, Shift+click on a handle
deletes the vertex. Drawing: see `draft.py`.

The view never writes to the project: finished gestures come out as signals carrying
(region id, before, after) so the window can push one undoable command per gesture.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation_ops as ops
from ocrstudio.ui.canvas import handles
from ocrstudio.ui.canvas.draft import Draft, Tool
from ocrstudio.ui.canvas.items import RegionItem
from ocrstudio.ui.canvas.labels import layout_labels

ZOOM_RANGE = (0.01, 40.0)


@dataclass
class _Gesture:
    kind: str  # "move" | "vertex" | "pan" | "rubber"
    start: QPointF
    rid: int = -1
    vertex: int = -1
    before: dict[int, Region] = field(default_factory=dict)
    moved: bool = False


class Canvas(QGraphicsView):
    region_drawn = Signal(object)  # Polygon
    regions_edited = Signal(object)  # list[tuple[int, Region, Region]]
    selection_changed = Signal(object)  # list[int]
    region_activated = Signal(int)  # double-click or Enter: edit its text
    step_requested = Signal(int)  # Tab / Shift+Tab: next / previous region
    context_requested = Signal(object, object)  # global QPoint, (region id, vertex) or None
    order_chosen = Signal(object)  # list[int]: regions clicked in sequence (renumbering)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        # Zooming keeps the point under the cursor itself (`zoom_by`): Qt's AnchorUnderMouse
        # rounds to the last mouse-move position and drifts at each wheel step.
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState
                                  | QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
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
        self._rubber = QGraphicsRectItem()
        pen = QPen(QColor("#00e5ff"), 1.0, Qt.PenStyle.DotLine)
        pen.setCosmetic(True)
        self._rubber.setPen(pen)
        self._rubber.setZValue(10)
        self._rubber.setVisible(False)
        self.scene().addItem(self._rubber)
        self.items_by_id: dict[int, RegionItem] = {}
        self._selected: list[int] = []
        self._gesture: _Gesture | None = None
        self._space = False
        self._hover: tuple[float, float] | None = None
        self.show_text = True
        self.labels_selected_only = False  # texts of the selected and hovered regions only
        self.show_order = False
        self._order: list[int] = []  # region ids in reading order
        self._renumber: list[int] | None = None  # clicked so far while renumbering
        self._hovered: RegionItem | None = None
        self.image_size = (0, 0)

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
        """The image plus one viewport of room on each side at this zoom, so the scroll
        bars can always keep a point under the cursor where it is (a scene smaller than the
        view would be centred by Qt, and the image would slide at each zoom step)."""
        w, h = self.image_size
        if not w:
            return
        zoom = self.zoom()
        mx, my = self.viewport().width() / zoom, self.viewport().height() / zoom
        self.scene().setSceneRect(QRectF(-mx, -my, w + 2 * mx, h + 2 * my))

    def clear_regions(self) -> None:
        for item in self.items_by_id.values():
            self.scene().removeItem(item)
        self.items_by_id.clear()
        self._hovered = None
        self._set_selection([])
        self.draft.reset()

    def upsert_region(self, rid: int, region: Region) -> None:
        item = self.items_by_id.get(rid)
        if item is None:
            item = RegionItem(rid, region, self.show_text, self.zoom())
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
        self._set_selection([r for r in self._selected if r in self.items_by_id])

    def set_show_text(self, show: bool) -> None:
        self.show_text = show
        for item in self.items_by_id.values():
            item.set_show_text(show)

    def set_labels_selected_only(self, only: bool) -> None:
        self.labels_selected_only = only
        self.layout_labels()

    # ---- reading order -------------------------------------------------------------
    def set_order(self, ids: list[int]) -> None:
        self._order = list(ids)
        self._update_badges()

    def set_show_order(self, show: bool) -> None:
        self.show_order = show
        self._update_badges()

    @property
    def renumbering(self) -> bool:
        return self._renumber is not None

    def start_renumber(self) -> None:
        """Clicks give the regions their numbers in sequence; Enter (or the last region)
        ends, Esc drops it."""
        if self.items_by_id:
            self._renumber = []
            self._update_badges()

    def _finish_renumber(self, keep: bool) -> None:
        chosen, self._renumber = self._renumber or [], None
        self._update_badges()
        if keep and chosen:
            self.order_chosen.emit(chosen)

    def _update_badges(self) -> None:
        numbers: dict[int, int] = {}
        if self._renumber is not None:
            numbers = {rid: k + 1 for k, rid in enumerate(self._renumber)}
        elif self.show_order:
            numbers = {rid: k + 1 for k, rid in enumerate(self._order)}
        for rid, item in self.items_by_id.items():
            pending = self._renumber is not None and rid not in numbers
            item.set_order_number(numbers.get(rid, 0) if (numbers.get(rid) or pending)
                                  else None, pending)
        self.viewport().update()

    def layout_labels(self) -> None:
        """Place the transcriptions so none covers another or a region's words (call
        after a batch of `upsert_region`s)."""
        layout_labels(list(self.items_by_id.values()), self.labels_selected_only)
        self.viewport().update()

    # ---- selection -----------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        return list(self._selected)

    def select(self, ids: list[int], center: bool = False) -> None:
        self._set_selection([r for r in ids if r in self.items_by_id])
        if center and self._selected:
            item = self.items_by_id[self._selected[0]]
            rect = self.mapToScene(self.viewport().rect()).boundingRect()
            if not rect.contains(item.sceneBoundingRect()):
                self.centerOn(item)

    def _set_selection(self, ids: list[int]) -> None:
        if ids == self._selected:
            return
        for rid in set(self._selected) - set(ids):
            if rid in self.items_by_id:
                self.items_by_id[rid].set_selected(False)
        for rid in ids:
            self.items_by_id[rid].set_selected(True)
        self._selected = ids
        self.viewport().update()
        self.selection_changed.emit(list(ids))

    # ---- tools and zoom ------------------------------------------------------------
    def set_tool(self, tool: Tool) -> None:
        self.draft.tool = tool
        self.draft.reset()
        self._restore_cursor()

    def _restore_cursor(self) -> None:
        cursor = (Qt.CursorShape.ArrowCursor if self.tool is Tool.EDIT
                  else Qt.CursorShape.CrossCursor)
        self.viewport().setCursor(cursor)

    @property
    def tool(self) -> Tool:
        return self.draft.tool

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom keeping the scene point at `anchor` (viewport pixels; default the centre)
        exactly where it is on screen."""
        anchor = anchor if anchor is not None else self.viewport().rect().center()
        target = min(max(self.zoom() * factor, ZOOM_RANGE[0]), ZOOM_RANGE[1])
        f = target / self.zoom()
        fixed = self.mapToScene(anchor)
        self.scale(f, f)
        self._update_scene_rect()
        moved = self.mapFromScene(fixed) - anchor
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + moved.x())
        v.setValue(v.value() + moved.y())
        self._zoom_changed()

    def fit(self) -> None:
        if self.image_size[0]:
            self.fitInView(self._pixmap, Qt.AspectRatioMode.KeepAspectRatio)
            self._update_scene_rect()
            self.centerOn(self._pixmap)
            self._zoom_changed()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._update_scene_rect()

    def _zoom_changed(self) -> None:
        zoom = self.zoom()
        for item in self.items_by_id.values():
            item.set_zoom(zoom)

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.2 ** steps, event.position().toPoint())
        event.accept()

    # ---- hit testing ---------------------------------------------------------------
    def _region_at(self, pos: QPointF) -> RegionItem | None:
        for item in self.scene().items(pos):
            if isinstance(item, RegionItem):
                return item
        return None

    def _selected_polygons(self) -> list[tuple[int, Polygon]]:
        return [(rid, self.items_by_id[rid].region.polygon) for rid in self._selected]

    def _vertex_at(self, pos: QPointF) -> tuple[int, int] | None:
        return handles.vertex_at(self._selected_polygons(), pos.x(), pos.y(), self.zoom())

    def _edge_at(self, pos: QPointF) -> tuple[int, int, tuple[float, float]] | None:
        return handles.edge_at(self._selected_polygons(), pos.x(), pos.y(), self.zoom())

    def _clamped(self, pos: QPointF) -> tuple[float, float]:
        w, h = self.image_size
        return min(max(pos.x(), 0.0), float(w)), min(max(pos.y(), 0.0), float(h))

    # ---- mouse ---------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = self.mapToScene(event.position().toPoint())
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
                button == Qt.MouseButton.LeftButton and self._space):
            self._gesture = _Gesture("pan", QPointF(event.position()))
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if button != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        if self.tool is not Tool.EDIT:
            self._press_draw(pos)
        else:
            self._press_edit(pos, event.modifiers())

    def _press_draw(self, pos: QPointF) -> None:
        x, y = self._clamped(pos)
        if self.tool is Tool.RECT:
            self.draft.reset()
            self.draft.add(x, y)
            return
        done = self.draft.add(x, y)
        if done is not None:
            self.region_drawn.emit(done)

    def _press_edit(self, pos: QPointF, mods: Qt.KeyboardModifier) -> None:
        if self._renumber is not None:
            item = self._region_at(pos)
            if item is not None and item.rid not in self._renumber:
                self._renumber.append(item.rid)
                self._update_badges()
                if len(self._renumber) == len(self.items_by_id):
                    self._finish_renumber(keep=True)
            return
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        hit = self._vertex_at(pos)
        if hit is not None:
            rid, i = hit
            before = self.items_by_id[rid].region
            if mods & Qt.KeyboardModifier.ShiftModifier:
                after = ops.delete_vertex(before, i)
                if after is not None:
                    self.regions_edited.emit([(rid, before, after)])
                return
            self._gesture = _Gesture("vertex", pos, rid, i, {rid: before})
            return
        edge = self._edge_at(pos)
        if edge is not None and not ctrl:
            rid, i, (fx, fy) = edge
            before = self.items_by_id[rid].region
            self.items_by_id[rid].set_region(ops.insert_vertex(before, i, fx, fy))
            self._gesture = _Gesture("vertex", pos, rid, i + 1, {rid: before}, moved=True)
            return
        item = self._region_at(pos)
        if item is None:
            if not ctrl:
                self._set_selection([])
            self._gesture = _Gesture("rubber", pos)
            return
        if ctrl:
            sel = [r for r in self._selected if r != item.rid]
            self._set_selection(sel if item.rid in self._selected else [*sel, item.rid])
            return
        if item.rid not in self._selected:
            self._set_selection([item.rid])
        before = {rid: self.items_by_id[rid].region for rid in self._selected}
        self._gesture = _Gesture("move", pos, before=before)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = self.mapToScene(event.position().toPoint())
        g = self._gesture
        if g is None:
            self._hover_at(pos)
        elif g.kind == "pan":
            delta = QPointF(event.position()) - g.start
            g.start = QPointF(event.position())
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() - int(delta.x()))
            v.setValue(v.value() - int(delta.y()))
        elif g.kind == "vertex":
            x, y = self._clamped(pos)
            item = self.items_by_id[g.rid]
            item.set_region(ops.move_vertex(item.region, g.vertex, x, y))
            g.moved = True
        elif g.kind == "move":
            dx, dy = pos.x() - g.start.x(), pos.y() - g.start.y()
            for rid, before in g.before.items():
                self.items_by_id[rid].set_region(ops.translate(before, dx, dy))
            g.moved = g.moved or abs(dx) + abs(dy) > 0
        elif g.kind == "rubber":
            self._rubber.setRect(QRectF(g.start, pos).normalized())
            self._rubber.setVisible(True)
        if self.draft.active:
            self.draft.drag_to(*self._clamped(pos))
        if g is not None and g.kind in ("vertex", "move"):
            self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = self.mapToScene(event.position().toPoint())
        if self.tool is Tool.RECT and self.draft.active and self._gesture is None:
            poly = self.draft.release_rect(*self._clamped(pos))
            if poly is not None:
                self.region_drawn.emit(poly)
            return
        g, self._gesture = self._gesture, None
        if g is None:
            return super().mouseReleaseEvent(event)
        if g.kind == "pan":
            self._restore_cursor()
        elif g.kind == "rubber":
            self._finish_rubber(event.modifiers())
        elif g.moved:
            edits = [(rid, before, self.items_by_id[rid].region)
                     for rid, before in g.before.items()
                     if self.items_by_id[rid].region != before]
            if edits:
                self.regions_edited.emit(edits)

    def _finish_rubber(self, mods: Qt.KeyboardModifier) -> None:
        rect = self._rubber.rect()
        self._rubber.setVisible(False)
        if rect.width() * rect.height() == 0:
            return
        hits = [it.rid for it in self.scene().items(rect, Qt.ItemSelectionMode.IntersectsItemShape)
                if isinstance(it, RegionItem)]
        keep = self._selected if mods & Qt.KeyboardModifier.ControlModifier else []
        self._set_selection(list(dict.fromkeys([*keep, *hits])))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.tool is Tool.POLYGON and self.draft.active:
            done = self.draft.finish()
            if done is not None:
                self.region_drawn.emit(done)
            return
        item = self._region_at(self.mapToScene(event.position().toPoint()))
        if item is not None and self.tool is Tool.EDIT:
            self.region_activated.emit(item.rid)

    def contextMenuEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        pos = self.mapToScene(event.pos())
        vertex = self._vertex_at(pos)
        item = self._region_at(pos)
        if vertex is None and item is not None and item.rid not in self._selected:
            self._set_selection([item.rid])
        self.context_requested.emit(event.globalPos(), vertex)
        event.accept()

    def _hover_at(self, pos: QPointF) -> None:
        if self.tool is not Tool.EDIT or self._space:
            return
        near = self._vertex_at(pos) or self._edge_at(pos)
        shape = (Qt.CursorShape.PointingHandCursor if near
                 else Qt.CursorShape.SizeAllCursor if self._region_at(pos)
                 else Qt.CursorShape.ArrowCursor)
        self.viewport().setCursor(shape)
        region = self._region_at(pos)
        if region is not self._hovered:
            if self._hovered is not None and self._hovered.rid in self.items_by_id:
                self._hovered.set_hovered(False)
            self._hovered = region
            if region is not None:
                region.set_hovered(True)
        hover = None
        if near is not None and len(near) == 3:
            hover = near[2]  # the foot on an edge: where a click would add a vertex
        if hover != self._hover:
            self._hover = hover
            self.viewport().update()

    # ---- keys ----------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if self._renumber is not None and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter,
                                                  Qt.Key.Key_Escape):
            self._finish_renumber(keep=key != Qt.Key.Key_Escape)
        elif key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.draft.active:
            done = self.draft.finish()
            if done is not None:
                self.region_drawn.emit(done)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._selected:
            self.region_activated.emit(self._selected[0])
        elif key == Qt.Key.Key_Escape and self.draft.active:
            self.draft.reset()
        elif key == Qt.Key.Key_Escape and self._selected:
            self._set_selection([])
        elif key == Qt.Key.Key_Backspace and self.draft.active:
            self.draft.undo_point()
        else:
            return super().keyPressEvent(event)
        event.accept()

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002
        # Tab walks the regions in reading order instead of moving the focus away.
        self.step_requested.emit(1 if next else -1)
        return True

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._restore_cursor()
            return
        super().keyReleaseEvent(event)

    # ---- handles -------------------------------------------------------------------
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        handles.draw(painter, [p for _, p in self._selected_polygons()], self.zoom(),
                     self._hover)


__all__ = ["Canvas", "Tool"]
