"""The canvas's keyboard: `Canvas` (view.py) owns one `KeyGestures` and hands it its key
and focus events, as `gestures.py` is its mouse.

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

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent

from ocrstudio.core.types import Region
from ocrstudio.services import annotation_ops as ops

if TYPE_CHECKING:  # the canvas imports this module; the reference back is for typing only
    from ocrstudio.ui.canvas.view import Canvas

NUDGE = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}
BIG_NUDGE = 10
COMMAND_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)
ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class KeyGestures:
    """The keyboard of one `Canvas`: it reads the canvas's selection, draft and order, and
    answers with its signals."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas

    def _types_text(self, event: QKeyEvent) -> bool:
        """A character typed (no Ctrl/Alt/Meta, not Space, which pans) with one region
        selected and nothing being drawn or renumbered."""
        c, text = self.canvas, event.text()
        return (
            len(c.selected_ids()) == 1
            and not c.draft.active
            and not c.order.active
            and len(text) == 1
            and text.isprintable()
            and not text.isspace()
            and not event.modifiers() & COMMAND_MODIFIERS
        )

    def claims(self, event: QEvent) -> bool:
        """Whether the canvas takes this key before the window's shortcuts: Qt offers a key
        to the focused widget first (ShortcutOverride), and taking it keeps the letters and
        Backspace (= delete) from firing."""
        return (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and (
                self._types_text(event)
                or (self.canvas.draft.active and event.key() == Qt.Key.Key_Backspace)
            )
        )

    def press(self, event: QKeyEvent) -> bool:
        """A key pressed; False when it is not the canvas's (Qt handles it)."""
        c, key = self.canvas, event.key()
        selected = c.selected_ids()
        if c.order.active and key in (*ENTER, Qt.Key.Key_Escape):
            c.order.finish(keep=key != Qt.Key.Key_Escape)
        elif key == Qt.Key.Key_Space and not event.isAutoRepeat():
            c.space_held = True
            c.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif key in ENTER and c.draft.active:
            done = c.draft.finish()
            if done is not None:
                c.region_drawn.emit(done)
        elif key in ENTER and selected:
            c.region_activated.emit(selected[0])
        elif key == Qt.Key.Key_Escape and c.draft.active:
            c.draft.reset()
        elif key == Qt.Key.Key_Escape and selected:
            c.set_selection([])
        elif key == Qt.Key.Key_Backspace and c.draft.active:
            c.draft.undo_point()
        elif key in NUDGE and selected and not event.modifiers() & COMMAND_MODIFIERS:
            big = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            dx, dy = NUDGE[Qt.Key(key)]
            self._nudge(BIG_NUDGE * dx if big else dx, BIG_NUDGE * dy if big else dy)
        elif self._types_text(event):
            c.typing_started.emit(event.text())
        else:
            return False
        return True

    def _nudge(self, dx: float, dy: float) -> None:
        """Move the chosen vertex, else the selected regions, by (dx, dy) image pixels."""
        c = self.canvas
        w, h = c.image_size
        edits: list[tuple[int, Region, Region]] = []
        if c.vertex is not None and c.vertex[0] in c.selected_ids():
            rid, i = c.vertex
            before = c.items_by_id[rid].region
            x, y = before.polygon.points[i]
            after = ops.move_vertex(before, i, min(max(x + dx, 0.0), w), min(max(y + dy, 0.0), h))
            edits.append((rid, before, after))
        else:
            for rid in c.selected_ids():
                before = c.items_by_id[rid].region
                x0, y0, x1, y1 = before.polygon.bounds  # stops at the image's edge, whole
                after = ops.translate(before, min(max(dx, -x0), w - x1), min(max(dy, -y0), h - y1))
                if after.polygon != before.polygon:
                    edits.append((rid, before, after))
        if edits:
            c.regions_edited.emit(edits)

    def focus_in(self, event: QFocusEvent) -> None:
        """Tab into the canvas (from the image list) starts at the first or last region."""
        reason = event.reason()
        if not self.canvas.selected_ids() and reason in (
            Qt.FocusReason.TabFocusReason,
            Qt.FocusReason.BacktabFocusReason,
        ):
            self.canvas.step_requested.emit(1 if reason == Qt.FocusReason.TabFocusReason else -1)

    def release(self, event: QKeyEvent) -> bool:
        """A key released; False when it is not the canvas's (Qt handles it)."""
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.canvas.space_held = False
            self.canvas.restore_cursor()
            return True
        return False
