"""Persisting a person's annotation edits: one short transaction per user action.

The GUI computes new `Region` values with `annotation_ops` and calls these functions; each
opens its own Session and commits before returning, so killing the app loses nothing that
was on screen. Functions that remove or change rows return full `RegionRecord` snapshots,
and `restore_regions` puts such snapshots back exactly (same id, provenance, scores and
`edited` flag): that is what undo replays, so undoing an edit of a model's region makes it
a model's region again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update

from ocrstudio.core.geometry import reading_order
from ocrstudio.core.types import Region
from ocrstudio.services.project import ProjectHandle
from ocrstudio.store import images as image_rows
from ocrstudio.store import regions as region_rows
from ocrstudio.store.models import Image as ImageRow
from ocrstudio.store.models import Region as RegionRow
from ocrstudio.store.records import ImageRecord, ImageStatus, RegionRecord

__all__ = [
    "ImageRecord", "ImageState", "ImageStatus", "QueueEntry", "RegionRecord", "add_regions",
    "char_stats", "delete_regions", "edit_regions", "get_image", "image_state", "list_images",
    "regions_of_image", "replace_text", "restore_image_state", "restore_regions",
    "review_queue", "search", "set_image_verified",
]


@dataclass(frozen=True)
class ImageState:
    """What "verified, next image" changes, so undo can put it back."""

    image_id: int
    status: ImageStatus
    verified_region_ids: tuple[int, ...]


def list_images(project: ProjectHandle) -> list[ImageRecord]:
    with project.session() as s:
        return image_rows.list_images(s)


def get_image(project: ProjectHandle, image_id: int) -> ImageRecord | None:
    with project.session() as s:
        return image_rows.get_image(s, image_id)


def regions_of_image(project: ProjectHandle, image_id: int) -> list[RegionRecord]:
    with project.session() as s:
        return region_rows.regions_of_image(s, image_id)


def _renumber(session, image_id: int) -> None:  # type: ignore[no-untyped-def]
    """Store the geometric reading order in `order`. Order is derived from the polygons, so
    changing it is not a person's edit: rows keep their `edited` flag and timestamps."""
    rows = list(session.execute(select(RegionRow.id, RegionRow.polygon, RegionRow.order)
                                .where(RegionRow.image_id == image_id)
                                .order_by(RegionRow.order, RegionRow.id)))
    ranks = reading_order([r.polygon for r in rows]) if rows else []
    changed = [{"id": rows[i].id, "order": k} for k, i in enumerate(ranks) if rows[i].order != k]
    if changed:
        session.execute(update(RegionRow), changed,
                        execution_options={"synchronize_session": False})


def _image_of(session, region_ids: Iterable[int]) -> set[int]:  # type: ignore[no-untyped-def]
    ids = list(region_ids)
    if not ids:
        return set()
    return set(session.scalars(select(RegionRow.image_id).where(RegionRow.id.in_(ids))))


def add_regions(project: ProjectHandle, image_id: int,
                regions: Sequence[Region]) -> list[RegionRecord]:
    """New human-made regions (drawn or pasted) on one image, in one transaction."""
    with project.write() as s:
        ids = [region_rows.add_region(s, image_id, r.with_(provenance="manual"), edited=True)
               for r in regions]
        _renumber(s, image_id)
        return [region_rows.get_region(s, i) for i in ids]  # type: ignore[misc]


def edit_regions(project: ProjectHandle,
                 edits: Sequence[tuple[int, Region]]) -> list[RegionRecord]:
    """A person's change to some regions (a drag, a vertex, text, flags): all or nothing."""
    with project.write() as s:
        moved = [rid for rid, r in edits
                 if (old := region_rows.get_region(s, rid)) is not None
                 and old.polygon != r.polygon]
        out = [region_rows.update_region(
            s, rid, polygon=r.polygon, text=r.text, ignore=r.ignore, verified=r.verified,
            score=r.score, det_score=r.det_score) for rid, r in edits]
        for image_id in _image_of(s, moved):  # only geometry changes the reading order
            _renumber(s, image_id)
        return [region_rows.get_region(s, r.id) for r in out]  # type: ignore[misc]


def delete_regions(project: ProjectHandle, ids: Sequence[int]) -> list[RegionRecord]:
    """Delete regions; returns their snapshots (for undo)."""
    with project.write() as s:
        snaps = [r for r in (region_rows.get_region(s, i) for i in ids) if r is not None]
        images = {r.image_id for r in snaps}
        if snaps:
            s.execute(delete(RegionRow).where(RegionRow.id.in_([r.id for r in snaps])))
        for image_id in images:
            _renumber(s, image_id)
        return snaps


