"""Region rows: read in reading order, human edits, and model writes that never overwrite
what a person verified or changed. Every write that adds, moves or removes regions stores
the geometric reading order in `order` (`renumber`), so the stored order is the reading
order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ocrstudio.core.geometry import reading_order
from ocrstudio.core.types import Polygon, Region
from ocrstudio.store.models import Image, utcnow
from ocrstudio.store.models import Region as RegionRow
from ocrstudio.store.records import ImageStatus, RegionRecord, Split

MANUAL = "manual"
# Reading plain rows of the table, not ORM objects: several times faster for bulk reads
# (and Core inserts). A declarative class's __table__ is a Table, typed as any FromClause.
REGION_COLUMNS = cast(Table, RegionRow.__table__)

# What a person may change on a region through `update_region`.
EDITABLE = frozenset({"polygon", "text", "ignore", "order", "verified", "score", "det_score"})


def polygon_to_json(poly: Polygon) -> list[list[float]]:
    return [[x, y] for x, y in poly.points]


def polygon_from_json(value: Any) -> Polygon:
    return Polygon(tuple((float(x), float(y)) for x, y in value))


def to_record(row: Any) -> RegionRecord:
    """From an ORM row or a plain result row of the region table (same attribute names)."""
    return RegionRecord(
        id=row.id,
        image_id=row.image_id,
        polygon=polygon_from_json(row.polygon),
        text=row.text,
        ignore=row.ignore,
        order=row.order,
        provenance=row.provenance,
        model_version_id=row.model_version_id,
        score=row.score,
        det_score=row.det_score,
        verified=row.verified,
        edited=row.edited,
        created=row.created,
        updated=row.updated,
        author=row.author,
        version=row.version,
    )


def _values(
    image_id: int, region: Region, *, edited: bool, model_version_id: int | None = None
) -> dict[str, Any]:
    now = utcnow()
    return {
        "image_id": image_id,
        "polygon": polygon_to_json(region.polygon),
        "text": region.text,
        "ignore": region.ignore,
        "order": region.order,
        "provenance": region.provenance,
        "model_version_id": model_version_id,
        "score": region.score,
        "det_score": region.det_score,
        "verified": region.verified,
        "edited": edited,
        "created": now,
        "updated": now,
    }


def renumber(session: Session, image_ids: Iterable[int]) -> None:
    """Store the geometric reading order of these images' regions in `order`. Derived from
    the polygons, so not a person's edit: rows keep their `edited` flag and timestamps.
    Where a person set the order (`manual_order`) it stays: the stored sequence is only
    made gapless, with regions added since at its end (they are inserted after the rest)."""
    ids = sorted(set(image_ids))
    manual = {
        i
        for start in range(0, len(ids), 500)  # SQLite caps bound parameters
        for i in session.scalars(
            select(Image.id).where(
                Image.id.in_(ids[start : start + 500]), Image.manual_order.is_(True)
            )
        )
    }
    for image_id in ids:
        rows = list(
            session.execute(
                select(RegionRow.id, RegionRow.polygon, RegionRow.order, *KEPT_ON_RENUMBER)
                .where(RegionRow.image_id == image_id)
                .order_by(RegionRow.order, RegionRow.id)
            )
        )
        if image_id in manual:
            ranks = list(range(len(rows)))
        else:
            ranks = reading_order([r.polygon for r in rows]) if rows else []
        changed = [
            {**_kept(rows[i]), "id": rows[i].id, "order": k}
            for k, i in enumerate(ranks)
            if rows[i].order != k
        ]
        if changed:
            session.execute(
                update(RegionRow), changed, execution_options={"synchronize_session": False}
            )


# A new place in the reading order is not a write of the region: the columns an update
# stamps by itself (`onupdate`) are written back as they were.
KEPT_ON_RENUMBER = (RegionRow.author, RegionRow.version, RegionRow.updated)


def _kept(row: Any) -> dict[str, Any]:
    return {"author": row.author, "version": row.version, "updated": row.updated}


def regions_of_image(session: Session, image_id: int) -> list[RegionRecord]:
    """The image's regions in reading order (ties by creation)."""
    rows = session.execute(
        select(REGION_COLUMNS)
        .where(RegionRow.image_id == image_id)
        .order_by(RegionRow.order, RegionRow.id)
    )
    return [to_record(r) for r in rows]


