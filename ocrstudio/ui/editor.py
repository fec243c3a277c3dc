"""The editing controller: one open image, its regions, the gestures and the undo stack.

It connects the canvas and the region model to the annotation services through undoable
commands, and after every command reloads what is stored for the image (one query) and
updates only the canvas items whose record changed, so thousands of regions stay cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QGuiApplication, QImage, QUndoStack

from ocrstudio.core.errors import OcrStudioError
from ocrstudio.core.images import read_image
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services import annotation_ops as ops
from ocrstudio.services.project import ProjectHandle
from ocrstudio.services.unsure import UnsureRule, rule_for
from ocrstudio.ui.canvas.view import Canvas
from ocrstudio.ui.commands import (
    AddRegions,
    DeleteRegions,
    EditRegions,
    RotateImage,
    SetImageVerified,
    SetOrder,
)
from ocrstudio.ui.models import ImageTableModel, RegionTableModel
from ocrstudio.ui.workers import Worker

PASTE_OFFSET = 12.0  # a paste onto the same image lands beside the original


def to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage sharing nothing with `rgb` (the array may be freed afterwards)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def _same_text(rec: an.RegionRecord, text: str) -> bool:
    """The text field shows `###` for an ignored region: typing nothing new is no edit."""
    return text == ("###" if rec.ignore else rec.text)


class Editor(QObject):
    image_opened = Signal(int)  # image id (0: none)
    regions_changed = Signal(int)  # image id whose regions were reloaded
    selection_changed = Signal(object)  # list of region ids
    message = Signal(str)

    def __init__(
        self,
        canvas: Canvas,
        images: ImageTableModel,
        regions: RegionTableModel,
        parent: QObject | None = None,
        prefetch_pool: QThreadPool | None = None,
    ):
        super().__init__(parent)
        # The next image is decoded ahead (a 12 MP JPEG takes ~0.3 s), so "verified, next
        # image" shows it at once.
        self.prefetch_pool = prefetch_pool
        self._ahead: dict[int, tuple[np.ndarray, QImage]] = {}
        self._wanted: int | None = None
        self._reading: Worker | None = None  # the read-ahead in flight, kept alive
        self.canvas, self.images, self.region_model = canvas, images, regions
        self.undo_stack = QUndoStack(self)
        self.project: ProjectHandle | None = None
        self.image: an.ImageRecord | None = None
        self.pixels: np.ndarray | None = None
        self.records: dict[int, an.RegionRecord] = {}
        self.clipboard: list[Region] = []
        self._clip_source: int | None = None
        self.next_image_id: Callable[[int, int], int | None] = lambda _id, _step: None
        # what a panel holds but has not stored yet (text being typed): stored before the
        # open image changes, so moving on never drops it
        self.pending_edit: Callable[[], None] = lambda: None
        self.rule = UnsureRule()
        canvas.region_drawn.connect(self._on_drawn)
        canvas.regions_edited.connect(self._on_edited)
        canvas.selection_changed.connect(self.selection_changed)
        canvas.order_chosen.connect(self.set_order)
        regions.edit_requested.connect(self.edit_field)

    # ---- project and image -------------------------------------------------------------
    def set_project(self, project: ProjectHandle | None) -> None:
        if self.image is not None:
            self.pending_edit()
        self.undo_stack.clear()
        self._ahead, self._wanted = {}, None
        self.project = project
        self.image, self.pixels, self.records = None, None, {}
        self.canvas.set_image(None)
        self.region_model.set_records([])
        self.images.set_records(an.list_images(project) if project else [])
        self.update_rule()

    @property
    def handle(self) -> ProjectHandle:
        """The open project, for what runs only while one is open (commands, the shown
        image's reloads)."""
        if self.project is None:
            raise OcrStudioError("no project is open")
        return self.project

    def update_rule(self) -> None:
        """Which readings are unsure: the active recognizer's card says (services.unsure);
        the canvas, the table and the review queue all use this one rule."""
        self.rule = rule_for(self.project) if self.project is not None else UnsureRule()
        self.canvas.set_rule(self.rule)
        self.region_model.set_rule(self.rule)

    def open_image(self, image_id: int) -> bool:
        rec = an.get_image(self.project, image_id) if self.project else None
        if rec is None:
            return False
        if self.image is not None and self.image.id == image_id:
            return True
        if self.image is not None:
            self.pending_edit()
        self.image = rec
        ahead = self._ahead.pop(image_id, None)
        try:
            self.pixels, qimage = ahead or self._decode(rec.file, rec.rotation)
        except OcrStudioError as exc:
            self.pixels, qimage = None, None
            self.message.emit(str(exc))
        self.canvas.set_image(qimage)
        self.canvas.fit()  # before the items: labels too small at this zoom are never made
        self.records = {}
        self._reload(select=[])
        self.image_opened.emit(image_id)
        self._prefetch(image_id)
        return True

    @staticmethod
    def _decode(file: Path, turns: int = 0) -> tuple[np.ndarray, QImage]:
        pixels = read_image(file, turns=turns)
        return pixels, to_qimage(pixels)

    def _prefetch(self, image_id: int) -> None:
        nxt = self.next_image_id(image_id, +1)
        if self.prefetch_pool is None or nxt is None or nxt in self._ahead:
            return
        rec = next((r for r in self.images.records if r.id == nxt), None)
        if rec is not None:
            self._wanted = nxt
            file, turns = rec.file, rec.rotation
            # a file that cannot be read fails here quietly: opening it reports the error
            self._reading = Worker(lambda _p, _c: self._decode(file, turns), f"read {file.name}")
            self._reading.finished_ok.connect(
                lambda decoded, image_id=nxt: self._keep_ahead(image_id, decoded)
            )
            self.prefetch_pool.start(self._reading)

    def _keep_ahead(self, image_id: int, decoded: tuple[np.ndarray, QImage]) -> None:
        if image_id == self._wanted and self.project is not None:
            self._ahead = {image_id: decoded}  # one image ahead is enough

    def refresh_image(self, image_id: int, select: Sequence[int] | None = None) -> None:
        """Show what is stored for `image_id` (after a command), opening it if needed."""
        if self.image is None or self.image.id != image_id:
            self.open_image(image_id)
        self._reload(select)
        rec = an.get_image(self.handle, image_id)
        if rec is not None:
            self.image = rec
            self.images.set_record(rec)

    def _reload(self, select: Sequence[int] | None) -> None:
        assert self.image is not None
        fresh = {r.id: r for r in an.regions_of_image(self.handle, self.image.id)}
        gone = [rid for rid in self.records if rid not in fresh]
        self.canvas.remove_regions(gone)
        changed = False
        for rid, rec in fresh.items():
            if self.records.get(rid) != rec:
                self.canvas.upsert_region(rid, rec.to_region())
                changed = True
        if changed or gone:
            self.canvas.layout_labels()
        self.records = fresh
        # the store keeps the reading order (renumbered on every write, or a person's)
        self.region_model.set_records(list(fresh.values()))
        self.canvas.set_order(list(fresh))
        if select is not None:
            self.canvas.select(list(select))
        self.regions_changed.emit(self.image.id)

    def ordered_ids(self) -> list[int]:
        return [r.id for r in self.region_model.records]

    # ---- gestures into commands --------------------------------------------------------
    def _on_drawn(self, poly: Polygon) -> None:
        if self.image is not None:
            self.undo_stack.push(AddRegions(self, self.image.id, [Region(poly)], "Draw region"))

    def _on_edited(self, edits: list[tuple[int, Region, Region]]) -> None:
        if self.image is None or not edits:
            return
        before = [self.records[rid] for rid, _, _ in edits]
        after = [(rid, new) for rid, _, new in edits]
        what = "Move regions" if len(edits) > 1 else "Edit region shape"
        self.undo_stack.push(EditRegions(self, self.image.id, before, after, what))

    def edit_regions(
        self, changes: list[tuple[int, Region]], text: str, keep_selection: bool = False
    ) -> None:
        changes = [(rid, r) for rid, r in changes if r != self.records[rid].to_region()]
        if self.image is not None and changes:
            before = [self.records[rid] for rid, _ in changes]
            self.undo_stack.push(
                EditRegions(self, self.image.id, before, changes, text, keep_selection)
            )

    def edit_field(self, rid: int, field: str, value: object, keep_selection: bool = False) -> None:
        """One field of one region from the panel: text, ignore or verified."""
        rec = self.records.get(rid)
        if rec is None:
            return
        if field == "text" and _same_text(rec, str(value)):
            return  # moving the focus through a region never writes (nor drops its scores)
        r = rec.to_region()
        new = {
            "text": lambda: ops.set_text(r, str(value)),
            "ignore": lambda: ops.set_ignore(r, bool(value)),
            "verified": lambda: ops.set_verified(r, bool(value)),
        }[field]()
        self.edit_regions([(rid, new)], f"Set {field}", keep_selection)

    def toggle_ignore(self) -> None:
        """The selected regions become don't-care (###), or all back when all were."""
        recs = [self.records[r] for r in self.canvas.selected_ids() if r in self.records]
        on = not all(r.ignore for r in recs)
        self.edit_regions(
            [(r.id, ops.set_ignore(r.to_region(), on)) for r in recs],
            "Ignore regions" if on else "Take back ignore",
        )

    def confirm(self, rid: int, text: str) -> None:
        """Enter in the text field: this is the right text, the region is verified."""
        rec = self.records.get(rid)
        if rec is not None:
            # a confirmation is the verified flag; the model's score stays unless the text
            # was corrected
            r = rec.to_region() if _same_text(rec, text) else ops.set_text(rec.to_region(), text)
            self.edit_regions([(rid, ops.set_verified(r, True))], "Confirm region")

    def set_order(self, region_ids: list[int]) -> None:
        """A person's reading order: these regions first, in this sequence (kept through
        later edits until `automatic_order`)."""
        if self.image is not None and region_ids:
            self.undo_stack.push(SetOrder(self, self.image.id, region_ids, "Renumber regions"))

    def automatic_order(self) -> None:
        """Back to the geometric reading order (lines top to bottom, left to right)."""
        if self.image is not None:
            self.undo_stack.push(
                SetOrder(self, self.image.id, [], "Automatic reading order", manual=False)
            )

    def rotate(self, turns: int) -> None:
        """Turn the open image by clockwise quarter turns (negative: counter-clockwise)."""
        if self.image is not None:
            where = "clockwise" if turns > 0 else "counter-clockwise"
            self.undo_stack.push(
                RotateImage(self, self.image.id, turns, f"Rotate image 90° {where}")
            )

    def reopen_image(self, image_id: int) -> None:
        """Decode and show `image_id` afresh (its pixels changed: a rotation)."""
        self._ahead.pop(image_id, None)
        if self.images.thumbnails is not None:
            self.images.thumbnails.invalidate(image_id)
        rec = an.get_image(self.handle, image_id)
        if rec is not None:
            self.images.set_record(rec)  # size and thumbnail in the list
        self.image = None
        self.open_image(image_id)

    def delete_vertex(self, rid: int, index: int) -> None:
        rec = self.records.get(rid)
        new = ops.delete_vertex(rec.to_region(), index) if rec is not None else None
        if new is None:
            self.message.emit("A region keeps at least three vertices.")
            return
        self.edit_regions([(rid, new)], "Delete vertex")

    def delete_selected(self) -> None:
        ids = self.canvas.selected_ids()
        if self.image is not None and ids:
            self.undo_stack.push(
                DeleteRegions(self, self.image.id, ids, f"Delete {len(ids)} region(s)")
            )

    def verify_image(self, verified: bool = True) -> None:
        if self.image is not None:
            self.undo_stack.push(
                SetImageVerified(
                    self, self.image.id, verified, "Verify image" if verified else "Unverify image"
                )
            )

    # ---- clipboard -----------------------------------------------------------------
    def copy(self) -> int:
        """The selected regions for a paste, and their text (reading order, one line each)
        on the system clipboard, for pasting anywhere else."""
        self.clipboard = [self.records[rid].to_region() for rid in self.canvas.selected_ids()]
        self._clip_source = self.image.id if self.image else None
        chosen = set(self.canvas.selected_ids())
        texts = [r.text for r in self.region_model.records if r.id in chosen and r.text]
        if texts:
            QGuiApplication.clipboard().setText("\n".join(texts))
        return len(self.clipboard)

    def paste(self) -> None:
        if self.image is None or not self.clipboard:
            return
        same = self._clip_source == self.image.id
        offset = (PASTE_OFFSET, PASTE_OFFSET) if same else (0.0, 0.0)
        regions = ops.paste(self.clipboard, self.image.width, self.image.height, offset)
        if regions:
            self.undo_stack.push(
                AddRegions(self, self.image.id, regions, f"Paste {len(regions)} region(s)")
            )

    # ---- navigation ----------------------------------------------------------------
    def step_region(self, step: int) -> int | None:
        """Select the next (+1) or previous (-1) region in reading order."""
        ids = self.ordered_ids()
        if not ids:
            return None
        sel = self.canvas.selected_ids()
        if sel and sel[0] in ids:
            k = (ids.index(sel[0]) + step) % len(ids)
        else:
            k = 0 if step > 0 else len(ids) - 1
        self.canvas.select([ids[k]], center=True)
        return ids[k]

    def step_image(self, step: int) -> bool:
        if self.image is None:
            return False
        nxt = self.next_image_id(self.image.id, step)
        return nxt is not None and self.open_image(nxt)

    def verify_and_next(self) -> None:
        self.verify_image(True)
        if not self.step_image(+1):
            self.message.emit("That was the last image in the list.")
