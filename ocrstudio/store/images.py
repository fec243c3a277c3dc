"""Image rows: add, list (with region counts), look up, change status or split."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, Subquery, and_, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ocrstudio.store.models import Image, Region, utcnow
from ocrstudio.store.records import ImageRecord, ImageStatus, Split, Stage


@dataclass(frozen=True)
class NewImage:
    """What an import knows about an image before it has a row."""

    path: str
    width: int
    height: int
    sha256: str
    split: Split
    orientation: int = 1
    exif_applied: bool = False
    status: ImageStatus = ImageStatus.NEW


def project_root(session: Session) -> Path | None:
    return session.info.get("root")


def resolve(root: Path | None, stored: str) -> Path:
    """The file a stored path names: absolute as is, relative against the project folder."""
    if root is None or os.path.isabs(stored):
        return Path(stored)
    return Path(os.path.normpath(os.path.join(root, stored)))


def _record(session: Session, img: Any, regions: int = 0, verified: int = 0) -> ImageRecord:
    """From an ORM row or a plain result row of the image table."""
    return ImageRecord(
        id=img.id,
        path=img.path,
        root=project_root(session),
        width=img.width,
        height=img.height,
        sha256=img.sha256,
        split=Split(img.split),
        status=ImageStatus(img.status),
        orientation=img.orientation,
        exif_applied=img.exif_applied,
        created=img.created,
        updated=img.updated,
        region_count=regions,
        verified_count=verified,
        rotation=img.rotation,
        manual_order=img.manual_order,
        stage=Stage(img.stage),
        stage_note=img.stage_note,
        stage_by=img.stage_by,
        labelled_by=img.labelled_by,
    )


def add_images(session: Session, images: Sequence[NewImage]) -> list[int]:
    """Insert image rows in one statement; returns their ids in the same order."""
    if not images:
        return []
    now = utcnow()
    rows = [
        {
            "path": n.path,
            "width": n.width,
            "height": n.height,
            "sha256": n.sha256,
            "split": n.split,
            "status": n.status,
            "orientation": n.orientation,
            "exif_applied": n.exif_applied,
            "created": now,
            "updated": now,
        }
        for n in images
    ]
    stmt = insert(Image).returning(Image.id, sort_by_parameter_order=True)
    return list(session.scalars(stmt, rows))


def _counts_subquery() -> Subquery:
    return (
        select(
            Region.image_id.label("image_id"),
            func.count(Region.id).label("n"),
            func.sum(case((Region.verified, 1), else_=0)).label("nv"),
        )
        .group_by(Region.image_id)
        .subquery()
    )


def _with_counts(session: Session, rows: Iterable[Row]) -> list[ImageRecord]:
    return [_record(session, row, row.n or 0, row.nv or 0) for row in rows]


def list_images(
    session: Session,
    status: ImageStatus | str | None = None,
    split: Split | str | None = None,
    offset: int = 0,
    limit: int | None = None,
    stage: Stage | str | None = None,
) -> list[ImageRecord]:
    """Images in id order (the order they were added), with region counts; `stage`
    keeps those at one review stage (a team's accepted images)."""
    counts = _counts_subquery()
    # Plain rows, not ORM objects: a 10,000-image list is read at every project open.
    q = (
        select(Image.__table__, counts.c.n, counts.c.nv)
        .outerjoin(counts, counts.c.image_id == Image.id)
        .order_by(Image.id)
    )
    if status is not None:
        q = q.where(Image.status == ImageStatus(status))
    if split is not None:
        q = q.where(Image.split == Split(split))
    if stage is not None:
        q = q.where(Image.stage == Stage(stage).value)
    q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return _with_counts(session, session.execute(q))


def get_image(session: Session, image_id: int) -> ImageRecord | None:
    counts = _counts_subquery()
    q = (
        select(Image.__table__, counts.c.n, counts.c.nv)
        .outerjoin(counts, counts.c.image_id == Image.id)
        .where(Image.id == image_id)
    )
    found = _with_counts(session, session.execute(q))
    return found[0] if found else None


def image_ids_by_path(session: Session) -> dict[str, int]:
    return {path: i for path, i in session.execute(select(Image.path, Image.id))}


def images_by_hash(session: Session, sha256: str) -> list[ImageRecord]:
    rows = session.scalars(select(Image).where(Image.sha256 == sha256).order_by(Image.id))
    return [_record(session, r) for r in rows]


def count_images(
    session: Session, status: ImageStatus | str | None = None, split: Split | str | None = None
) -> int:
    q = select(func.count(Image.id))
    if status is not None:
        q = q.where(Image.status == ImageStatus(status))
    if split is not None:
        q = q.where(Image.split == Split(split))
    return int(session.scalar(q) or 0)


def set_image_status(
    session: Session, image_id: int, status: ImageStatus | str, verify_regions: bool = False
) -> None:
    """Set the status; `verify_regions` also marks every region of the image verified
    (what "mark image verified" in the GUI means)."""
    status = ImageStatus(status)
    _update_one(session, image_id, status=status)
    if verify_regions and status is ImageStatus.VERIFIED:
        session.execute(
            update(Region)
            .where(and_(Region.image_id == image_id, Region.verified.is_(False)))
            .values(verified=True),
            execution_options={"synchronize_session": False},
        )


def set_images_status(
    session: Session, image_ids: Sequence[int], status: ImageStatus | str
) -> None:
    """The same status for many images, in one statement per 500 ids."""
    status = ImageStatus(status)
    for start in range(0, len(image_ids), 500):
        session.execute(
            update(Image)
            .where(Image.id.in_(image_ids[start : start + 500]))
            .values(status=status, updated=utcnow()),
            execution_options={"synchronize_session": False},
        )


def set_image_split(session: Session, image_id: int, split: Split | str) -> None:
    _update_one(session, image_id, split=Split(split))


def set_image_path(session: Session, image_id: int, path: str) -> None:
    """Point an image row at a file found elsewhere (same content hash)."""
    _update_one(session, image_id, path=path)


def set_splits(session: Session, splits: dict[int, Split]) -> None:
    """Reassign many splits at once (a change of split ratios or seed)."""
    if splits:
        session.execute(update(Image), [{"id": i, "split": Split(s)} for i, s in splits.items()])


def _update_one(session: Session, image_id: int, **values: object) -> None:
    img = session.get(Image, image_id)
    if img is None:
        raise KeyError(f"no image with id {image_id}")
    for k, v in values.items():
        setattr(img, k, v)
    session.flush()


def delete_image(session: Session, image_id: int) -> None:
    """Forget an image (the file stays); its regions go with it (ON DELETE CASCADE)."""
    session.execute(delete(Image).where(Image.id == image_id))


def turned_images(session: Session) -> dict[int, tuple[int, int, int]]:
    """(rotation, width, height) of the images a person turned in the project (few)."""
    rows = session.execute(
        select(Image.id, Image.rotation, Image.width, Image.height).where(Image.rotation != 0)
    )
    return {r.id: (r.rotation, r.width, r.height) for r in rows}
