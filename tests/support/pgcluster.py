"""A throwaway PostgreSQL server for the team-project tests: the real server, never a mock.

The session fixture `pg_server` runs `initdb` in a temporary folder and starts the cluster
on a free local port (password authentication; the password sits in a libpq password
file that `PGPASSFILE` names, as a member's would), and stops it at the end. Root cannot
run PostgreSQL: the cluster then belongs to the `postgres` system user that Debian's
package creates (or `nobody`), started through `runuser`. The binaries are found on PATH
or under /usr/lib/postgresql/*/bin (where Debian puts them); `make test` installs the
package when neither has them. Without a server a test is skipped, except under CI=true,
where it fails: a machine that cannot run the server must not pass quietly.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

USER = "ocrstudio"
PASSWORD = "team-" + uuid.uuid4().hex[:12]


def pg_bin(tool: str) -> str | None:
    found = shutil.which(tool)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


class PgCluster:
    """One initdb'd cluster; `url(db)` is a URL without the password."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="ocrstudio-pg-"))
        self.port = _free_port()
        self.owner = self._owner()
        self.pgpass = self.base / "pgpass"

    @staticmethod
    def _owner() -> str | None:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        raise RuntimeError("running as root, and no postgres or nobody user to run the server")

    def start(self) -> None:
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError(
                "PostgreSQL's initdb/pg_ctl not found (Debian: apt-get install "
                "postgresql; `make test` does it)"
            )
        data, pwfile = self.base / "data", self.base / "pw"
        pwfile.write_text(PASSWORD + "\n")
        os.chmod(self.base, 0o755)
        if self.owner:
            shutil.chown(self.base, self.owner)
            shutil.chown(pwfile, self.owner)
        self._run(
            [
                initdb,
                "-D",
                str(data),
                "-U",
                USER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ]
        )
        pwfile.unlink()
        opts = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        self._run(
            [
                pg_ctl,
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(self.base / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        self.pgpass.write_text(f"127.0.0.1:{self.port}:*:{USER}:{PASSWORD}\n")
        os.chmod(self.pgpass, 0o600)  # libpq ignores a password file others can read

    def _run(self, cmd: list[str]) -> None:
        done = subprocess.run(
            _as_owner(cmd, self.owner), capture_output=True, text=True, cwd=self.base, timeout=120
        )
        if done.returncode:
            log = self.base / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd[:2])} failed: {done.stderr[-2000:]}{tail}")

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{db}"

    def create_db(self, name: str | None = None) -> str:
        import psycopg

        name = name or "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        pg_ctl = pg_bin("pg_ctl")
        if pg_ctl and (self.base / "data" / "postmaster.pid").exists():
            subprocess.run(
                _as_owner(
                    [pg_ctl, "-D", str(self.base / "data"), "-m", "immediate", "-w", "stop"],
                    self.owner,
                ),
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgCluster]:
    """The running cluster, with PGPASSFILE pointing at its password file."""
    cluster = PgCluster()
    try:
        cluster.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        cluster.stop()
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI needs a PostgreSQL server and none started: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")
    old = os.environ.get("PGPASSFILE")
    os.environ["PGPASSFILE"] = str(cluster.pgpass)
    try:
        yield cluster
    finally:
        cluster.stop()
        if old is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = old


@pytest.fixture
def pg_url(pg_server: PgCluster) -> str:
    """A new, empty database on the server, for one test."""
    return pg_server.create_db()
