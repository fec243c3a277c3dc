"""Issue 14, items 3, 5-8, 11 and 13: exports appear complete or not at all, booleans
are booleans, one image is one row, coordinates are sane, label files cannot reach outside
the image folder, FIFOs are skipped, and hostile label files end in a short FormatError."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.formats import FormatError, read_labels
from ocrstudio.services import project as P
from ocrstudio.services import transfer as T

REPO = Path(__file__).resolve().parents[2]
BOX = [[1, 1], [20, 1], [20, 10], [1, 10]]


def photo(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).save(path)
    return path


def labelled_project(tmp_path: Path, n: int = 6) -> Path:
    imgs, gt = tmp_path / "imgs", tmp_path / "gt"
    gt.mkdir(parents=True)
    for k in range(n):
        photo(imgs / f"img_{k}.png", k)
        (gt / f"gt_img_{k}.txt").write_text(f"1,1,20,1,20,10,1,10,word{k}\n")
    T.import_into(tmp_path / "p", "icdar2015", imgs, gt)
    return tmp_path / "p"


KILL_DURING_EXPORT = """
import os, signal, sys
import ocrstudio.formats as F
from ocrstudio.services import project as P, transfer as T
real = F.write_labels
def killed(fmt, pages, out, root=None, **kw):
    real(fmt, pages[:3], out, root, **kw)  # part of the files written, then the kill
    os.kill(os.getpid(), signal.SIGKILL)
F.write_labels = killed
with P.open_project(sys.argv[1]) as h:
    T.export_labels(h, sys.argv[3], sys.argv[2])
