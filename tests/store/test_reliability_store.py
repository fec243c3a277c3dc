"""Issue 14, items 1, 2, 9 and 15: concurrent writers wait, a failed or killed creation
leaves nothing (and removes only what it made), reading commands never write, and crafted
project databases are refused in one line naming the file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocrstudio import store
from ocrstudio.cli import main
from ocrstudio.core.errors import InputError
from ocrstudio.services import project as P
from ocrstudio.services import transfer as T

REPO = Path(__file__).resolve().parents[2]


def images(folder: Path, n: int, start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(start, start + n):
        rng = np.random.default_rng(k)
        Image.fromarray(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)).save(
            folder / f"img_{k}.png"
        )
    return folder


def new_image(k: int) -> store.NewImage:
    return store.NewImage(
        path=f"x{k}.png", width=1, height=1, sha256=f"{k:064d}", split=store.Split.TRAIN
    )


def test_a_writer_waits_for_another_instead_of_failing(tmp_path: Path) -> None:
    """B starts its transaction while A holds the write lock and commits afterwards. A
    deferred BEGIN let B read first and then fail with "database is locked" (its
    snapshot was older than A's commit); BEGIN IMMEDIATE makes B wait at its start."""
    P.create_project(tmp_path / "p").close()
    a, b = P.open_project(tmp_path / "p"), P.open_project(tmp_path / "p")
    b_read, errors = threading.Event(), []

    def writer_b() -> None:
        try:
            with b.write() as s:
                store.count_images(s)  # the read a deferred transaction starts with
                b_read.set()
                store.add_images(s, [new_image(2)])
        except Exception as exc:  # the failure this test is about
            errors.append(exc)
            b_read.set()

    with a.write() as s:
        store.add_images(s, [new_image(1)])
        thread = threading.Thread(target=writer_b)
        thread.start()
        b_read.wait(1.0)  # B reads now when its BEGIN is deferred; with IMMEDIATE it waits
    thread.join(30)
    assert errors == []
    with a.session() as s:
        assert store.count_images(s) == 2
    a.close()
    b.close()


def test_failed_first_import_keeps_a_project_another_process_made(tmp_path: Path) -> None:
    """The clean-up of a failed first import removed the whole project, including what a
    second import had committed into it meanwhile."""
    folder = tmp_path / "nb"
    with pytest.raises(RuntimeError), P.opened(folder, create=True):
        P.create_project(folder, images(tmp_path / "other", 2)).close()  # the other process
        raise RuntimeError("this import fails")
    with P.open_project(folder) as h:
        assert P.project_info(h)["images"] == 2
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_import_into_a_project_created_meanwhile_goes_into_that_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gt = tmp_path / "gt"
    gt.mkdir()
    (gt / "gt_img_0.txt").write_text("0,0,5,0,5,5,0,5,hello\n")
    imgs = images(tmp_path / "imgs", 3)
    real, calls = T.import_labels, []

    def racing(handle, *args, **kw):  # type: ignore[no-untyped-def]
        if not calls:  # while the first try runs, another process makes the project
            P.create_project(tmp_path / "nb", images(tmp_path / "theirs", 1, start=9)).close()
        calls.append(handle.db_file)
        return real(handle, *args, **kw)

    monkeypatch.setattr(T, "import_labels", racing)
    report = T.import_into(tmp_path / "nb", "icdar2015", imgs, gt)
    assert len(calls) == 2 and calls[1] == (tmp_path / "nb" / "project.db").resolve()
    assert report.regions == 1
    with P.open_project(tmp_path / "nb") as h:
        assert P.project_info(h)["images"] == 4  # theirs and ours


KILL_DURING_CREATION = """
import os, signal, sys
from ocrstudio.services import project as P
def killed(*a, **k):
    os.kill(os.getpid(), signal.SIGKILL)
P.add_image_folder = killed
P.create_project(sys.argv[1], sys.argv[2])
"""


def test_kill_during_creation_leaves_no_project_and_next_creation_works(tmp_path: Path) -> None:
    folder, imgs = tmp_path / "nb", images(tmp_path / "imgs", 2)
    run = subprocess.run(
        [sys.executable, "-c", KILL_DURING_CREATION, str(folder), str(imgs)],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == -signal.SIGKILL
    assert not P.is_project(folder)  # before: schema (and row) already in project.db
    with P.create_project(folder, imgs) as h:
        assert P.project_info(h)["images"] == 2
    assert sorted(p.name for p in folder.iterdir()) == ["models", "project.db"]  # stale gone


def test_a_database_without_its_project_row_is_repaired_by_a_writer(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    engine = store.make_engine(tmp_path / "p" / "project.db")
    store.upgrade(engine)  # what a kill between schema and row left (older versions)
    engine.dispose()
    with pytest.raises(InputError, match="no project row"):
        P.open_project(tmp_path / "p", read_only=True)
    with P.open_project(tmp_path / "p") as h:
        assert P.project_info(h)["name"] == "p"


def test_reading_commands_do_not_write(tmp_path: Path) -> None:
    P.create_project(tmp_path / "p", images(tmp_path / "imgs", 2)).close()
    db = tmp_path / "p" / "project.db"
    before = db.read_bytes()
    assert main(["project", "info", str(tmp_path / "p")]) == 0
    assert (
        main(
            ["export", str(tmp_path / "p"), "--format", "icdar2015", "--out", str(tmp_path / "out")]
        )
        == 0
    )
    assert db.read_bytes() == before
    with (
        P.open_project(tmp_path / "p", read_only=True) as h,
        pytest.raises(InputError),
        h.write() as s,
    ):
        store.add_images(s, [new_image(7)])


def other_apps_database(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.commit()
    conn.close()
    return path


def crafted(tmp_path: Path, kind: str) -> Path:
    folder = tmp_path / kind
    folder.mkdir()
    db = folder / "project.db"
    if kind == "symlink":
        os.symlink(other_apps_database(tmp_path / "app.sqlite"), db)
    elif kind == "empty":
        db.write_bytes(b"")
    elif kind == "garbage":
        db.write_bytes(os.urandom(5000))
    elif kind == "other_app":
        other_apps_database(db)
    elif kind == "fifo":
        os.mkfifo(db)
    else:
        P.create_project(folder).close()
        conn = sqlite3.connect(db)
        if kind == "newer":
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
        elif kind == "settings_json":
            conn.execute("UPDATE project SET settings = '{not json'")
        elif kind == "split_key":
            conn.execute("""UPDATE project SET settings = '{"split": {"holdout": 1}}'""")
        elif kind == "trigger":
            conn.execute(
                "CREATE TRIGGER t AFTER INSERT ON image BEGIN "
                "SELECT load_extension('/tmp/evil.so'); END"
            )
        conn.commit()
        conn.close()
    return folder


CRAFTED = (
    "symlink",
    "empty",
    "garbage",
    "other_app",
    "fifo",
    "newer",
    "settings_json",
    "split_key",
    "trigger",
)


@pytest.mark.parametrize("kind", CRAFTED)
def test_crafted_project_databases_are_refused_in_one_line(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = crafted(tmp_path, kind)
    target = tmp_path / "app.sqlite"
    before = target.read_bytes() if target.exists() else None
    imgs = images(tmp_path / "imgs", 1)
    info = [] if kind == "split_key" else [["project", "info", str(folder)]]  # shown as is
    for argv in (
        *info,
        [
            "import",
            str(folder),
            "--format",
            "icdar2015",
            "--images",
            str(imgs),
            "--labels",
            str(imgs),
        ],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("ocrstudio: error:") and "\n" not in err, err
        assert "project.db" in err, err
    if before is not None:  # the symlink's target was not migrated
        assert target.read_bytes() == before
