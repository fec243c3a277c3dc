"""Leases: one member holds an image (or the project's training) for a while.

A lease is a row keyed by what it covers (`image:<id>`, `training`), naming the person
(`holder`, what others are shown) and the holding process (`token`). Taking one is a
single statement, an insert that may replace only a lease that has run out or is the
taker's own, so two members can never both hold it. Time is the database's clock (a
member's wrong clock cannot steal or keep a lease); a crashed holder's lease runs out by
itself after its time-to-live, and `release` frees it at once when work ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, func, select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PgInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

from ocrstudio.store.models import Lease, utcnow


@dataclass(frozen=True)
class LeaseRecord:
    resource: str
    holder: str
    token: str
    acquired: datetime
    expires: datetime

    def held_by(self, token: str) -> bool:
        return self.token == token


def image_resource(image_id: int) -> str:
    return f"image:{image_id}"


TRAINING = "training"


def db_now(session: Session) -> datetime:
    """The database's time (UTC): the server's clock on PostgreSQL, this machine's for a
    project file (only this machine writes it)."""
    if session.get_bind().dialect.name == "postgresql":
        value: datetime = session.execute(select(func.localtimestamp())).scalar_one()
        return value.replace(tzinfo=UTC)  # the session runs in UTC
    return utcnow()


def _insert(session: Session) -> Callable[[type[Lease]], PgInsert | SqliteInsert]:
    """The dialect's INSERT, which has ON CONFLICT DO UPDATE on both."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def _record(row: Lease) -> LeaseRecord:
    return LeaseRecord(row.resource, row.holder, row.token, row.acquired, row.expires)


def acquire(session: Session, resource: str, holder: str, token: str, ttl_s: float) -> LeaseRecord:
    """Take or renew the lease; returns whoever holds it afterwards (compare the token)."""
    now = db_now(session)
    expires = now + timedelta(seconds=ttl_s)
    stmt = _insert(session)(Lease).values(
        resource=resource, holder=holder, token=token, acquired=now, expires=expires
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[Lease.resource],
        set_={
            "holder": holder,
            "token": token,
            "expires": expires,
            "acquired": func.coalesce(_own_start(token), now),
        },
        where=(Lease.expires < now) | (Lease.token == token),
    )
    session.execute(stmt)
    row = session.execute(
        select(Lease).where(Lease.resource == resource).execution_options(populate_existing=True)
    ).scalar_one()
    return _record(row)


def _own_start(token: str) -> ColumnElement[Any]:
    """A renewal keeps the time the lease was first taken."""
    from sqlalchemy import case

    return case((Lease.token == token, Lease.acquired), else_=None)


def release(session: Session, resource: str, token: str) -> bool:
    """Free a lease this process holds; False when it was not (any longer) ours."""
    done = session.execute(delete(Lease).where(Lease.resource == resource, Lease.token == token))
    return bool(cast(CursorResult[Any], done).rowcount)  # a DELETE's result counts rows


def release_all(session: Session, token: str) -> int:
    done = session.execute(delete(Lease).where(Lease.token == token))
    return int(cast(CursorResult[Any], done).rowcount or 0)


def live_leases(session: Session, prefix: str = "") -> list[LeaseRecord]:
    """Leases not run out, whose resource starts with `prefix`."""
    now = db_now(session)
    q = select(Lease).where(Lease.expires >= now).order_by(Lease.resource)
    if prefix:
        q = q.where(Lease.resource.startswith(prefix, autoescape=True))
    return [_record(r) for r in session.scalars(q)]


def leased_images(session: Session, except_token: str = "") -> dict[int, LeaseRecord]:
    """Image id -> its live lease, leaving out this process's own."""
    out = {}
    for lease in live_leases(session, "image:"):
        if lease.token != except_token:
            out[int(lease.resource.split(":", 1)[1])] = lease
    return out


def free_after(
    session: Session, image_ids: Sequence[int], after: int | None, token: str
) -> int | None:
    """The first image of `image_ids` (in that order) after `after` that no one else
    holds, wrapping around; None when all are held."""
    held = leased_images(session, except_token=token)
    ids = list(image_ids)
    start = ids.index(after) + 1 if after in ids else 0
    for image_id in ids[start:] + ids[:start]:
        if image_id not in held and image_id != after:
            return image_id
    return None
