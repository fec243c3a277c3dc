"""Projects on disk: creation, images with EXIF orientation and content hash, relative
paths that survive a move, deterministic splits, cancel, and the `project` verbs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocrstudio import store
from ocrstudio.core.errors import CancelledError, InputError
from ocrstudio.core.images import read_image
from ocrstudio.services import project as P
from ocrstudio.services.jobs import JobProgress


def make_image(
    path: Path, w: int = 40, h: int = 20, seed: int = 0, orientation: int | None = None
) -> Path:
    """A small noise image (distinct content per seed); JPEG with an EXIF orientation."""
    rng = np.random.default_rng(seed)
    im = Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    if orientation is None:
        im.save(path)
    else:
        exif = Image.Exif()
        exif[P.EXIF_ORIENTATION] = orientation
        im.save(path, exif=exif)
    return path


def image_folder(folder: Path, n: int) -> Path:
    for k in range(n):
        make_image(folder / f"img_{k}.png", seed=k)
    return folder


def test_create_open_and_refuse(tmp_path: Path) -> None:
    with P.create_project(tmp_path / "proj") as h:
        assert (tmp_path / "proj" / "project.db").is_file()
        assert h.models_dir.is_dir()
        info = P.project_info(h)
    assert info["name"] == "proj" and info["images"] == 0
    assert info["settings"]["split"] == {"train": 0.8, "val": 0.1, "test": 0.1, "seed": 0}
    with pytest.raises(InputError, match="already exists"):
        P.create_project(tmp_path / "proj")
    with pytest.raises(InputError, match="not an ocrstudio project"):
        P.open_project(tmp_path / "nothing")
    with P.open_project(tmp_path / "proj" / "project.db") as h:  # the file works too
        assert h.folder == (tmp_path / "proj").resolve()


def test_images_get_size_after_exif_orientation_and_content_hash(tmp_path: Path) -> None:
    imgs = tmp_path / "images"
    make_image(imgs / "upright.jpg", 40, 20, seed=1)
    make_image(imgs / "rotated.jpg", 40, 20, seed=2, orientation=6)  # 90 degrees: swaps
    make_image(imgs / "mirrored.jpg", 40, 20, seed=3, orientation=2)  # flip: keeps size
    (imgs / "notes.txt").write_text("not an image")
    before = {p.name: p.read_bytes() for p in imgs.iterdir()}
    with P.create_project(tmp_path / "proj", imgs) as h, h.session() as s:
        recs = {Path(r.path).name: r for r in store.list_images(s)}
    assert set(recs) == {"upright.jpg", "rotated.jpg", "mirrored.jpg"}
    rot = recs["rotated.jpg"]
    assert (rot.width, rot.height, rot.orientation, rot.exif_applied) == (20, 40, 6, True)
    assert (recs["mirrored.jpg"].width, recs["mirrored.jpg"].orientation) == (40, 2)
    assert (recs["upright.jpg"].orientation, recs["upright.jpg"].exif_applied) == (1, False)
    import hashlib

    assert rot.sha256 == hashlib.sha256((imgs / "rotated.jpg").read_bytes()).hexdigest()
    assert read_image(rot.file).shape == (40, 20, 3)  # the frame the stored size names
    assert {p.name: p.read_bytes() for p in imgs.iterdir()} == before  # never modified
    assert not any((tmp_path / "proj").rglob("*.jpg"))  # nor copied


def test_relative_paths_survive_moving_project_and_images_together(tmp_path: Path) -> None:
    root = tmp_path / "work"
    image_folder(root / "images", 2)
    outside = make_image(tmp_path / "elsewhere" / "far.png", seed=9)
    with P.create_project(root / "proj", root / "images") as h:
        P.add_image_folder(h, outside.parent)
        with h.session() as s:
            paths = sorted(r.path for r in store.list_images(s))
    assert paths[:2] == ["../images/img_0.png", "../images/img_1.png"]
    assert paths[2] == outside.resolve().as_posix()  # outside the shared folder: absolute
    root.rename(tmp_path / "moved")
    with P.open_project(tmp_path / "moved" / "proj") as h, h.session() as s:
        files = [r.file for r in store.list_images(s)]
    assert all(f.is_file() for f in files)
    assert files[0] == (tmp_path / "moved" / "images" / "img_0.png").resolve()


def test_relink_finds_moved_images_by_content(tmp_path: Path) -> None:
    image_folder(tmp_path / "images", 3)
    with P.create_project(tmp_path / "proj", tmp_path / "images") as h:
        (tmp_path / "images").rename(tmp_path / "renamed")
        assert P.relink_images(h, tmp_path / "renamed") == 3
        with h.session() as s:
            assert all(r.file.is_file() for r in store.list_images(s))


def test_rescan_finds_a_renamed_image_again_instead_of_adding_it(tmp_path: Path) -> None:
    from ocrstudio.services.rescan import rescan

    image_folder(tmp_path / "images", 3)
    with P.create_project(tmp_path / "proj", tmp_path / "images") as h:
        (tmp_path / "images" / "img_1.png").rename(tmp_path / "images" / "renamed.png")
        got = rescan(h)
        assert (got.relinked, got.added, got.missing) == (1, 0, ())
        assert "1 moved image(s) found again" in got.summary()
        with h.session() as s:
            assert sorted(r.file.name for r in store.list_images(s)) == [
                "img_0.png",
                "img_2.png",
                "renamed.png",
            ]


def test_split_is_deterministic_by_content_and_seed(tmp_path: Path) -> None:
    default = P.SplitSettings()
    hashes = [f"{k:064x}" for k in range(3000)]
    first = [P.assign_split(h, default) for h in hashes]
    assert first == [P.assign_split(h, default) for h in reversed(hashes)][::-1]
    share = Counter(first)
    assert abs(share["train"] / 3000 - 0.8) < 0.03 and abs(share["val"] / 3000 - 0.1) < 0.02
    other_seed = [P.assign_split(h, P.SplitSettings(seed=1)) for h in hashes]
    assert other_seed != first
    assert {P.assign_split(h, P.SplitSettings(1.0, 0.0, 0.0)) for h in hashes} == {"train"}
    with pytest.raises(InputError):
        P.SplitSettings(0.5, 0.1, 0.1)
    # the same images in two projects, added in different orders, land in the same splits
    image_folder(tmp_path / "images", 12)
    splits = []
    for name in ("a", "b"):
        with P.create_project(tmp_path / name) as h:
            files = P.image_files(tmp_path / "images")
            with h.write() as s:
                P.add_files(s, h.folder, files if name == "a" else files[::-1], None, None)
            with h.session() as s:
                splits.append({r.sha256: r.split for r in store.list_images(s)})
    assert splits[0] == splits[1]


def test_changing_split_settings_reassigns(tmp_path: Path) -> None:
    image_folder(tmp_path / "images", 10)
    with P.create_project(tmp_path / "proj", tmp_path / "images") as h:
        changed = P.set_split_settings(h, P.SplitSettings(0.0, 0.0, 1.0, seed=5))
        info = P.project_info(h)
    assert info["splits"]["test"]["images"] == 10
    assert changed == 10 - _tests_before(tmp_path)  # those already in test stay
    assert info["settings"]["split"]["seed"] == 5


def _tests_before(tmp_path: Path) -> int:
    return sum(
        P.assign_split(P.read_image_facts(f).sha256, P.SplitSettings()) == "test"
        for f in P.image_files(tmp_path / "images")
    )


def test_cancel_and_bad_images_leave_nothing(tmp_path: Path) -> None:
    image_folder(tmp_path / "images", 6)
    cancel = threading.Event()

    def progress(p: JobProgress) -> None:
        if p.done == 3:
            cancel.set()

    with P.create_project(tmp_path / "proj") as h:
        with pytest.raises(CancelledError):
            P.add_image_folder(h, tmp_path / "images", progress, cancel)
        assert P.project_info(h)["images"] == 0
        (tmp_path / "images" / "img_4.png").write_bytes(b"not a png")
        with pytest.raises(InputError, match="img_4.png"):
            P.add_image_folder(h, tmp_path / "images")
        assert P.project_info(h)["images"] == 0
        (tmp_path / "images" / "img_4.png").unlink()
        report = P.add_image_folder(h, tmp_path / "images")
        assert (report.added, report.already_present) == (5, 0)
        again = P.add_image_folder(h, tmp_path / "images")  # adding twice adds nothing
        assert (again.added, again.already_present) == (0, 5)


def test_project_verbs_through_main(tmp_path: Path, capsys) -> None:
    from ocrstudio.cli import main

    image_folder(tmp_path / "images", 4)
    assert (
        main(["project", "new", str(tmp_path / "proj"), "--images", str(tmp_path / "images")]) == 0
    )
    assert "4 images" in capsys.readouterr().out
    assert main(["project", "info", str(tmp_path / "proj"), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["images"] == 4 and sum(c["images"] for c in info["splits"].values()) == 4
    assert main(["project", "info", str(tmp_path / "proj")]) == 0
    assert "images    4" in capsys.readouterr().out
    assert main(["project", "new", str(tmp_path / "proj")]) == 2
    assert "already exists" in capsys.readouterr().err
    (tmp_path / "images" / "img_2.png").write_bytes(b"\x89PNG broken")
    assert main(["project", "new", str(tmp_path / "p2"), "--images", str(tmp_path / "images")]) == 2
    assert "img_2.png" in capsys.readouterr().err
    assert not (tmp_path / "p2").exists()  # nothing half-made left behind


def test_project_info_in_a_fresh_process(tmp_path: Path) -> None:
    with P.create_project(tmp_path / "proj"):
        pass
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ocrstudio",
            "project",
            "info",
            str(tmp_path / "proj"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["images"] == 0
    missing = subprocess.run(
        [sys.executable, "-m", "ocrstudio", "project", "info", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "not an ocrstudio project" in missing.stderr


@pytest.mark.parametrize("name", ["scans 100%", "two\nlines", "%(here)s"])
def test_a_percent_sign_or_newline_in_the_projects_path(tmp_path: Path, name: str) -> None:
    """The path never goes through Alembic's ConfigParser (issue #25, class 1: "invalid
    interpolation syntax" for `ocrstudio project new "scans 100%"`); migrations run, down
    and up again."""
    from ocrstudio.store.db import downgrade, open_engine

    folder = tmp_path / name
    P.create_project(folder)
    with P.open_project(folder) as handle:
        assert handle.folder == folder
    engine = open_engine(folder / "project.db")
    downgrade(engine, "base")
    engine.dispose()
    open_engine(folder / "project.db").dispose()  # migrates up again


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`ocrstudio project info P | head -1` (issue #25, class 5): the pipe closes before
    ocrstudio has written, and it ends quietly."""
    P.create_project(tmp_path / "p")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocrstudio", "project", "info", str(tmp_path / "p")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the interpreter has even imported ocrstudio
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_an_os_error_is_one_line_naming_the_file(tmp_path: Path, capsys) -> None:
    """A name too long for the file system (issue #25, class 5): one line, no traceback."""
    from ocrstudio.cli import main

    assert main(["project", "new", str(tmp_path / ("x" * 300))]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x" * 300 in err and "Traceback" not in err


def test_a_name_that_is_not_utf8_is_left_out_and_named(tmp_path: Path, caplog) -> None:
    """Issue #25, class 4: one such name stopped the whole import with a
    UnicodeEncodeError that named no file."""
    from ocrstudio.cli import main

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (40, 30), "white").save(photos / "ok.png")
    bad = os.path.join(os.fsencode(photos), b"bad\xff.png")
    with open(bad, "wb") as f:
        f.write((photos / "ok.png").read_bytes()[:-1] + b"\x00")  # another hash
    assert main(["project", "new", str(tmp_path / "p"), "--images", str(photos)]) == 0
    said = caplog.text
    assert "bad\\xff.png" in said and "not valid UTF-8" in said
    with P.open_project(tmp_path / "p") as handle, handle.session() as s:
        assert store.count_images(s) == 1


