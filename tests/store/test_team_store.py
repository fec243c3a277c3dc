"""Team projects on a real PostgreSQL server (tests/support/pgcluster.py starts one): the same
models and migrations as a project file, a team project created and opened from the
command line, and a project file moved to the server and back without losing anything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from ocrstudio import store
from ocrstudio.cli import main
from ocrstudio.core.errors import InputError
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation, team
from ocrstudio.services.project import create_project, open_project, project_info
from ocrstudio.store import db
from ocrstudio.store.copy import table_rows
from ocrstudio.store.models import Base
from tests.support.photos import photos


def quad(x: float, y: float) -> Polygon:
    return Polygon(((x, y), (x + 10, y), (x + 10, y + 5), (x, y + 5)))


def test_migrations_up_and_down_on_postgresql(pg_url: str) -> None:
    engine = store.server_engine(pg_url)
    try:
        db.upgrade(engine, "0001")
        assert db.current_revision(engine) == "0001"
        db.upgrade(engine)  # 0002, 0003 on an existing schema
        assert db.current_revision(engine) == db.HEAD_REVISION
        with engine.connect() as conn:
            insp = inspect(conn)
            assert set(insp.get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
            for name, table in Base.metadata.tables.items():
                assert {c["name"] for c in insp.get_columns(name)} == set(table.c.keys()), name
        db.downgrade(engine, "0002")
        db.downgrade(engine, "base")
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == ["alembic_version"]  # empty
    finally:
        engine.dispose()


def test_a_password_in_the_url_is_refused_and_never_written(tmp_path: Path, pg_url: str) -> None:
    with_pw = pg_url.replace("ocrstudio@", "ocrstudio:secret@")
    with pytest.raises(InputError, match="pgpass") as err:
        team.create_team_project(tmp_path / "P", with_pw)
    assert "secret" not in str(err.value)
    assert not (tmp_path / "P").exists()


def test_cli_creates_and_opens_a_team_project(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "P"
    photos(folder / "photos")
    assert (
        main(["project", "new", str(folder), "--db", pg_url, "--images", str(folder / "photos")])
        == 0
    )
    saved = json.loads((folder / "team.json").read_text())
    assert saved["database"] == pg_url and "password" not in json.dumps(saved)
    assert not (folder / "project.db").exists()  # labels live on the server only
    capsys.readouterr()
    assert main(["project", "info", str(folder), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["images"] == 3 and info["database"] == pg_url
    with open_project(folder) as h:
        assert h.is_team
        [img, *_] = annotation.list_images(h)
        assert img.path == "photos/p0.png" and img.file.is_file()  # relative: any mount


def test_an_unreachable_server_is_one_line_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "P"
    folder.mkdir()
    (folder / "team.json").write_text(
        json.dumps({"format": "ocrstudio-team", "database": "postgresql://x@127.0.0.1:1/none"})
    )
    code = subprocess.run(
        [sys.executable, "-m", "ocrstudio", "project", "info", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert code.returncode == 2
    assert code.stderr.startswith("ocrstudio: error: postgresql://x@127.0.0.1:1/none: ")
    assert len(code.stderr.strip().splitlines()) == 1


def _dump(engine: object) -> dict[str, list[dict]]:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return {
            t.name: table_rows(conn, t) for t in Base.metadata.sorted_tables if t.name != "lease"
        }


def _rich_project(folder: Path) -> None:
    """A project file with every kind of row: images, regions (JSON, floats, unicode),
    model versions (a parent), training runs, settings."""
    with create_project(folder, photos(folder / "photos")) as h:
        ids = [i.id for i in annotation.list_images(h)]
        annotation.add_regions(
            h, ids[0], [Region(quad(1, 1), "Straße 1/3 ✓"), Region(quad(20, 1), "", ignore=True)]
        )
        with h.write() as s:
            store.write_model_regions(
                s, ids[1], [Region(quad(2, 2), "x", score=0.123456789, det_score=1 / 3)], "model:a"
            )
            v1 = store.add_model_version(
                s,
                "det-1",
                "dbnet_resnet18",
                store.ModelRole.DETECTOR,
                "models/det-1",
                config={"k": [1, 2.5]},
            )
            store.add_model_version(
                s,
                "det-2",
                "dbnet_resnet18",
                store.ModelRole.DETECTOR,
                "models/det-2",
                parent_id=v1.id,
                metrics={"hmean": 0.5},
            )
            store.add_training_run(s, "dbnet_resnet18", ids, config={"e": 1})
            store.update_settings(s, note="ünïcode")
        annotation.set_image_verified(h, ids[0])


def test_round_trip_file_to_server_and_back_is_lossless(tmp_path: Path, pg_url: str) -> None:
    _rich_project(tmp_path / "A")
    with open_project(tmp_path / "A") as a:
        team.copy_project(a, tmp_path / "T", url=pg_url)
        before = _dump(a.engine)
    with open_project(tmp_path / "T") as t:
        assert t.is_team
        on_server = _dump(t.engine)
        team.copy_project(t, tmp_path / "B")
        [img] = [i for i in annotation.list_images(t) if i.path.endswith("p0.png")]
        assert img.file.is_file()  # paths rebased for T's folder
    with open_project(tmp_path / "B") as b:
        after = _dump(b.engine)
        # the new project continues after the copied ids
        new = annotation.add_regions(b, 1, [Region(quad(30, 30), "new")])
        assert new[0].id > max(r["id"] for r in after["region"])

    def files(rows: list[dict], root: Path) -> list[Path]:  # paths are rebased, files not
        return [(root / r.pop("path")).resolve() for r in rows]

    assert (
        files(before["image"], tmp_path / "A")
        == files(on_server["image"], tmp_path / "T")
        == files(after["image"], tmp_path / "B")
    )
    for name in before:
        assert before[name] == on_server[name] == after[name], name
    assert len(before["region"]) == 3 and len(before["model_version"]) == 2
    assert (tmp_path / "B" / "models").is_dir()


def test_info_counts_per_person(tmp_path: Path, pg_url: str) -> None:
    folder = tmp_path / "P"
    with team.create_team_project(folder, pg_url, photos(folder / "photos")) as h:
        ids = [i.id for i in annotation.list_images(h)]
    for who, image_id in (("alice", ids[0]), ("bob", ids[1]), ("alice", ids[2])):
        with store_handle(folder, who) as h:
            annotation.add_regions(h, image_id, [Region(quad(1, 1), who)])
    with open_project(folder) as h:
        info = project_info(h)
    assert info["people"]["alice"]["regions"] == 2 and info["people"]["bob"]["regions"] == 1


def store_handle(folder: Path, author: str):  # type: ignore[no-untyped-def]
    from ocrstudio.services.project import ProjectHandle
    from ocrstudio.services.team_file import read_team_file

    return ProjectHandle(folder.resolve(), url=read_team_file(folder).url, author=author)
