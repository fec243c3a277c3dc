"""The canvas's keyboard: a part of `Canvas` (view.py), as `gestures.py` is its mouse.

- With one region selected, a character typed starts editing that region's text
  (`typing_started`): the canvas claims it before the window's single-letter shortcuts,
  which act only with no single region selected, where nothing could be typed.
- Arrow keys nudge the selected regions, or the vertex last clicked, by a pixel (Shift:
  ten); with nothing selected they scroll, as in any view.
- While a shape is being drawn, Backspace removes its last point (it is not "delete the
  selected regions" then), Enter closes it, Esc drops it.
- Tab and Shift+Tab walk the regions; Tab into the canvas (from the image list) starts
  there, at the first or last region.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent

from ocrstudio.services import annotation_ops as ops

NUDGE = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1),
         Qt.Key.Key_Down: (0, 1)}
BIG_NUDGE = 10
COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                     | Qt.KeyboardModifier.MetaModifier)
ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class KeyGestures:
    """Key handlers of `Canvas`; they use its selection, draft, order and signals."""

    def _types_text(self, event: QKeyEvent) -> bool:
        """A character typed (no Ctrl/Alt/Meta, not Space, which pans) with one region
        selected and nothing being drawn or renumbered."""
        text = event.text()
        return (len(self._selected) == 1 and not self.draft.active and not self.order.active
                and len(text) == 1 and text.isprintable() and not text.isspace()
                and not event.modifiers() & COMMAND_MODIFIERS)

    def event(self, event: QEvent) -> bool:
        # Qt offers a key to the focused widget first: taking it here keeps the window's
        # shortcuts (letters, Backspace = delete) from firing.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and (
                self._types_text(event)
                or (self.draft.active and event.key() == Qt.Key.Key_Backspace)):
            event.accept()
            return True
        return super().event(event)  # type: ignore[misc]

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if self.order.active and key in (*ENTER, Qt.Key.Key_Escape):
            self.order.finish(keep=key != Qt.Key.Key_Escape)
        elif key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif key in ENTER and self.draft.active:
            done = self.draft.finish()
            if done is not None:
                self.region_drawn.emit(done)
        elif key in ENTER and self._selected:
            self.region_activated.emit(self._selected[0])
        elif key == Qt.Key.Key_Escape and self.draft.active:
            self.draft.reset()
        elif key == Qt.Key.Key_Escape and self._selected:
            self._set_selection([])
        elif key == Qt.Key.Key_Backspace and self.draft.active:
            self.draft.undo_point()
        elif key in NUDGE and self._selected and not event.modifiers() & COMMAND_MODIFIERS:
            big = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self._nudge(*(BIG_NUDGE * d if big else d for d in NUDGE[key]))
        elif self._types_text(event):
            self.typing_started.emit(event.text())
        else:
            return super().keyPressEvent(event)  # type: ignore[misc]
        event.accept()

    def _nudge(self, dx: float, dy: float) -> None:
        """Move the chosen vertex, else the selected regions, by (dx, dy) image pixels."""
        w, h = self.image_size
        if self.vertex is not None and self.vertex[0] in self._selected:
            rid, i = self.vertex
            before = self.items_by_id[rid].region
            x, y = before.polygon.points[i]
            after = ops.move_vertex(before, i, min(max(x + dx, 0.0), w), min(max(y + dy, 0.0), h))
            edits = [(rid, before, after)]
        else:
            edits = []
            for rid in self._selected:
                before = self.items_by_id[rid].region
                x0, y0, x1, y1 = before.polygon.bounds  # stops at the image's edge, whole
                after = ops.translate(before, min(max(dx, -x0), w - x1),
                                      min(max(dy, -y0), h - y1))
                if after.polygon != before.polygon:
                    edits.append((rid, before, after))
        if edits:
            self.regions_edited.emit(edits)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002
        # Tab walks the regions in reading order instead of moving the focus away.
        self.step_requested.emit(1 if next else -1)
        return True

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)  # type: ignore[misc]
        reason = event.reason()
        if not self._selected and reason in (Qt.FocusReason.TabFocusReason,
                                             Qt.FocusReason.BacktabFocusReason):
            self.step_requested.emit(1 if reason == Qt.FocusReason.TabFocusReason else -1)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._restore_cursor()
            return
        super().keyReleaseEvent(event)  # type: ignore[misc]
