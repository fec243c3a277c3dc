"""The canvas's mouse: hit testing and the gestures (select, move, vertex drag, insert and
delete, rubber band, pan, drawing). `Canvas` (view.py) owns one `MouseGestures` and hands
it its mouse events; finished gestures come out as the canvas's signals, never as writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QContextMenuEvent, QMouseEvent, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from ocrstudio.core.types import Region
from ocrstudio.services import annotation_ops as ops
from ocrstudio.ui.canvas import handles
from ocrstudio.ui.canvas.draft import Tool
from ocrstudio.ui.canvas.items import RegionItem

if TYPE_CHECKING:  # the canvas imports this module; the reference back is for typing only
    from ocrstudio.ui.canvas.view import Canvas


@dataclass
class Gesture:
    kind: str  # "move" | "vertex" | "pan" | "rubber"
    start: QPointF
    rid: int = -1
    vertex: int = -1
    before: dict[int, Region] = field(default_factory=dict)
    moved: bool = False


class MouseGestures:
    """The mouse of one `Canvas`: it reads the canvas's items, selection and draft, and
    keeps the state of the gesture under way and of the hover."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.gesture: Gesture | None = None
        self.hover: tuple[float, float] | None = None  # the foot on an edge under the mouse
        self.hovered: RegionItem | None = None
        self.rubber = QGraphicsRectItem()
        pen = QPen(QColor("#00e5ff"), 1.0, Qt.PenStyle.DotLine)
        pen.setCosmetic(True)
        self.rubber.setPen(pen)
        self.rubber.setZValue(10)
        self.rubber.setVisible(False)
        canvas.scene().addItem(self.rubber)

    # ---- hit testing ---------------------------------------------------------------
    def region_at(self, pos: QPointF) -> RegionItem | None:
        for item in self.canvas.scene().items(pos):
            if isinstance(item, RegionItem):
                return item
        return None

    def vertex_at(self, pos: QPointF) -> tuple[int, int] | None:
        c = self.canvas
        return handles.vertex_at(c.selected_polygons(), pos.x(), pos.y(), c.zoom())

    def edge_at(self, pos: QPointF) -> tuple[int, int, tuple[float, float]] | None:
        c = self.canvas
        return handles.edge_at(c.selected_polygons(), pos.x(), pos.y(), c.zoom())

    def clamped(self, pos: QPointF) -> tuple[float, float]:
        w, h = self.canvas.image_size
        return min(max(pos.x(), 0.0), float(w)), min(max(pos.y(), 0.0), float(h))

    def _scene_pos(self, event: QMouseEvent) -> QPointF:
        return self.canvas.mapToScene(event.position().toPoint())

    # ---- mouse ---------------------------------------------------------------------
    def press(self, event: QMouseEvent) -> bool:
        """A button pressed; False when it is not the canvas's (Qt handles it)."""
        c = self.canvas
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and c.space_held
        ):
            self.gesture = Gesture("pan", QPointF(event.position()))
            c.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return True
        if button != Qt.MouseButton.LeftButton:
            return False
        pos = self._scene_pos(event)
        if c.tool is not Tool.EDIT:
            self._press_draw(pos)
        else:
            self._press_edit(pos, event.modifiers())
        return True

    def _press_draw(self, pos: QPointF) -> None:
        c = self.canvas
        x, y = self.clamped(pos)
        if c.tool is Tool.RECT:
            c.draft.reset()
            c.draft.add(x, y)
            return
        done = c.draft.add(x, y)
        if done is not None:
            c.region_drawn.emit(done)

    def _press_edit(self, pos: QPointF, mods: Qt.KeyboardModifier) -> None:
        c = self.canvas
        if c.order.active:
            c.order.click(self.region_at(pos))
            return
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        hit = self.vertex_at(pos)
        c.vertex = None
        if hit is not None:
            rid, i = hit
            before = c.items_by_id[rid].region
            if mods & Qt.KeyboardModifier.ShiftModifier:
                after = ops.delete_vertex(before, i)
                if after is not None:
                    c.regions_edited.emit([(rid, before, after)])
                return
            self.gesture = Gesture("vertex", pos, rid, i, {rid: before})
            c.vertex = (rid, i)  # the arrow keys move it from now on
            return
        edge = self.edge_at(pos)
        if edge is not None and not ctrl:
            rid, i, (fx, fy) = edge
            before = c.items_by_id[rid].region
            c.items_by_id[rid].set_region(ops.insert_vertex(before, i, fx, fy))
            self.gesture = Gesture("vertex", pos, rid, i + 1, {rid: before}, moved=True)
            return
        self._press_region(pos, ctrl)

    def _press_region(self, pos: QPointF, ctrl: bool) -> None:
        """A press on a region (select, Ctrl toggles, then a move) or on empty space (a
        rubber band)."""
        c = self.canvas
        selected = c.selected_ids()
        item = self.region_at(pos)
        if item is None:
            if not ctrl:
                c.set_selection([])
            self.gesture = Gesture("rubber", pos)
            return
        if ctrl:
            sel = [r for r in selected if r != item.rid]
            c.set_selection(sel if item.rid in selected else [*sel, item.rid])
            return
        if item.rid not in selected:
            c.set_selection([item.rid])
        before = {rid: c.items_by_id[rid].region for rid in c.selected_ids()}
        self.gesture = Gesture("move", pos, before=before)

    def move(self, event: QMouseEvent) -> None:
        c = self.canvas
        pos = self._scene_pos(event)
        g = self.gesture
        if g is None:
            self._hover_at(pos)
        elif g.kind == "pan":
            delta = QPointF(event.position()) - g.start
            g.start = QPointF(event.position())
            h, v = c.horizontalScrollBar(), c.verticalScrollBar()
            h.setValue(h.value() - int(delta.x()))
            v.setValue(v.value() - int(delta.y()))
        elif g.kind == "vertex":
            x, y = self.clamped(pos)
            item = c.items_by_id[g.rid]
            item.set_region(ops.move_vertex(item.region, g.vertex, x, y))
            g.moved = True
        elif g.kind == "move":
            dx, dy = pos.x() - g.start.x(), pos.y() - g.start.y()
            for rid, before in g.before.items():
                c.items_by_id[rid].set_region(ops.translate(before, dx, dy))
            g.moved = g.moved or abs(dx) + abs(dy) > 0
        elif g.kind == "rubber":
            self.rubber.setRect(QRectF(g.start, pos).normalized())
            self.rubber.setVisible(True)
        if c.draft.active:
            c.draft.drag_to(*self.clamped(pos))
        if g is not None and g.kind in ("vertex", "move"):
            c.viewport().update()

    def release(self, event: QMouseEvent) -> bool:
        """A button released; False when no gesture of the canvas's was under way."""
        c = self.canvas
        if c.tool is Tool.RECT and c.draft.active and self.gesture is None:
            poly = c.draft.release_rect(*self.clamped(self._scene_pos(event)))
            if poly is not None:
                c.region_drawn.emit(poly)
            return True
        g, self.gesture = self.gesture, None
        if g is None:
            return False
        if g.kind == "pan":
            c.restore_cursor()
        elif g.kind == "rubber":
            self._finish_rubber(event.modifiers())
        elif g.moved:
            edits = [
                (rid, before, c.items_by_id[rid].region)
                for rid, before in g.before.items()
                if c.items_by_id[rid].region != before
            ]
            if edits:
                c.regions_edited.emit(edits)
        return True

    def _finish_rubber(self, mods: Qt.KeyboardModifier) -> None:
        c = self.canvas
        rect = self.rubber.rect()
        self.rubber.setVisible(False)
        if rect.width() * rect.height() == 0:
            return
        hits = [
            it.rid
            for it in c.scene().items(rect, Qt.ItemSelectionMode.IntersectsItemShape)
            if isinstance(it, RegionItem)
        ]
        keep = c.selected_ids() if mods & Qt.KeyboardModifier.ControlModifier else []
        c.set_selection(list(dict.fromkeys([*keep, *hits])))

    def double_click(self, event: QMouseEvent) -> None:
        c = self.canvas
        if c.tool is Tool.POLYGON and c.draft.active:
            done = c.draft.finish()
            if done is not None:
                c.region_drawn.emit(done)
            return
        item = self.region_at(self._scene_pos(event))
        if item is not None and c.tool is Tool.EDIT:
            c.region_activated.emit(item.rid)

    def context_menu(self, event: QContextMenuEvent) -> None:
        c = self.canvas
        pos = c.mapToScene(event.pos())
        vertex = self.vertex_at(pos)
        item = self.region_at(pos)
        if vertex is None and item is not None and item.rid not in c.selected_ids():
            c.set_selection([item.rid])
        c.context_requested.emit(event.globalPos(), vertex)
        event.accept()

    def _hover_at(self, pos: QPointF) -> None:
        c = self.canvas
        if c.tool is not Tool.EDIT or c.space_held:
            return
        near = self.vertex_at(pos) or self.edge_at(pos)
        shape = (
            Qt.CursorShape.PointingHandCursor
            if near
            else Qt.CursorShape.SizeAllCursor
            if self.region_at(pos)
            else Qt.CursorShape.ArrowCursor
        )
        c.viewport().setCursor(shape)
        region = self.region_at(pos)
        if region is not self.hovered:
            if self.hovered is not None and self.hovered.rid in c.items_by_id:
                self.hovered.set_hovered(False)
            self.hovered = region
            if region is not None:
                region.set_hovered(True)
        hover = None
        if near is not None and len(near) == 3:
            hover = near[2]  # the foot on an edge: where a click would add a vertex
        if hover != self.hover:
            self.hover = hover
            c.viewport().update()
