"""A whole project copied from one database into another, row for row: a project file
into a server (a team takes it over) and back. Ids, timestamps, JSON and scores are kept
as they are; only image paths may be rewritten (`image_path`), for a copy whose folder
is not the original's, and leases (who holds what this minute) stay behind. The target
must be empty; the copy is one transaction there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Table, func, inspect, select, text, update

from ocrstudio.core.errors import InputError
from ocrstudio.store.db import upgrade_on, writer
from ocrstudio.store.models import Base

CHUNK = 1000
TRANSIENT = ("lease",)  # who holds what right now: not part of the project's content


def table_rows(conn: Any, table: Table) -> list[dict[str, Any]]:
    """Every row of `table`, as dicts, by primary key."""
    return [
        dict(r._mapping) for r in conn.execute(select(table).order_by(*table.primary_key.columns))
    ]


def _self_refs(table: Table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _reset_sequences(conn: Any, table: Table) -> None:
    """PostgreSQL's id sequences start after the copied ids (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql" or "id" not in table.c:
        return
    conn.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table.name}"
        )
    )


def _copy_table(
    source: Any, target: Any, table: Table, image_path: Callable[[str], str] | None
) -> int:
    rows = table_rows(source, table)
    if table.name == "image" and image_path is not None:
        rows = [{**r, "path": image_path(r["path"])} for r in rows]
    later = _self_refs(table)
    first = [{**r, **dict.fromkeys(later)} for r in rows] if later else rows
    for start in range(0, len(first), CHUNK):
        target.execute(table.insert(), first[start : start + CHUNK])
    for col in later:  # self references once every row exists
        pairs = [{"_id": r["id"], "_v": r[col]} for r in rows if r[col] is not None]
        if pairs:
            from sqlalchemy import bindparam

            target.execute(
                update(table).where(table.c.id == bindparam("_id")).values({col: bindparam("_v")}),
                pairs,
            )
    _reset_sequences(target, table)
    return len(rows)


def copy_project(
    source: Engine, target: Engine, where: str, image_path: Callable[[str], str] | None = None
) -> dict[str, int]:
    """Copy every table of `source` (at the newest schema) into the empty `target`,
    whose schema is created in the same transaction. Returns rows copied per table."""
    counts = {}
    with source.connect() as src, writer(target).begin() as dst:
        present = set(inspect(dst).get_table_names()) & (
            set(Base.metadata.tables) | {"alembic_version"}
        )
        if present:
            raise InputError(
                f"the target holds a project already (table "
                f"{sorted(present)[0]}); copy into an empty database",
                where,
            )
        upgrade_on(dst)
        for table in Base.metadata.sorted_tables:
            if table.name in TRANSIENT:
                continue
            counts[table.name] = _copy_table(src, dst, table, image_path)
        if not dst.execute(
            select(func.count()).select_from(Base.metadata.tables["project"])
        ).scalar():
            raise InputError("the source holds no project row", where)
    return counts