def restore_regions(project: ProjectHandle,
                    snapshots: Sequence[RegionRecord]) -> list[RegionRecord]:
    """Put snapshots back exactly as they were (rows re-created with their old ids when
    deleted, overwritten field by field otherwise)."""
    with project.write() as s:
        for snap in snapshots:
            values = _snapshot_values(snap)
            row = s.get(RegionRow, snap.id)
            if row is None:
                s.add(RegionRow(id=snap.id, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
        s.flush()
        for image_id in {r.image_id for r in snapshots}:
            _renumber(s, image_id)
        return [region_rows.get_region(s, r.id) for r in snapshots]  # type: ignore[misc]


def _snapshot_values(r: RegionRecord) -> dict[str, object]:
    return {"image_id": r.image_id, "polygon": region_rows.polygon_to_json(r.polygon),
            "text": r.text, "ignore": r.ignore, "order": r.order, "provenance": r.provenance,
            "model_version_id": r.model_version_id, "score": r.score,
            "det_score": r.det_score, "verified": r.verified, "edited": r.edited,
            "created": r.created, "updated": r.updated}


def image_state(project: ProjectHandle, image_id: int) -> ImageState:
    with project.session() as s:
        img = s.get(ImageRow, image_id)
        if img is None:
            raise KeyError(f"no image with id {image_id}")
        ids = s.scalars(select(RegionRow.id).where(RegionRow.image_id == image_id,
                                                   RegionRow.verified.is_(True)))
        return ImageState(image_id, ImageStatus(img.status), tuple(sorted(ids)))


def set_image_verified(project: ProjectHandle, image_id: int, verified: bool = True) -> None:
    """Mark the image and all its regions verified (or the image back to pre-labeled/new)."""
    with project.write() as s:
        if verified:
            image_rows.set_image_status(s, image_id, ImageStatus.VERIFIED, verify_regions=True)
        else:
            has_regions = bool(s.scalar(select(RegionRow.id)
                                        .where(RegionRow.image_id == image_id).limit(1)))
            image_rows.set_image_status(
                s, image_id, ImageStatus.PRELABELED if has_regions else ImageStatus.NEW)


def restore_image_state(project: ProjectHandle, state: ImageState) -> None:
    with project.write() as s:
        image_rows.set_image_status(s, state.image_id, state.status)
        s.execute(update(RegionRow).where(RegionRow.image_id == state.image_id)
                  .values(verified=RegionRow.id.in_(state.verified_region_ids or (-1,))),
                  execution_options={"synchronize_session": False})


@dataclass(frozen=True)
class QueueEntry:
    region_id: int
    image_id: int
    score: float


def review_queue(project: ProjectHandle, limit: int = 1000) -> list[QueueEntry]:
    """Model-made regions nobody has checked yet, least confident first (the lower of the
    recognition and detection scores)."""
    low = func.min(func.coalesce(RegionRow.score, 2.0), func.coalesce(RegionRow.det_score, 2.0))
    q = (select(RegionRow.id, RegionRow.image_id, low.label("low"))
         .where(RegionRow.verified.is_(False), RegionRow.edited.is_(False),
                or_(RegionRow.score.is_not(None), RegionRow.det_score.is_not(None)))
         .order_by(low, RegionRow.id).limit(limit))
    with project.session() as s:
        return [QueueEntry(rid, iid, float(score)) for rid, iid, score in s.execute(q)]


def search(project: ProjectHandle, needle: str, case_sensitive: bool = False,
           limit: int = 500) -> list[RegionRecord]:
    with project.session() as s:
        return region_rows.search_text(s, needle, limit=limit, case_sensitive=case_sensitive)


def replace_text(project: ProjectHandle, region_ids: Sequence[int], needle: str,
                 replacement: str, case_sensitive: bool = False) -> list[RegionRecord]:
    """Replace `needle` in the texts of these regions, all in one transaction (a person's
    edit of each). Returns the snapshots from before, for undo."""
    pattern = re.compile(re.escape(needle), 0 if case_sensitive else re.IGNORECASE)
    with project.write() as s:
        before = []
        for rid in region_ids:
            rec = region_rows.get_region(s, rid)
            if rec is None:
                continue
            new = pattern.sub(lambda _m: replacement, rec.text)
            if new != rec.text:
                before.append(rec)
                region_rows.update_region(s, rid, text=new, score=None, det_score=None)
        return before


def char_stats(project: ProjectHandle) -> list[tuple[str, int]]:
    """Each character of the legible transcriptions and how often it occurs, most first."""
    with project.session() as s:
        return region_rows.char_stats(s).most_common()
