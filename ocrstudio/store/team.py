"""What several people working on one project need from the store: edits that check the
version they were made on, the review stages, who did what, and a cheap "has anything
changed" stamp for the window to poll.

A version check locks the regions it checks (`SELECT ... FOR UPDATE` on PostgreSQL; a
project file's writer holds SQLite's write lock already) until the edit commits, so two
members' edits of one region are serialised: the second finds the first's version and is
refused with `EditConflict`, which names who changed what; nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ocrstudio.core.errors import OcrStudioError
from ocrstudio.store.models import Image, utcnow
from ocrstudio.store.models import Region as RegionRow
from ocrstudio.store.records import RegionRecord, Stage
from ocrstudio.store.regions import REGION_COLUMNS, to_record

COMPARED = ("polygon", "text", "ignore", "verified")


class EditConflict(OcrStudioError):
    """Someone else changed (or deleted) a region since this edit's author saw it; the
    edit was not saved. `theirs` holds the regions as they are now (None: deleted)."""

    def __init__(
        self, message: str, region_ids: Sequence[int], theirs: dict[int, RegionRecord | None]
    ) -> None:
        super().__init__(message)
        self.region_ids = tuple(region_ids)
        self.theirs = theirs


class StageError(OcrStudioError):
    """An image is not in the stage a step needs (someone moved it meanwhile)."""


def _what_changed(mine: RegionRecord, theirs: RegionRecord) -> str:
    parts = []
    for name in COMPARED:
        a, b = getattr(mine, name), getattr(theirs, name)
        if a != b:
            parts.append(f"{name} {a!r} -> {b!r}" if name == "text" else name)
    return ", ".join(parts) or "its version"


def describe_conflict(mine: RegionRecord, theirs: RegionRecord | None) -> str:
    if theirs is None:
        return f"region {mine.id} was deleted by someone else since you saw it"
    who = theirs.author or "someone else"
    when = theirs.updated.strftime("%H:%M:%S")
    return (
        f"region {mine.id} was changed by {who} at {when} UTC since you saw it "
        f"(version {mine.version} -> {theirs.version}: {_what_changed(mine, theirs)})"
    )


def check_versions(session: Session, seen: Sequence[RegionRecord]) -> None:
    """Lock the regions `seen` describes and raise `EditConflict` unless each is still at
    the version seen. Call first in the edit's transaction."""
    if not seen:
        return
    ids = sorted({r.id for r in seen})  # one order for every member: no deadlock
    q = select(REGION_COLUMNS).where(RegionRow.id.in_(ids)).order_by(RegionRow.id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    now = {row.id: to_record(row) for row in session.execute(q)}
    stale = [r for r in seen if r.id not in now or now[r.id].version != r.version]
    if stale:
        lines = [describe_conflict(r, now.get(r.id)) for r in stale]
        raise EditConflict(
            "your edit was not saved: "
            + "; ".join(lines)
            + ". Their version is shown now; edit again if needed.",
            [r.id for r in stale],
            {r.id: now.get(r.id) for r in stale},
        )


@dataclass(frozen=True)
class StageMove:
    image_id: int
    before: Stage
    after: Stage


def set_stage(
    session: Session, image_id: int, to: Stage, by: str, allowed_from: set[Stage], note: str = ""
) -> StageMove:
    """Move an image to `to` when it is in one of `allowed_from` (checked in the same
    statement, so a stage someone changed meanwhile is refused, not overwritten)."""
    current = session.execute(
        select(Image.stage, Image.stage_by).where(Image.id == image_id).with_for_update()
        if session.get_bind().dialect.name == "postgresql"
        else select(Image.stage, Image.stage_by).where(Image.id == image_id)
    ).first()
    if current is None:
        raise StageError(f"no image with id {image_id}")
    before = Stage(current.stage)
    if before not in allowed_from:
        who = f" by {current.stage_by}" if current.stage_by else ""
        wanted = " or ".join(sorted(s.value for s in allowed_from))
        raise StageError(f"image {image_id} is {before.value}{who}; this step needs it {wanted}")
    values: dict[str, object] = {
        "stage": to.value,
        "stage_by": by,
        "stage_note": note,
        "updated": utcnow(),
    }
    if to == Stage.LABELLED:
        values["labelled_by"] = by
    session.execute(
        update(Image).where(Image.id == image_id).values(**values),
        execution_options={"synchronize_session": False},
    )
    return StageMove(image_id, before, to)


def stage_counts(session: Session) -> dict[str, int]:
    out = {s.value: 0 for s in Stage}
    for stage, n in session.execute(
        select(Image.stage, func.count(Image.id)).group_by(Image.stage)
    ):
        out[str(stage)] = int(n)
    return out


def accepted_image_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Image.id).where(Image.stage == Stage.ACCEPTED.value).order_by(Image.id)
        )
    )


@dataclass(frozen=True)
class PersonCounts:
    """What one person did: regions they wrote last (verifying counts), images they
    labelled, and stage steps (reviewed, accepted, sent back) that are theirs now."""

    regions: int = 0
    labelled: int = 0
    reviewed: int = 0
    accepted: int = 0
    sent_back: int = 0


def per_person(session: Session) -> dict[str, PersonCounts]:
    regions = {
        a: n
        for a, n in session.execute(
            select(RegionRow.author, func.count(RegionRow.id))
            .where(RegionRow.author != "")
            .group_by(RegionRow.author)
        )
    }
    labelled = {
        a: n
        for a, n in session.execute(
            select(Image.labelled_by, func.count(Image.id))
            .where(Image.labelled_by != "")
            .group_by(Image.labelled_by)
        )
    }
    steps: dict[tuple[str, str], int] = {
        (by, st): n
        for by, st, n in session.execute(
            select(Image.stage_by, Image.stage, func.count(Image.id))
            .where(Image.stage_by != "")
            .group_by(Image.stage_by, Image.stage)
        )
    }
    names = sorted(set(regions) | set(labelled) | {by for by, _ in steps})
    return {
        n: PersonCounts(
            regions=int(regions.get(n, 0)),
            labelled=int(labelled.get(n, 0)),
            reviewed=steps.get((n, Stage.REVIEWED.value), 0),
            accepted=steps.get((n, Stage.ACCEPTED.value), 0),
            sent_back=steps.get((n, Stage.OPEN.value), 0),
        )
        for n in names
    }


@dataclass(frozen=True)
class ChangeStamp:
    """Changes to an image or the project show here (count, newest write, sum of
    versions): the window compares two stamps instead of reloading."""

    regions: int
    version_sum: int
    latest: object


def image_stamp(session: Session, image_id: int) -> ChangeStamp:
    row = session.execute(
        select(
            func.count(RegionRow.id),
            func.coalesce(func.sum(RegionRow.version), 0),
            func.max(RegionRow.updated),
        ).where(RegionRow.image_id == image_id)
    ).one()
    image_updated = session.scalar(select(Image.updated).where(Image.id == image_id))
    return ChangeStamp(int(row[0]), int(row[1]), (row[2], image_updated))


def project_stamp(session: Session) -> ChangeStamp:
    row = session.execute(select(func.count(Image.id), func.max(Image.updated))).one()
    regions = session.execute(
        select(
            func.count(RegionRow.id),
            func.coalesce(func.sum(RegionRow.version), 0),
            func.max(RegionRow.updated),
        )
    ).one()
    return ChangeStamp(int(regions[0]), int(regions[1]), (row[0], row[1], regions[2]))
