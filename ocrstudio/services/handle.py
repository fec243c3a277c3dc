"""An open project: a folder and its database, a project file or (a team project) a
PostgreSQL server. No Qt.

`ProjectHandle` is the one thing every service takes. What a team project adds lives here
too, since every write goes through the handle: the server's engine (`url`, opened and
migrated by `store.open_server`), the author stamped on each region it writes, and the
handle's own token for the leases it holds (`services.team`). Everything above the
handle is the same code for both kinds of project.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ocrstudio import store
from ocrstudio.core.errors import InputError
from ocrstudio.services.team_file import default_author
from ocrstudio.store import Session

PROJECT_DB = "project.db"
MODELS_DIR = "models"


@dataclass(frozen=True)
class SplitSettings:
    """Fractions of images per split and the seed of the assignment."""

    train: float = 0.8
    val: float = 0.1
    test: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        parts = (self.train, self.val, self.test)
        if min(parts) < 0 or abs(sum(parts) - 1.0) > 1e-6:
            raise InputError(f"split fractions must be >= 0 and sum to 1, got {parts}")

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> SplitSettings:
        """From the stored settings; a crafted entry is refused, not half-used."""
        raw = settings.get("split", {})
        names = {f.name for f in fields(cls)}
        if (
            not isinstance(raw, dict)
            or set(raw) - names
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw.values())
        ):
            raise store.StoreDataError(f"the stored split settings are not valid: {str(raw)[:100]}")
        try:
            return cls(**raw)
        except InputError as exc:
            raise store.StoreDataError(f"the stored split settings: {exc}") from None


class ProjectHandle:
    """An open project: its folder, engine and session factories. Close it when done
    (or use it as a context manager). `read_only`: nothing is migrated, repaired or
    written (reading commands). `db_file`: a database other than `folder/project.db`
    (a creation's private file, see `store.files`)."""

    def __init__(
        self,
        folder: Path,
        read_only: bool = False,
        db_file: Path | None = None,
        url: str | None = None,
        author: str | None = None,
    ) -> None:
        self.folder = folder.resolve()
        self.read_only = read_only
        self.url = url  # a team project's server (team_file); None for project.db
        self.author = author or default_author()  # stamped on every region it writes
        self.token = secrets.token_hex(8)  # this handle's own key to the leases it holds
        if url is not None:
            self.db_file: Path | str = store.public_url(store.server_url(url))
            with store.database_errors(self.db_file):
                self.engine = store.open_server(url, migrate=not read_only)
            state = store.DatabaseState("", has_project=True)
        else:
            self.db_file = db_file or self.folder / PROJECT_DB
            state = store.check_database(self.db_file)
            if read_only and not state.has_project:
                raise InputError(
                    "the database holds no project row (an interrupted "
                    "creation); a writing command such as import repairs it",
                    self.db_file,
                )
            self.engine = store.open_engine(self.db_file, read_only=read_only)
        engine = store.as_author(self.engine, self.author)
        if url is not None and read_only:
            engine = engine.execution_options(postgresql_readonly=True)
        self.sessions = store.session_factory(engine, self.folder)
        self.writes = store.session_factory(engine, self.folder, write=not read_only)
        if not state.has_project:
            self._repair()

    @property
    def is_team(self) -> bool:
        """On a PostgreSQL server, shared with others (leases and version checks apply)."""
        return self.url is not None

    def _repair(self) -> None:
        """A database with its schema but no project row (made by a version whose
        creation was not one transaction, then killed): give it the row."""
        with self.write() as s:
            if not store.has_project(s):
                store.init_project(s, self.folder.name, {"split": asdict(SplitSettings())})

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A Session for reading (`with handle.session() as s:`); writes need `write()`."""
        with store.database_errors(self.db_file), self.sessions() as s:
            yield s

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A Session inside one transaction that holds the write lock from its start:
        committed when the block ends, rolled back when it raises."""
        with store.database_errors(self.db_file), self.writes.begin() as s:
            yield s

    @property
    def models_dir(self) -> Path:
        return self.folder / MODELS_DIR

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ProjectHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
