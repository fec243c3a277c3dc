"""Undoable commands: each one user action, each applied through the annotation services.

A command persists in `redo()` (Qt calls it once when it is pushed) and puts the stored
snapshots back in `undo()`. After either, it tells the editor which image changed so the
canvas and panels show what is stored. Region ids survive undo/redo: deleted rows come back
with their old ids, so later commands in the stack still name the right regions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

from ocrstudio.core.types import Region
from ocrstudio.services import annotation as an
from ocrstudio.services import team
from ocrstudio.services.prelabel import restore_images
from ocrstudio.services.project import ProjectHandle
from ocrstudio.services.reading_order import (
    OrderState,
    restore_reading_order,
    set_reading_order,
)


class EditorLike(Protocol):
    """What a command uses of the editor: the open project, and a redraw."""

    @property
    def handle(self) -> ProjectHandle: ...

    def refresh_image(self, image_id: int, select: Sequence[int] | None = None) -> None: ...


class EditRegions(QUndoCommand):
    """Change some regions (geometry, text, flags) of one image. `keep_selection`: the
    first redo leaves the selection alone (text stored because the person moved on)."""

    def __init__(
        self,
        editor: EditorLike,
        image_id: int,
        before: Sequence[an.RegionRecord],
        after: Sequence[tuple[int, Region]],
        text: str,
        keep_selection: bool = False,
    ):
        super().__init__(text)
        self.editor, self.image_id = editor, image_id
        self.before, self.after = list(before), list(after)
        self.keep_selection = keep_selection

    def redo(self) -> None:
        if not team_checked(
            self,
            self.editor,
            [rid for rid, _ in self.after],
            lambda seen: team.edit_regions_checked(self.editor.handle, seen, self.after),
        ):
            an.edit_regions(self.editor.handle, self.after)
        select = None if self.keep_selection else [rid for rid, _ in self.after]
        self.keep_selection = False  # a later redo shows what it changed
        self.editor.refresh_image(self.image_id, select)

    def undo(self) -> None:
        if not team_checked(
            self,
            self.editor,
            [r.id for r in self.before],
            lambda seen: team.restore_regions_checked(self.editor.handle, seen, self.before),
        ):
            an.restore_regions(self.editor.handle, self.before)
        self.editor.refresh_image(self.image_id, [r.id for r in self.before])


def team_checked(
    command: QUndoCommand, editor: EditorLike, ids: Sequence[int], write: Callable[[Any], Any]
) -> bool:
    """In a team project, write only over the regions as this window shows them: True when
    written so. Another member's newer change is kept, said in the status line and shown,
    and the command leaves the undo stack (`setObsolete`). False: not a team project."""
    if not editor.handle.is_team:
        return False
    shown = getattr(editor, "records", {})
    try:
        write([shown[i] for i in ids if i in shown])
    except team.EditConflict as exc:
        command.setObsolete(True)
        if hasattr(editor, "message"):
            editor.message.emit(str(exc))
    return True


class AddRegions(QUndoCommand):
    """New regions (drawn or pasted)."""

    def __init__(self, editor: EditorLike, image_id: int, regions: Sequence[Region], text: str):
        super().__init__(text)
        self.editor, self.image_id = editor, image_id
        self.regions = list(regions)
        self.snapshots: list[an.RegionRecord] = []

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.snapshots]

    def redo(self) -> None:
        if self.snapshots:  # redo after undo: the same rows, the same ids
            an.restore_regions(self.editor.handle, self.snapshots)
        else:
            self.snapshots = an.add_regions(self.editor.handle, self.image_id, self.regions)
        self.editor.refresh_image(self.image_id, self.ids)

    def undo(self) -> None:
        self.snapshots = an.delete_regions(self.editor.handle, self.ids) or self.snapshots
        self.editor.refresh_image(self.image_id, [])


class DeleteRegions(QUndoCommand):
    def __init__(self, editor: EditorLike, image_id: int, ids: Sequence[int], text: str):
        super().__init__(text)
        self.editor, self.image_id = editor, image_id
        self.ids = list(ids)
        self.snapshots: list[an.RegionRecord] = []

    def redo(self) -> None:
        self.snapshots = an.delete_regions(self.editor.handle, self.ids)
        self.editor.refresh_image(self.image_id, [])

    def undo(self) -> None:
        an.restore_regions(self.editor.handle, self.snapshots)
        self.editor.refresh_image(self.image_id, self.ids)


class SetImageVerified(QUndoCommand):
    """Mark an image (and all its regions) verified, or take the mark back."""

    def __init__(self, editor: EditorLike, image_id: int, verified: bool, text: str):
        super().__init__(text)
        self.editor, self.image_id, self.verified = editor, image_id, verified
        self.state: an.ImageState | None = None

    def redo(self) -> None:
        self.state = an.image_state(self.editor.handle, self.image_id)
        an.set_image_verified(self.editor.handle, self.image_id, self.verified)
        self.editor.refresh_image(self.image_id)

    def undo(self) -> None:
        if self.state is not None:
            an.restore_image_state(self.editor.handle, self.state)
        self.editor.refresh_image(self.image_id)


class ReplaceText(QUndoCommand):
    """Find and replace over many regions of many images, as one undoable step."""

    def __init__(
        self,
        editor: EditorLike,
        region_ids: Sequence[int],
        needle: str,
        replacement: str,
        case_sensitive: bool,
        on_change: Callable[[], None],
    ):
        super().__init__(f"Replace '{needle}' with '{replacement}'")
        self.editor, self.ids = editor, list(region_ids)
        self.args = (needle, replacement, case_sensitive)
        self.on_change = on_change
        self.snapshots: list[an.RegionRecord] = []

    def redo(self) -> None:
        self.snapshots = an.replace_text(self.editor.handle, self.ids, *self.args)
        self.on_change()

    def undo(self) -> None:
        an.restore_regions(self.editor.handle, self.snapshots)
        self.on_change()


class JobResult(QUndoCommand):
    """A model job's change to one image (pre-label, re-recognise), made undoable after
    the fact: the job already wrote it, so the first redo does nothing."""

    def __init__(
        self, editor: EditorLike, before: dict[int, Any], after: dict[int, Any], text: str
    ):
        super().__init__(text)
        self.editor, self.before, self.after = editor, before, after
        self._first = True

    def redo(self) -> None:
        if not self._first:
            restore_images(self.editor.handle, self.after)
        self._first = False
        for image_id in self.after:
            self.editor.refresh_image(image_id)

    def undo(self) -> None:
        restore_images(self.editor.handle, self.before)
        for image_id in self.before:
            self.editor.refresh_image(image_id)


class SetOrder(QUndoCommand):
    """A person's reading order of one image's regions."""

    def __init__(
        self,
        editor: EditorLike,
        image_id: int,
        region_ids: Sequence[int],
        text: str,
        manual: bool = True,
    ):
        super().__init__(text)
        self.editor, self.image_id, self.ids = editor, image_id, list(region_ids)
        self.manual = manual
        self.before: OrderState | None = None

    def redo(self) -> None:
        self.before = set_reading_order(self.editor.handle, self.image_id, self.ids, self.manual)
        self.editor.refresh_image(self.image_id)

    def undo(self) -> None:
        if self.before is not None:
            restore_reading_order(self.editor.handle, self.image_id, self.before)
        self.editor.refresh_image(self.image_id)


class RotateImage(QUndoCommand):
    """Turn the open image by quarter turns with its regions (stored in the project)."""

    def __init__(self, editor: Any, image_id: int, turns: int, text: str):
        super().__init__(text)
        self.editor, self.image_id, self.turns = editor, image_id, turns
        self.before: list[an.RegionRecord] = []

    def redo(self) -> None:
        self.before = an.rotate_image(self.editor.handle, self.image_id, self.turns)
        self.editor.reopen_image(self.image_id)

    def undo(self) -> None:
        an.rotate_image(self.editor.handle, self.image_id, -self.turns, self.before)
        self.editor.reopen_image(self.image_id)
