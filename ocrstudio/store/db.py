"""The SQLite engine of a project and its migrations.

Every connection gets WAL (the GUI reads while a background job writes), foreign keys
(SQLite leaves them off by default, and the cascades rely on them), a busy timeout
(writers wait instead of failing at once) and synchronous=NORMAL (safe with WAL, much
faster than FULL). pysqlite's own transaction handling is switched off so SQLAlchemy
decides where a transaction begins: an import really is one transaction.

Write transactions begin with `BEGIN IMMEDIATE` (engines from `writer(engine)`): they take
the write lock before they read, so two writers queue behind the busy timeout instead of
one failing with "database is locked" when its read snapshot is older than the other's
commit (a deferred transaction cannot wait for that, SQLite refuses at once).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, exc, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from ocrstudio.core.errors import InputError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 60_000  # an import's write phase may hold the lock this long

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
)


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # no implicit BEGIN/COMMIT from the driver
    cur = dbapi_conn.cursor()
    for pragma in PRAGMAS:
        cur.execute(pragma)
    cur.close()


WRITE_OPTION = "ocrstudio_write"


def _on_begin(conn: Any) -> None:
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine (same pool), whose transactions begin with `BEGIN IMMEDIATE`."""
    return engine.execution_options(**{WRITE_OPTION: True})


def as_author(engine: Engine, author: str) -> Engine:
    """The same engine (same pool), whose writes stamp `author` on the regions they touch
    (`models.current_author`)."""
    from ocrstudio.store.models import AUTHOR_OPTION

    return engine.execution_options(**{AUTHOR_OPTION: author})


def _on_connect_read_only(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    # no journal_mode: setting it writes; the file's own mode (WAL) holds for a reader
    dbapi_conn.execute("PRAGMA foreign_keys=ON")
    dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    dbapi_conn.execute("PRAGMA query_only=ON")  # a reading command cannot write by mistake


def read_only_uri(db_file: Path | str) -> str:
    """How a reader opens a project database: read-only, and as an immutable file where
    its folder cannot be written (read-only media, a chmod 555 folder), since WAL mode
    would first create its shared-memory file beside it and fail there."""
    path = Path(db_file)
    uri = f"file:{quote(str(path))}?mode=ro"
    return uri if os.access(path.parent, os.W_OK) else uri + "&immutable=1"


def make_engine(db_file: Path | str, echo: bool = False, read_only: bool = False) -> Engine:
    """Engine on `db_file` (":memory:" works too, for a throwaway store); `read_only`
    opens it as `read_only_uri` says."""
    url = "sqlite://" if str(db_file) == ":memory:" else f"sqlite:///{Path(db_file)}"
    if read_only and str(db_file) != ":memory:":
        import sqlite3

        uri = read_only_uri(db_file)
        engine = create_engine(
            "sqlite://",
            echo=echo,
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
        )
        event.listen(engine, "connect", _on_connect_read_only)
        event.listen(engine, "begin", _on_begin)
        return engine
    engine = create_engine(url, echo=echo)
    event.listen(engine, "connect", _on_connect_read_only if read_only else _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def alembic_config() -> Any:
    """An Alembic Config that finds the migrations shipped inside the package (no ini).
    The database reaches env.py as an open connection (`config.attributes`), never as a
    URL: Alembic's options go through a ConfigParser, where a `%` in a project's path
    ("scans 100%") is an interpolation error."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return cfg


# The newest revision under migrations/versions (a test checks they agree): opening an
# up-to-date project then needs no Alembic import, which costs about a second.
HEAD_REVISION = "0004"


def head_revision() -> str:
    """The newest revision, as Alembic reads it from the shipped migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database (None for a new, empty one)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _quiet_alembic() -> None:
    """Alembic logs every step at INFO; the app's INFO log is for the user's work."""
    log = logging.getLogger("alembic")
    if log.level == logging.NOTSET:
        log.setLevel(logging.WARNING)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision` on this engine's database."""
    with writer(engine).begin() as conn:
        upgrade_on(conn, revision)


def upgrade_on(conn: Any, revision: str = "head") -> None:
    """Migrate inside the caller's transaction (creation: schema and project row in one)."""
    from alembic import command

    _quiet_alembic()
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` ("base" drops every table; for tests and for
    undoing a migration by hand)."""
    from alembic import command

    _quiet_alembic()
    cfg = alembic_config()
    with writer(engine).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def open_engine(db_file: Path | str, migrate: bool = True, read_only: bool = False) -> Engine:
    """Engine with the schema at the newest revision (migrating when it is older). A
    reading command on an older project reads a migrated copy in memory: reading never
    writes, not even a schema upgrade."""
    engine = make_engine(db_file, read_only=read_only)
    if not migrate or current_revision(engine) == HEAD_REVISION:
        return engine
    if read_only:
        engine.dispose()
        return _migrated_copy(Path(db_file))
    upgrade(engine)
    return engine


def _migrated_copy(db_file: Path) -> Engine:
    import sqlite3
    from urllib.parse import quote

    from sqlalchemy.pool import StaticPool

    copy = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    event.listen(copy, "connect", _on_connect)
    event.listen(copy, "begin", _on_begin)
    source = sqlite3.connect(f"file:{quote(str(db_file))}?mode=ro", uri=True)
    try:
        with copy.connect() as conn:
            source.backup(conn.connection.dbapi_connection)  # type: ignore[arg-type]
    finally:
        source.close()
    upgrade(copy)
    return copy


def session_factory(
    engine: Engine, root: Path | None = None, write: bool = False
) -> sessionmaker[Session]:
    """Sessions whose `info["root"]` is the project folder (relative image paths resolve
    against it). Objects stay readable after commit; they are turned into records anyway.
    `write`: transactions take the write lock first (`BEGIN IMMEDIATE`)."""
    return sessionmaker(
        writer(engine) if write else engine, expire_on_commit=False, info={"root": root}
    )


class StoreDataError(InputError):
    """Stored data that cannot be right (a crafted or damaged database); `database_errors`
    adds the database file to its message."""


@contextmanager
def database_errors(db_file: Path | str | None) -> Iterator[None]:
    """SQLite's errors inside the block as one-line InputErrors naming the file: a
    damaged or crafted database is the input's fault, and "locked" after the busy
    timeout means another program holds the project."""
    try:
        yield
    except StoreDataError as e:
        if e.path is not None:
            raise
        raise StoreDataError(e.reason, db_file) from None
    except exc.OperationalError as e:
        reason = str(e.orig).splitlines()[0][:200] if e.orig else "operational error"
        if "locked" in reason or "busy" in reason:
            reason += " (another program is writing to this project; try again)"
        raise InputError(f"database error: {reason}", db_file) from None
    except exc.DatabaseError as e:
        reason = str(e.orig).splitlines()[0][:200] if e.orig else "database error"
        raise InputError(f"database error: {reason}", db_file) from None