"""


@pytest.mark.parametrize("fmt", ["icdar2015", "crops"])
def test_a_killed_export_leaves_nothing_half_done(tmp_path: Path, fmt: str) -> None:
    project, out = labelled_project(tmp_path), tmp_path / "OUT"
    run = subprocess.run(
        [sys.executable, "-c", KILL_DURING_EXPORT, str(project), str(out), fmt],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr.decode()[-500:]
    assert not out.exists()  # before: some files in OUT, the rest in a hidden .OUT.*
    with P.open_project(project) as h:
        rep = T.export_labels(h, fmt, out)
    assert rep.regions == 6
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".OUT")] == []


def test_an_export_cut_between_its_renames_is_rolled_back(tmp_path: Path) -> None:
    project, out = labelled_project(tmp_path), tmp_path / "OUT"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    old = tmp_path / f".OUT{T.REPLACED_MARK}{dead}-abcd"
    old.mkdir()
    (old / "mine.txt").write_text("kept")  # the user's file in the previous OUT
    (tmp_path / f".OUT{T.SCRATCH_MARK}{dead}-abcd").mkdir()  # the finished scratch
    with P.open_project(project) as h:
        T.export_labels(h, "icdar2015", out)
    assert (out / "mine.txt").read_text() == "kept"
    assert len(list(out.glob("gt_*.txt"))) == 6
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".OUT")] == []


def paddle_file(tmp_path: Path, regions: list[dict], ref: str = "a.png") -> Path:
    photo(tmp_path / "imgs" / "a.png")
    label = tmp_path / "Label.txt"
    label.write_text(f"{ref}\t{json.dumps(regions)}\n")
    return label


@pytest.mark.parametrize(
    ("value", "ignored"), [("false", False), ("true", True), (False, False), (1, True)]
)
def test_paddleocr_difficult_is_a_boolean(tmp_path: Path, value: object, ignored: bool) -> None:
    label = paddle_file(tmp_path, [{"transcription": "w", "points": BOX, "difficult": value}])
    [page] = read_labels("paddleocr", label, tmp_path / "imgs")
    assert page.regions[0].ignore is ignored


def test_mmocr_and_labelme_flags_are_booleans_and_points_numbers(tmp_path: Path) -> None:
    photo(tmp_path / "imgs" / "a.png")
    mm = {
        "data_list": [
            {
                "img_path": "a.png",
                "instances": [
                    {"polygon": [1, 1, 20, 1, 20, 10, 1, 10], "ignore": "false", "text": "w"}
                ],
            }
        ]
    }
    (tmp_path / "mm.json").write_text(json.dumps(mm))
    [page] = read_labels("mmocr", tmp_path / "mm.json", tmp_path / "imgs")
    assert page.regions[0].ignore is False
    shape = {"label": "w", "points": BOX, "shape_type": "polygon", "flags": {"ignore": "false"}}
    doc = {"imagePath": "a.png", "shapes": [shape]}
    (tmp_path / "imgs" / "a.json").write_text(json.dumps(doc))
    [page] = read_labels("labelme", tmp_path / "imgs", tmp_path / "imgs")
    assert page.regions[0].ignore is False
    shape["points"] = [[True, False], [20, 1], [20, 10]]
    (tmp_path / "imgs" / "a.json").write_text(json.dumps(doc))
    with pytest.raises(FormatError, match="not a number"):
        read_labels("labelme", tmp_path / "imgs", tmp_path / "imgs")


def test_a_symlinked_copy_of_the_photos_adds_no_duplicate_rows(tmp_path: Path) -> None:
    for k in range(3):
        photo(tmp_path / "photos" / f"p{k}.png", k)
    (tmp_path / "copy").mkdir()
    for f in (tmp_path / "photos").iterdir():  # a copy made of links (cp -s)
        os.symlink(f, tmp_path / "copy" / f.name)
    with P.create_project(tmp_path / "p", tmp_path / "photos") as h:
        report = P.add_image_folder(h, tmp_path / "copy")
        with h.session() as s:
            hashes = [r.sha256 for r in store.list_images(s)]
    assert report.added == 0 and len(hashes) == len(set(hashes)) == 3


def test_a_huge_coordinate_is_refused_on_import_and_skipped_by_the_crops_export(
    tmp_path: Path,
) -> None:
    label = paddle_file(
        tmp_path, [{"transcription": "w", "points": [[1e300, 1], [20, 1], [20, 10]]}]
    )
    with pytest.raises(FormatError, match="out of range"):
        read_labels("paddleocr", label, tmp_path / "imgs")
    gt = tmp_path / "gt"
    gt.mkdir()
    (gt / "gt_a.txt").write_text("1e300,1,20,1,20,10,1,10,w\n")
    with pytest.raises(FormatError, match="out of range"):
        read_labels("icdar2015", gt, tmp_path / "imgs")
    with P.create_project(tmp_path / "p", tmp_path / "imgs") as h:  # stored by an old version
        with h.write() as s:
            [img] = store.list_images(s)
            store.add_region(
                s, img.id, Region(Polygon(((1e300, 1.0), (20.0, 1.0), (20.0, 10.0))), text="w")
            )
        rep = T.export_labels(h, "crops", tmp_path / "out")
    assert rep.regions == 0 and "outside" in rep.skipped[0][1]


def outside_cases(tmp_path: Path) -> list[tuple[str, Path]]:
    """Label files of each path-naming format whose image path leaves the folder."""
    secret = photo(tmp_path / "secret" / "s.png")
    photo(tmp_path / "imgs" / "a.png")
    ref = "../secret/s.png"
    (tmp_path / "Label.txt").write_text(f"{ref}\t{json.dumps([{'points': BOX}])}\n")
    (tmp_path / "abs.txt").write_text(f"{secret}\t{json.dumps([{'points': BOX}])}\n")
    (tmp_path / "mm.json").write_text(
        json.dumps({"data_list": [{"img_path": ref, "instances": [{"bbox": [1, 1, 5, 5]}]}]})
    )
    (tmp_path / "words.txt").write_text(f"{ref}\tword\n")
    (tmp_path / "lm").mkdir()
    (tmp_path / "lm" / "s.json").write_text(
        json.dumps({"imagePath": ref, "shapes": [{"label": "w", "points": BOX}]})
    )
    return [
        ("paddleocr", tmp_path / "Label.txt"),
        ("paddleocr", tmp_path / "abs.txt"),
        ("mmocr", tmp_path / "mm.json"),
        ("words", tmp_path / "words.txt"),
        ("labelme", tmp_path / "lm"),
    ]


def test_image_paths_outside_the_image_folder_are_refused(tmp_path: Path) -> None:
    for fmt, label in outside_cases(tmp_path):
        with pytest.raises(FormatError, match="outside the image folder"):
            read_labels(fmt, label, tmp_path / "imgs")
        with (
            P.opened(tmp_path / "p", create=True) as h,
            pytest.raises(FormatError, match="outside"),
        ):
            T.import_labels(h, fmt, tmp_path / "imgs", label)
        pages = read_labels(fmt, label, tmp_path / "imgs", allow_outside=True)
        assert pages[0].image.endswith("s.png"), (fmt, label)


def test_refusing_an_outside_path_tells_nothing_about_the_file(tmp_path: Path) -> None:
    photo(tmp_path / "imgs" / "a.png")
    messages = []
    for ref in ("/etc/passwd", "/no/such/file.png"):
        (tmp_path / "Label.txt").write_text(f"{ref}\t[]\n")
        with pytest.raises(FormatError) as info:
            read_labels("paddleocr", tmp_path / "Label.txt", tmp_path / "imgs")
        messages.append(str(info.value).replace(ref, "REF"))
    assert messages[0] == messages[1] and "outside" in messages[0]


def test_fifos_named_like_images_or_labels_do_not_hang(tmp_path: Path) -> None:
    imgs = tmp_path / "imgs"
    photo(imgs / "a.png")
    os.mkfifo(imgs / "b.png")
    gt = tmp_path / "gt"
    gt.mkdir()
    (gt / "gt_a.txt").write_text("1,1,20,1,20,10,1,10,w\n")
    os.mkfifo(gt / "gt_b.txt")
    with P.create_project(tmp_path / "p", imgs) as h:
        assert P.project_info(h)["images"] == 1
        assert T.import_labels(h, "icdar2015", imgs, gt).regions == 1
    os.mkfifo(tmp_path / "Label.txt")
    for fmt in ("paddleocr", "words"):
        with pytest.raises(FormatError):
            read_labels(fmt, tmp_path / "Label.txt", imgs)


def hostile_lines() -> dict[str, str]:
    return {
        "400 digits": json.dumps([{"points": [[int("9" * 400), 1], [2, 2], [3, 1]]}]),
        "5000 digits": '[{"points": [[' + "9" * 5000 + ", 1], [2, 2], [3, 1]]}]",
        "deep nesting": "[" * 200_000 + "]" * 200_000,
        "NaN": '[{"points": [[NaN, 1], [2, 2], [3, 1]]}]',
        "10 MB bad line": '[{"points": "' + "x" * 10_000_000 + '"}]',
    }


@pytest.mark.parametrize("case", list(hostile_lines()))
def test_hostile_label_lines_end_in_a_short_format_error(tmp_path: Path, case: str) -> None:
    photo(tmp_path / "imgs" / "a.png")
    payload = hostile_lines()[case]
    (tmp_path / "Label.txt").write_text(f"a.png\t{payload}\n")
    (tmp_path / "mm.json").write_text(
        f'{{"data_list": [{{"img_path": "a.png", "instances": [{{"polygon": {payload}}}]}}]}}'
    )
    (tmp_path / "lm").mkdir()
    (tmp_path / "lm" / "a.json").write_text(
        f'{{"imagePath": "../imgs/a.png", "shapes": [{{"points": {payload}}}]}}'
    )
    for fmt, label in (
        ("paddleocr", tmp_path / "Label.txt"),
        ("mmocr", tmp_path / "mm.json"),
        ("labelme", tmp_path / "lm"),
    ):
        with pytest.raises(FormatError) as info:
            read_labels(fmt, label, tmp_path / "imgs", allow_outside=True)
        assert len(str(info.value)) < 600, (fmt, case)


@pytest.mark.parametrize("fmt", ["paddleocr", "mmocr", "words"])
def test_a_missing_photo_is_said_missing_when_the_labels_live_elsewhere(
    tmp_path: Path, fmt: str
) -> None:
    """Issue #25, class 11: with the label file outside --images, a missing photo was
    reported as "outside the image folder ... --allow-outside", and following that advice
    turned the traversal guard off only to reach "not found"."""
    photo(tmp_path / "imgs" / "a.png")
    labels = tmp_path / "labels"
    labels.mkdir()
    files = {
        "paddleocr": ("Label.txt", f"gone.png\t{json.dumps([{'points': BOX}])}\n"),
        "mmocr": (
            "mm.json",
            json.dumps(
                {"data_list": [{"img_path": "gone.png", "instances": [{"bbox": [1, 1, 5, 5]}]}]}
            ),
        ),
        "words": ("words.txt", "gone.png\tword\n"),
    }
    name, text = files[fmt]
    (labels / name).write_text(text)
    with pytest.raises(FormatError) as info:
        read_labels(fmt, labels / name, tmp_path / "imgs")
    assert "image not found: gone.png" in str(info.value)
    assert "allow-outside" not in str(info.value)


def test_export_to_a_long_name_a_link_and_a_mount_point(tmp_path: Path, monkeypatch) -> None:
    """Issue #25, class 6: legal targets an export failed on."""
    import errno

    project = labelled_project(tmp_path)
    with P.open_project(project) as h:
        # a 240-character folder name: the scratch sibling's name passed 255 bytes
        long = tmp_path / ("n" * 240)
        assert T.export_labels(h, "icdar2015", long).files > 0
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
        # a link to a folder: the files go where it points, the link stays a link
        real, link = tmp_path / "real", tmp_path / "link"
        real.mkdir()
        link.symlink_to(real)
        T.export_labels(h, "icdar2015", link)
        assert link.is_symlink() and any(real.iterdir())
        # an empty mount point: it cannot be renamed ("device busy")
        mount = tmp_path / "mnt"
        mount.mkdir()
        real_rename = os.rename

        def rename(src, dst):  # type: ignore[no-untyped-def]
            if Path(src) == mount:
                raise OSError(errno.EBUSY, "Device or resource busy", str(src))
            return real_rename(src, dst)

        monkeypatch.setattr(os, "rename", rename)
        monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == mount)
        report = T.export_labels(h, "icdar2015", mount)
        assert sorted(p.name for p in mount.iterdir()) == sorted(
            p.name for p in long.iterdir()
        ) and report.files == len(list(long.iterdir()))


