"""The small file that makes a folder a team project, and who the person at this machine is.

A team project is a folder (usually on the team's shared drive, mounted wherever each
member likes) holding `team.json`, the photos and `models/`; its labels live on a
PostgreSQL server. `team.json` names the server by a URL without a password (libpq reads
that from `~/.pgpass` or `PGPASSWORD`), so the file can be shared and committed freely.
Image paths are stored relative to the folder, so each member's mount point works.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ocrstudio import store
from ocrstudio.core.errors import InputError

TEAM_FILE = "team.json"
FORMAT = "ocrstudio-team"
USER_ENV = "OCRSTUDIO_USER"


@dataclass(frozen=True)
class TeamFile:
    url: str  # postgresql://[USER@]HOST[:PORT]/DATABASE, never a password


def default_author() -> str:
    """Who edits from this process: $OCRSTUDIO_USER, else the login name."""
    name = os.environ.get(USER_ENV, "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # a container user with no passwd entry
            name = f"uid{os.getuid()}" if hasattr(os, "getuid") else "someone"
    return name[:100]


def checked_url(url: str) -> str:
    """The server URL as a team project would store it (never a password), or `InputError`
    saying what is wrong: a password in it, not postgresql://, no database. The window
    asks this before it creates anything, as `project new --db` does."""
    return store.public_url(store.server_url(url.strip()))


def is_team_folder(folder: Path) -> bool:
    return (folder / TEAM_FILE).is_file()


def read_team_file(folder: Path) -> TeamFile:
    path = folder / TEAM_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"not a readable team project file: {exc}", path) from None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("database"), str)
    ):
        raise InputError(
            f"not an ocrstudio team project file (needs format {FORMAT!r} and a database URL)", path
        )
    try:
        store.server_url(data["database"])  # no password, a postgresql URL
    except InputError as exc:
        raise InputError(f"its database URL: {exc}", path) from None
    return TeamFile(url=data["database"])


def write_team_file(folder: Path, team: TeamFile) -> Path:
    """Written whole (a private name, then renamed into place), never half."""
    store.server_url(team.url)
    path = folder / TEAM_FILE
    tmp = folder / f".{TEAM_FILE}.{os.getpid()}.tmp"
    tmp.write_text(
        json.dumps(
            {"format": FORMAT, "version": 1, "database": store.public_url(team.url)}, indent=2
        )
        + "\n",
        encoding="utf-8",
    )
    os.replace(tmp, path)
    return path
