"""A project on a PostgreSQL server: the same models and migrations as a project file.

Only the engine differs. The URL never carries a password: libpq finds it in the
person's password file (`~/.pgpass`, or `PGPASSFILE`) or in `PGPASSWORD`, the standard
means every PostgreSQL tool reads, so nothing secret is ever written into a project.
Sessions run at READ COMMITTED; edits that must not overwrite each other lock their rows
(`store.team.check_versions`). Migrating takes a transaction-wide advisory lock, so two
members opening an older project at once migrate it once.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, create_engine, exc, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from ocrstudio.core.errors import InputError
from ocrstudio.store.db import HEAD_REVISION, upgrade_on, writer
from ocrstudio.store.files import KNOWN_REVISIONS
from ocrstudio.store.models import Base
from ocrstudio.store.project import init_project

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
MIGRATION_LOCK = 0x6F637273  # "ocrs": pg_advisory_xact_lock's key while migrating
CONNECT_TIMEOUT_S = 10


def is_server_url(value: object) -> bool:
    return isinstance(value, str) and value.split("://", 1)[0] in SCHEMES and "://" in value


def server_url(value: str) -> URL:
    """The URL as SQLAlchemy's driver reads it; a password in it is refused (it would end
    up in a project file, a shell history, a process list)."""
    try:
        url = make_url(value)
    except exc.ArgumentError:
        raise InputError(
            "not a database URL (postgresql://USER@HOST[:PORT]/DATABASE)",
            re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", value),
        ) from None
    if url.get_backend_name() != "postgresql":
        raise InputError("a team project needs a postgresql:// URL", value)
    if url.password is not None:
        raise InputError(
            "the URL holds a password; ocrstudio never stores one: put it in "
            "~/.pgpass (HOST:PORT:DATABASE:USER:PASSWORD, mode 600) or "
            "PGPASSWORD, and give the URL without it",
            public_url(url),
        )
    if not url.database:
        raise InputError("the URL names no database", value)
    return url.set(drivername="postgresql+psycopg")


def public_url(url: URL | str) -> str:
    """The URL as errors and the project file show it: never a password."""
    u = make_url(url) if isinstance(url, str) else url
    return u.set(drivername="postgresql").render_as_string(hide_password=True)


def server_engine(url: URL | str) -> Engine:
    """An engine on the server: connections checked before use (a restarted server or a
    dropped network is noticed, not a stale socket), times in UTC."""
    target = server_url(url) if isinstance(url, str) else url
    return create_engine(
        target,
        pool_pre_ping=True,
        pool_size=2,
        max_overflow=4,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": "-c timezone=UTC",
            "application_name": "ocrstudio",
        },
    )


def open_server(url: str, migrate: bool = True) -> Engine:
    """An engine on a server project, checked (and migrated when older and `migrate`)."""
    engine = server_engine(url)
    where = public_url(server_url(url))
    try:
        revision = check_server(engine, where)
        if migrate and revision != HEAD_REVISION:
            migrate_server(engine)
        elif revision != HEAD_REVISION:
            raise InputError(
                f"the project's schema is older ({revision}); a writing "
                "command, or the window, upgrades it first",
                where,
            )
    except BaseException:
        engine.dispose()
        raise
    return engine


def server_revision(engine: Engine) -> str | None:
    """The schema revision stored on the server; None where the database holds none."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_server(engine: Engine, where: str) -> str:
    """Refuse a database that is not an ocrstudio project this version reads; returns
    its revision."""
    revision = server_revision(engine)
    if revision is None:
        raise InputError("this database holds no ocrstudio project", where)
    if revision not in KNOWN_REVISIONS:
        raise InputError(
            f"made by a newer ocrstudio (schema revision {revision[:40]!r}; "
            f"this version reads up to {KNOWN_REVISIONS[-1]})",
            where,
        )
    return revision


def migrate_server(engine: Engine) -> None:
    """Bring the schema to the newest revision, once even when members open it at once."""
    with writer(engine).begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        if server_revision_on(conn) != HEAD_REVISION:
            upgrade_on(conn)


def server_revision_on(conn: Any) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def create_server_project(engine: Engine, name: str, settings: dict[str, Any], where: str) -> None:
    """Schema and project row in one transaction, in a database holding none of our
    tables (another application's tables are left alone and refused)."""
    with writer(engine).begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        present = set(inspect(conn).get_table_names())
        ours = present & (set(Base.metadata.tables) | {"alembic_version"})
        if ours:
            raise InputError(
                "this database holds an ocrstudio project already "
                f"(table {sorted(ours)[0]}); open it instead",
                where,
            )
        upgrade_on(conn)
        with Session(bind=conn) as session:
            init_project(session, name, settings)


def drop_project(engine: Engine) -> None:
    """Remove every table of ours (a creation that failed after its first commit)."""
    with writer(engine).begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
