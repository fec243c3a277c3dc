"""The project database as a file: what may be opened, and creating one atomically.

Opening reads the file with plain `sqlite3` in read-only mode before any engine touches
it, because an engine's first connection already writes (it switches the journal to WAL),
and Alembic would add its tables to whatever SQLite file it is given. So a symbolic link,
an empty file, another application's database, a database with triggers or from a newer
ocrstudio is refused with a one-line error naming the file, and nothing is written.

A new database is built in a private file beside its final name (schema and project row
in one transaction, perhaps a first import too) and then hard-linked into place, which
never replaces an existing file: the project appears complete or not at all, and a
creation that fails or is killed leaves only its private file, removed by the next one.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ocrstudio.core.errors import InputError
from ocrstudio.store.db import HEAD_REVISION, make_engine, read_only_uri, upgrade_on, writer
from ocrstudio.store.models import Base
from ocrstudio.store.project import init_project

SQLITE_HEADER = b"SQLite format 3\x00"
# every revision this version can read, oldest first
KNOWN_REVISIONS = ("0001", "0002", "0003", HEAD_REVISION)
TABLE_SINCE = {"lease": "0003"}  # tables a later revision added (older files lack them)
PRIVATE_MARK = ".creating-"
SIDE_FILES = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True)
class DatabaseState:
    revision: str
    has_project: bool


def check_database(path: Path) -> DatabaseState:
    """Refuse what is not an ocrstudio database this version can open (see the module
    docstring); reads only."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise InputError("no project database here", path) from None
    if stat.S_ISLNK(st.st_mode):
        raise InputError(
            "the project database is a symbolic link; ocrstudio opens only a regular file", path
        )
    if not stat.S_ISREG(st.st_mode):
        raise InputError("the project database is not a regular file", path)
    if st.st_size == 0:
        raise InputError("an empty file, not an ocrstudio database", path)
    with open(path, "rb") as f:
        if f.read(16) != SQLITE_HEADER:
            raise InputError("not an SQLite database", path)
    try:
        return _inspect(path)
    except sqlite3.DatabaseError as exc:
        raise InputError(f"not a readable ocrstudio database: {exc}", path) from None


def _inspect(path: Path) -> DatabaseState:
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        objects = conn.execute("SELECT type, name FROM sqlite_master").fetchall()
        tables = {n for t, n in objects if t == "table"}
        odd = sorted(f"{t} {n}" for t, n in objects if t in ("trigger", "view"))
        if odd:
            raise InputError(f"not an ocrstudio database: it holds {', '.join(odd)[:200]}", path)
        if "alembic_version" not in tables:
            raise InputError("not an ocrstudio database (no schema revision)", path)
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = str(row[0]) if row else ""
        if revision not in KNOWN_REVISIONS:
            raise InputError(
                f"made by a newer ocrstudio (schema revision {revision[:40]!r}; "
                f"this version reads up to {KNOWN_REVISIONS[-1]})",
                path,
            )
        missing = sorted(
            t
            for t in set(Base.metadata.tables) - tables
            if KNOWN_REVISIONS.index(revision) >= KNOWN_REVISIONS.index(TABLE_SINCE.get(t, "0001"))
        )
        if missing:
            raise InputError(f"not an ocrstudio database: no table {missing[0]}", path)
        has_project = conn.execute("SELECT count(*) FROM project").fetchone()[0] > 0
    finally:
        conn.close()
    return DatabaseState(revision, has_project)


def private_file(db_file: Path) -> Path:
    """A name beside `db_file` that only this process uses."""
    return db_file.with_name(f".{db_file.name}{PRIVATE_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def new_database(file: Path, name: str, settings: dict[str, Any]) -> None:
    """Schema and project row in one transaction: a kill leaves no half-made project."""
    engine = make_engine(file)
    try:
        with writer(engine).begin() as conn:
            upgrade_on(conn)
            with Session(bind=conn) as session:
                init_project(session, name, settings)
    finally:
        engine.dispose()


def publish(private: Path, db_file: Path) -> None:
    """Give the finished private database its final name; FileExistsError, and the
    private file kept, when a database appeared there meanwhile (nothing is replaced).
    Every engine on `private` must be disposed first (that folds the WAL into it)."""
    try:
        os.link(private, db_file)
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system: a rename after a last look
        if os.path.lexists(db_file):
            raise FileExistsError(db_file) from None
        os.rename(private, db_file)
        return
    remove_database(private)


def remove_database(file: Path) -> None:
    """Delete a database file this process made, with its WAL side files."""
    for suffix in SIDE_FILES:
        Path(f"{file}{suffix}").unlink(missing_ok=True)


def remove_stale(folder: Path, db_name: str) -> int:
    """Private files of creations whose process is gone (killed): removed. Returns how many."""
    removed = 0
    for f in folder.glob(f".{db_name}{PRIVATE_MARK}*") if folder.is_dir() else ():
        pid = f.name.split(PRIVATE_MARK, 1)[1].split("-", 1)[0]
        if f.name.endswith(SIDE_FILES[1:]) or not pid.isdigit() or process_alive(int(pid)):
            continue
        remove_database(f)
        removed += 1
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (whose scratch files must not be removed)."""
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill(pid, 0) would kill it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True