@pytest.mark.parametrize(
    ("fmt", "texts"),
    [
        ("icdar2015", 2),
        ("icdar2013", 2),
        ("polygon", 2),
        ("paddleocr", 1),
        ("labelme", 0),
        ("mmocr", 0),
        ("words", 1),
    ],
)
def test_the_export_summary_counts_what_a_reimport_reads_otherwise(
    tmp_path: Path, fmt: str, texts: int
) -> None:
    """Issue #25, class 10: a line break became a space, an ignored region's text `###`,
    and a photo with no labels came back verified and empty, all without a word. (The
    words format takes photos of one legible region: the first photo is skipped, and
    said so, so only the ignored region's text counts there.)"""
    from ocrstudio.services import annotation as an

    project = labelled_project(tmp_path, n=3)
    with P.open_project(project) as h:
        first, second, third = (im.id for im in an.list_images(h))
        an.add_regions(h, first, [Region(Polygon.from_box(30, 1, 60, 10), "two\nlines")])
        an.add_regions(h, second, [Region(Polygon.from_box(30, 1, 60, 10), "smudge", ignore=True)])
        an.delete_regions(h, [r.id for r in an.regions_of_image(h, third)])
        report = T.export_labels(h, fmt, tmp_path / "out")
    assert (report.texts_changed, report.empty) == (texts, 1)
    assert any("images with no region" in n for n in report.notes())
    assert bool(texts) == any("re-import reads them otherwise" in n for n in report.notes())
