"""What a person's edits and their undo do to the rows: snapshots put back with their ids,
the stored reading order, an image's verified state, the review queue.

Every function that moves, adds or removes regions renumbers the image's `order` from the
polygons (`core.geometry.reading_order`), so whoever reads regions in stored order gets
the reading order without recomputing it. Renumbering is not a person's edit: rows keep
their `edited` flag and timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from ocrstudio.core.geometry import quarter_turn, turned_size
from ocrstudio.core.types import Region
from ocrstudio.store.images import set_image_status
from ocrstudio.store.models import Image as ImageRow
from ocrstudio.store.models import Region as RegionRow
from ocrstudio.store.records import ImageStatus, RegionRecord
from ocrstudio.store.regions import (
    add_region,
    get_region,
    polygon_to_json,
    renumber,
    to_record,
    update_region,
)


@dataclass(frozen=True)
class ImageState:
    """What "verified, next image" changes, so undo can put it back."""

    image_id: int
    status: ImageStatus
    verified_region_ids: tuple[int, ...]


@dataclass(frozen=True)
class QueueEntry:
    """A model's reading nobody has checked: what the review rule (services.unsure)
    needs to judge it."""

    region_id: int
    image_id: int
    order: int
    text: str
    score: float | None
    det_score: float | None


def _records(session: Session, ids: Sequence[int]) -> list[RegionRecord]:
    """Records of these regions (one query), in the order of `ids`; missing ones left out."""
    if not ids:
        return []
    rows = {
        r.id: to_record(r)
        for r in session.execute(select(RegionRow.__table__).where(RegionRow.id.in_(list(ids))))
    }
    return [rows[i] for i in ids if i in rows]


def add_manual_regions(
    session: Session, image_id: int, regions: Sequence[Region]
) -> list[RegionRecord]:
    """New regions a person drew or pasted."""
    ids = [
        add_region(session, image_id, r.with_(provenance="manual"), edited=True) for r in regions
    ]  # each renumbers the image
    return _records(session, ids)


def edit_regions(session: Session, edits: Sequence[tuple[int, Region]]) -> list[RegionRecord]:
    """A person's change to some regions (a drag, a vertex, text, flags); images whose
    geometry changed are renumbered."""
    for rid, r in edits:
        update_region(
            session,
            rid,
            polygon=r.polygon,
            text=r.text,
            ignore=r.ignore,
            verified=r.verified,
            score=r.score,
            det_score=r.det_score,
        )
    return _records(session, [rid for rid, _ in edits])


def delete_regions(session: Session, ids: Sequence[int]) -> list[RegionRecord]:
    """Delete regions; returns their snapshots (for undo)."""
    snaps = _records(session, ids)
    if snaps:
        session.execute(delete(RegionRow).where(RegionRow.id.in_([r.id for r in snaps])))
        renumber(session, {r.image_id for r in snaps})
    return snaps


def snapshot_values(r: RegionRecord) -> dict[str, object]:
    """Every column of a snapshot, as `restore_regions` writes it back."""
    return {
        "image_id": r.image_id,
        "polygon": polygon_to_json(r.polygon),
        "text": r.text,
        "ignore": r.ignore,
        "order": r.order,
        "provenance": r.provenance,
        "model_version_id": r.model_version_id,
        "score": r.score,
        "det_score": r.det_score,
        "verified": r.verified,
        "edited": r.edited,
        "created": r.created,
        "updated": r.updated,
    }


def restore_regions(session: Session, snapshots: Sequence[RegionRecord]) -> list[RegionRecord]:
    """Put snapshots back exactly (same id, provenance, scores, `edited` flag): rows
    re-created with their old ids when deleted, overwritten field by field otherwise."""
    for snap in snapshots:
        values = snapshot_values(snap)
        row = session.get(RegionRow, snap.id)
        if row is None:
            session.add(RegionRow(id=snap.id, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    session.flush()
    renumber(session, {r.image_id for r in snapshots})
    return _records(session, [r.id for r in snapshots])


def image_state(session: Session, image_id: int) -> ImageState:
    status = session.scalar(select(ImageRow.status).where(ImageRow.id == image_id))
    if status is None:
        raise KeyError(f"no image with id {image_id}")
    ids = session.scalars(
        select(RegionRow.id).where(RegionRow.image_id == image_id, RegionRow.verified.is_(True))
    )
    return ImageState(image_id, ImageStatus(status), tuple(sorted(ids)))


def set_verified(session: Session, image_id: int, verified: bool) -> None:
    """Mark the image and all its regions verified (or the image back to pre-labeled,
    or new when it has no regions)."""
    if verified:
        set_image_status(session, image_id, ImageStatus.VERIFIED, verify_regions=True)
        return
    has_regions = session.scalar(
        select(RegionRow.id).where(RegionRow.image_id == image_id).limit(1)
    )
    set_image_status(session, image_id, ImageStatus.PRELABELED if has_regions else ImageStatus.NEW)


def restore_image_state(session: Session, state: ImageState) -> None:
    set_image_status(session, state.image_id, state.status)
    session.execute(
        update(RegionRow)
        .where(RegionRow.image_id == state.image_id)
        .values(verified=RegionRow.id.in_(state.verified_region_ids or (-1,))),
        execution_options={"synchronize_session": False},
    )


def put_back_image(session: Session, state: ImageState, regions: Sequence[RegionRecord]) -> None:
    """An image exactly as a snapshot shows it: its regions now replaced by the
    snapshot's (with their ids), its status and verified flags restored."""
    session.execute(delete(RegionRow).where(RegionRow.image_id == state.image_id))
    restore_regions(session, regions)
    restore_image_state(session, state)