def regions_of_images(session: Session, image_ids: Sequence[int]) -> dict[int, list[RegionRecord]]:
    """Regions of many images at once (exports, training snapshots), in reading order."""
    out: dict[int, list[RegionRecord]] = {i: [] for i in image_ids}
    for start in range(0, len(image_ids), 500):  # SQLite caps bound parameters
        chunk = image_ids[start : start + 500]
        rows = session.execute(
            select(REGION_COLUMNS)
            .where(RegionRow.image_id.in_(chunk))
            .order_by(RegionRow.image_id, RegionRow.order, RegionRow.id)
        )
        for r in rows:
            out[r.image_id].append(to_record(r))
    return out


def get_region(session: Session, region_id: int) -> RegionRecord | None:
    row = session.get(RegionRow, region_id)
    return None if row is None else to_record(row)


def add_region(
    session: Session,
    image_id: int,
    region: Region,
    model_version_id: int | None = None,
    edited: bool | None = None,
) -> int:
    """Add one region; a manual one counts as edited by a person unless told otherwise."""
    is_edited = region.provenance == MANUAL if edited is None else edited
    region = region.with_(order=_next_order(session, image_id))  # last, in a person's order
    row = RegionRow(
        **_values(image_id, region, edited=is_edited, model_version_id=model_version_id)
    )
    session.add(row)
    session.flush()
    renumber(session, [image_id])
    return row.id


def _next_order(session: Session, image_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.max(RegionRow.order) + 1, 0)).where(
                RegionRow.image_id == image_id
            )
        )
        or 0
    )


def add_regions(
    session: Session,
    rows: Iterable[tuple[int, Region]],
    *,
    edited: bool,
    model_version_id: int | None = None,
) -> int:
    """Bulk insert (image_id, region) pairs in one statement; returns how many."""
    values = [_values(i, r, edited=edited, model_version_id=model_version_id) for i, r in rows]
    if values:  # Core insert: no ORM bookkeeping per row (an import writes thousands)
        session.execute(insert(REGION_COLUMNS), values)
        renumber(session, {v["image_id"] for v in values})
    return len(values)