def test_a_project_on_read_only_media_is_read(tmp_path: Path) -> None:
    """Issue #25, class 9: on read-only media (or a folder nobody may write) `project
    info` and `export` said "not a readable ocrstudio database": SQLite's WAL mode first
    creates its shared-memory file beside the database. Readers now open it as an
    immutable file there."""
    from ocrstudio.cli import main

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (40, 30), "white").save(photos / "a.png")
    P.create_project(tmp_path / "src" / "p", photos)
    media = tmp_path / "media"
    media.mkdir()
    if subprocess.run(
        ["mount", "--bind", str(tmp_path / "src"), str(media)], capture_output=True
    ).returncode:
        pytest.skip("a read-only bind mount needs root and a mount namespace")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(media)], check=True)
        assert not os.access(media / "p", os.W_OK)
        assert main(["project", "info", str(media / "p")]) == 0
        assert (
            main(
                [
                    "export",
                    str(media / "p"),
                    "--format",
                    "icdar2015",
                    "--out",
                    str(tmp_path / "out"),
                ]
            )
            == 0
        )
        assert (tmp_path / "out" / "gt_a.txt").is_file()
    finally:  # lazily: the CLI's engines may still hold the database open
        subprocess.run(["umount", "--lazy", str(media)], check=False)
    assert not os.path.ismount(media), "the test left its mount behind"