def review_candidates(session: Session) -> list[QueueEntry]:
    """Model-made regions nobody has checked yet (not verified, not edited, not ignored,
    with a model's score), in image and reading order; which of them are unsure is the
    review rule's call (services.unsure), not SQL's."""
    q = (
        select(
            RegionRow.id,
            RegionRow.image_id,
            RegionRow.order,
            RegionRow.text,
            RegionRow.score,
            RegionRow.det_score,
        )
        .where(
            RegionRow.verified.is_(False),
            RegionRow.edited.is_(False),
            RegionRow.ignore.is_(False),
            or_(RegionRow.score.is_not(None), RegionRow.det_score.is_not(None)),
        )
        .order_by(RegionRow.image_id, RegionRow.order, RegionRow.id)
    )
    return [QueueEntry(*row) for row in session.execute(q)]


def replace_text(
    session: Session, region_ids: Sequence[int], pattern: object, replacement: str
) -> list[RegionRecord]:
    """`pattern.sub` (a compiled regex) on these regions' texts, a person's edit of each;
    returns the snapshots from before of the regions that changed."""
    before = []
    for rec in _records(session, region_ids):
        new = pattern.sub(lambda _m: replacement, rec.text)  # type: ignore[attr-defined]
        if new != rec.text:
            before.append(rec)
            update_region(session, rec.id, text=new, score=None, det_score=None)
    return before


def rotate_image(
    session: Session, image_id: int, turns: int, snapshots: Sequence[RegionRecord] = ()
) -> list[RegionRecord]:
    """A person's quarter turns (clockwise; negative: back) of an image: its size, its
    `rotation` and every region's points move into the turned frame together. Not an edit
    of the regions (text, flags and `edited` stay). `snapshots`: the regions as they were
    before the turn being undone, put back exactly instead of turned (float points do not
    survive four turns bit for bit). Returns the regions before."""
    img = session.get(ImageRow, image_id)
    if img is None:
        raise KeyError(f"no image with id {image_id}")
    before = _records(
        session,
        list(
            session.scalars(
                select(RegionRow.id)
                .where(RegionRow.image_id == image_id)
                .order_by(RegionRow.order, RegionRow.id)
            )
        ),
    )
    if turns % 4:
        turned = [
            {
                "id": r.id,
                "updated": r.updated,  # kept: turning is not an edit
                "polygon": polygon_to_json(quarter_turn(r.polygon, turns, img.width, img.height)),
            }
            for r in before
        ]
        if turned:
            session.execute(
                update(RegionRow), turned, execution_options={"synchronize_session": False}
            )
        img.width, img.height = turned_size(img.width, img.height, turns)
        img.rotation = (img.rotation + turns) % 4
    session.flush()
    if snapshots:
        restore_regions(session, snapshots)
    else:
        renumber(session, [image_id])
    return before


__all__ = [
    "ImageState",
    "QueueEntry",
    "add_manual_regions",
    "delete_regions",
    "edit_regions",
    "get_region",
    "image_state",
    "put_back_image",
    "renumber",
    "replace_text",
    "restore_image_state",
    "restore_regions",
    "review_candidates",
    "rotate_image",
    "set_verified",
    "snapshot_values",
]