def update_region(session: Session, region_id: int, **changes: Any) -> RegionRecord:
    """A person's edit: sets the given fields (a `polygon` is a core Polygon), marks the
    region edited and stamps `updated`. Unknown fields raise, so a typo cannot pass silently."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    row = session.get(RegionRow, region_id)
    if row is None:
        raise KeyError(f"no region with id {region_id}")
    moved = "polygon" in changes and polygon_to_json(changes["polygon"]) != row.polygon
    for key, value in changes.items():
        setattr(row, key, polygon_to_json(value) if key == "polygon" else value)
    row.edited = True
    row.updated = utcnow()
    session.flush()
    if moved:
        renumber(session, [row.image_id])
        session.refresh(row)
    return to_record(row)


def delete_region(session: Session, region_id: int) -> None:
    image_id = session.scalar(select(RegionRow.image_id).where(RegionRow.id == region_id))
    session.execute(delete(RegionRow).where(RegionRow.id == region_id))
    if image_id is not None:
        renumber(session, [image_id])


def delete_regions_of_image(session: Session, image_id: int) -> int:
    done = session.execute(delete(RegionRow).where(RegionRow.image_id == image_id))
    return cast(CursorResult[Any], done).rowcount  # a DELETE's result counts its rows


def replace_regions(
    session: Session, regions: Mapping[int, Sequence[Region]], *, edited: bool = False
) -> int:
    """Every region of these images replaced by the given ones: what importing a person's
    label files does. One delete per 500 images, one insert, in reading order."""
    ids = list(regions)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(
            delete(RegionRow).where(RegionRow.image_id.in_(chunk)),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            update(Image).where(Image.id.in_(chunk)).values(manual_order=False),
            execution_options={"synchronize_session": False},
        )  # new labels
    pairs = [
        (i, rs[k].with_(order=n))
        for i, rs in regions.items()
        for n, k in enumerate(reading_order([r.polygon.points for r in rs]) if rs else [])
    ]
    values = [_values(i, r, edited=edited) for i, r in pairs]
    if values:  # ordered here already: no renumbering queries for a thousand images
        session.execute(insert(REGION_COLUMNS), values)
    return len(values)


def _unprotected(image_id: int) -> ColumnElement[bool]:
    return (
        (RegionRow.image_id == image_id)
        & RegionRow.verified.is_(False)
        & RegionRow.edited.is_(False)
    )


def write_model_regions(
    session: Session,
    image_id: int,
    regions: Sequence[Region],
    provenance: str,
    model_version_id: int | None = None,
) -> int:
    """A model's proposal for an image: replaces the regions a model made before and a
    person has not touched; verified or edited regions stay exactly as they are. An image
    a person marked verified is left alone. Returns how many regions were written."""
    img = session.get(Image, image_id)
    if img is None:
        raise KeyError(f"no image with id {image_id}")
    if img.status == ImageStatus.VERIFIED:
        return 0
    session.execute(delete(RegionRow).where(_unprotected(image_id)))
    start = _next_order(session, image_id)
    proposals = [
        (image_id, r.with_(provenance=provenance, verified=False, order=start + k))
        for k, r in enumerate(regions)
    ]
    n = add_regions(session, proposals, edited=False, model_version_id=model_version_id)
    if not proposals:  # add_regions renumbered otherwise
        renumber(session, [image_id])
    if img.status == ImageStatus.NEW:
        img.status = ImageStatus.PRELABELED
    session.flush()
    return n


def model_update_region(
    session: Session,
    region_id: int,
    provenance: str,
    model_version_id: int | None = None,
    **changes: Any,
) -> bool:
    """A model's change to one region (e.g. a recognizer filling in text). Skipped, and
    False returned, when the region is verified or was edited by a person."""
    row = session.get(RegionRow, region_id)
    if row is None:
        raise KeyError(f"no region with id {region_id}")
    if row.verified or row.edited:
        return False
    unknown = set(changes) - EDITABLE - {"verified"}
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    for key, value in changes.items():
        setattr(row, key, polygon_to_json(value) if key == "polygon" else value)
    row.provenance = provenance
    row.model_version_id = model_version_id
    row.updated = utcnow()
    session.flush()
    if "polygon" in changes:
        renumber(session, [row.image_id])
    return True


def search_text(
    session: Session, needle: str, limit: int = 200, case_sensitive: bool = False
) -> list[RegionRecord]:
    """Regions whose transcription contains `needle`, in image and reading order."""
    q = select(REGION_COLUMNS).order_by(RegionRow.image_id, RegionRow.order, RegionRow.id)
    if needle.isascii():
        # SQLite's LIKE ignores ASCII case; the exact check below narrows it when asked.
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = q.where(RegionRow.text.like(f"%{escaped}%", escape="\\"))
    folded = needle if case_sensitive else needle.casefold()
    out: list[RegionRecord] = []
    for row in session.execute(q):
        if folded in (row.text if case_sensitive else row.text.casefold()):
            out.append(to_record(row))
            if len(out) >= limit:
                break
    return out


def char_stats(
    session: Session, split: Split | str | None = None, verified_only: bool = False
) -> Counter[str]:
    """How often each character occurs in legible transcriptions (for charset checks)."""
    q = select(RegionRow.text).where(RegionRow.ignore.is_(False))
    if split is not None or verified_only:
        q = q.join(Image, Image.id == RegionRow.image_id)
    if split is not None:
        q = q.where(Image.split == Split(split))
    if verified_only:
        q = q.where(or_(RegionRow.verified.is_(True), Image.status == ImageStatus.VERIFIED))
    counts: Counter[str] = Counter()
    for text in session.scalars(q):
        counts.update(text)
    return counts


def set_order(
    session: Session, image_id: int, region_ids: Sequence[int], manual: bool = True
) -> None:
    """A person's reading order for an image: `region_ids` first, in this sequence, then
    the image's other regions in their stored order, kept from now on (`manual_order`:
    later edits do not renumber it). Like `renumber`, not an edit of the regions (flags
    and timestamps stay). `manual=False` goes back to the geometric order."""
    session.execute(
        update(Image).where(Image.id == image_id).values(manual_order=manual),
        execution_options={"synchronize_session": False},
    )
    if not manual:
        renumber(session, [image_id])
        return
    found = {
        r.id: r
        for r in session.execute(
            select(RegionRow.id, *KEPT_ON_RENUMBER)
            .where(RegionRow.image_id == image_id)
            .order_by(RegionRow.order, RegionRow.id)
        )
    }
    rows = list(found)
    wanted = [i for i in dict.fromkeys(region_ids) if i in found]
    ordered = [*wanted, *(i for i in rows if i not in set(wanted))]
    if ordered:
        session.execute(
            update(RegionRow),
            [{**_kept(found[i]), "id": i, "order": k} for k, i in enumerate(ordered)],
            execution_options={"synchronize_session": False},
        )
