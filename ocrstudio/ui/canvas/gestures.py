"""The canvas's mouse: hit testing and the gestures (select, move, vertex drag, insert and
delete, rubber band, pan, drawing). A part of `Canvas` (view.py), kept in its own module;
finished gestures come out as the canvas's signals, never as writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QMouseEvent

from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation_ops as ops
from ocrstudio.ui.canvas import handles
from ocrstudio.ui.canvas.draft import Tool
from ocrstudio.ui.canvas.items import RegionItem


@dataclass
class Gesture:
    kind: str  # "move" | "vertex" | "pan" | "rubber"
    start: QPointF
    rid: int = -1
    vertex: int = -1
    before: dict[int, Region] = field(default_factory=dict)
    moved: bool = False


class MouseGestures:
    """Mouse handlers of `Canvas`; they use its items, selection, draft and signals."""

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
            self._gesture = Gesture("pan", QPointF(event.position()))
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
        if self.order.active:
            self.order.click(self._region_at(pos))
            return
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        hit = self._vertex_at(pos)
        self.vertex = None
        if hit is not None:
            rid, i = hit
            before = self.items_by_id[rid].region
            if mods & Qt.KeyboardModifier.ShiftModifier:
                after = ops.delete_vertex(before, i)
                if after is not None:
                    self.regions_edited.emit([(rid, before, after)])
                return
            self._gesture = Gesture("vertex", pos, rid, i, {rid: before})
            self.vertex = (rid, i)  # the arrow keys move it from now on
            return
        edge = self._edge_at(pos)
        if edge is not None and not ctrl:
            rid, i, (fx, fy) = edge
            before = self.items_by_id[rid].region
            self.items_by_id[rid].set_region(ops.insert_vertex(before, i, fx, fy))
            self._gesture = Gesture("vertex", pos, rid, i + 1, {rid: before}, moved=True)
            return
        item = self._region_at(pos)
        if item is None:
            if not ctrl:
                self._set_selection([])
            self._gesture = Gesture("rubber", pos)
            return
        if ctrl:
            sel = [r for r in self._selected if r != item.rid]
            self._set_selection(sel if item.rid in self._selected else [*sel, item.rid])
            return
        if item.rid not in self._selected:
            self._set_selection([item.rid])
        before = {rid: self.items_by_id[rid].region for rid in self._selected}
        self._gesture = Gesture("move", pos, before=before)

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

