"""Import and export through the project: verified vs pre-labels, all-or-nothing imports,
exports by split, the `import`/`export` verbs, and the real ICDAR 2015 round trip."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import text

from ocrstudio import store
from ocrstudio.cli import main
from ocrstudio.core.errors import CancelledError, InputError
from ocrstudio.core.geometry import reading_order
from ocrstudio.core.types import Polygon
from ocrstudio.services import project as P
from ocrstudio.services import transfer as T

GT = {  # image stem -> ICDAR 2015 lines (text may hold commas; ### is don't-care)
    "img_1": [
        "377,117,463,117,465,130,378,130,Genaxis Theatre",
        "493,115,519,115,519,131,493,131,[06]",
        "374,155,409,155,409,170,374,170,###",
    ],
    "img_2": ["10,10,60,10,60,30,10,30,a,b,c", "70,10,120,10,120,30,70,30,###"],
    "img_3": ["1,1,50,1,50,20,1,20,x"],
}


def parse_icdar2015(path: Path) -> list[tuple[tuple[float, ...], str]]:
    """Independent of ocrstudio.formats: BOM, CRLF, split on the first 8 commas."""
    out = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            parts = line.split(",", 8)
            out.append((tuple(float(v) for v in parts[:8]), parts[8]))
    return out


def dataset(root: Path, gt: dict[str, list[str]] = GT, extra_images: int = 0) -> Path:
    """images/ + gt/ in ICDAR 2015 layout (one file with a BOM and CRLF, as real ones)."""
    rng = np.random.default_rng(len(str(root)))
    names = list(gt) + [f"unlabelled_{k}" for k in range(extra_images)]
    for name in names:
        (root / "images").mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 255, (140, 600, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "images" / f"{name}.jpg")
    (root / "gt").mkdir(exist_ok=True)
    for k, (name, lines) in enumerate(gt.items()):
        body = ("\r\n" if k == 0 else "\n").join(lines)
        prefix = "\ufeff" if k == 0 else ""
        (root / "gt" / f"gt_{name}.txt").write_text(prefix + body, encoding="utf-8", newline="")
    return root


def import_icdar(h: P.ProjectHandle, root: Path, **kw) -> T.ImportReport:
    return T.import_labels(h, "icdar2015", root / "images", root / "gt", **kw)


def snapshot(h: P.ProjectHandle) -> dict[str, list[tuple]]:
    with h.session() as s:
        return {
            t: [tuple(r) for r in s.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
            for t in ("project", "image", "region", "model_version", "training_run")
        }


@pytest.fixture()
def project(tmp_path: Path):
    with P.create_project(tmp_path / "proj") as h:
        yield h


def test_import_counts_as_verified_and_exports_back_the_same(project, tmp_path: Path) -> None:
    data = dataset(tmp_path / "data", extra_images=1)
    report = import_icdar(project, data)
    assert (report.images_added, report.images_labelled, report.regions) == (4, 3, 6)
    with project.session() as s:
        images = {Path(r.path).stem: r for r in store.list_images(s)}
        regions = store.regions_of_image(s, images["img_1"].id)
    assert images["unlabelled_0"].status is store.ImageStatus.NEW
    assert images["img_1"].status is store.ImageStatus.VERIFIED
    assert [r.text for r in regions] == ["Genaxis Theatre", "[06]", "###"]
    assert [r.ignore for r in regions] == [False, False, True]
    assert all(r.verified and r.provenance == "manual" for r in regions)
    assert regions[0].polygon == Polygon.from_flat([377, 117, 463, 117, 465, 130, 378, 130])
    rep = T.export_labels(project, "icdar2015", tmp_path / "out")
    assert (rep.images, rep.regions) == (4, 6)
    for name in GT:
        assert parse_icdar2015(tmp_path / "out" / f"gt_{name}.txt") == parse_icdar2015(
            data / "gt" / f"gt_{name}.txt"
        )
    assert parse_icdar2015(tmp_path / "out" / "gt_unlabelled_0.txt") == []


def test_prelabels_never_replace_a_persons_work(project, tmp_path: Path) -> None:
    data = dataset(tmp_path / "data")
    report = import_icdar(project, data, prelabels=True)
    assert report.regions == 6
    with project.session() as s:
        img = next(r for r in store.list_images(s) if r.path.endswith("img_1.jpg"))
        regions = store.regions_of_image(s, img.id)
    assert img.status is store.ImageStatus.PRELABELED
    assert all(r.provenance == T.IMPORT_PROVENANCE and not r.verified for r in regions)
    with project.write() as s:
        store.update_region(s, regions[0].id, text="Genaxis Theatre!")  # a person's edit
    (tmp_path / "gt2").mkdir()  # a newer model's output for img_1
    (tmp_path / "gt2" / "gt_img_1.txt").write_text("\n".join(GT["img_1"]).replace("6", "7"))
    T.import_labels(project, "icdar2015", data / "images", tmp_path / "gt2", prelabels=True)
    with project.session() as s:
        texts = [r.text for r in store.regions_of_image(s, img.id)]
    assert sorted(texts) == sorted(["Genaxis Theatre!", "Genaxis Theatre", "[07]", "###"])
    with project.write() as s:
        store.set_image_status(s, img.id, "verified", verify_regions=True)
    again = import_icdar(project, data, prelabels=True)
    assert len(again.skipped) == 1 and again.skipped[0].endswith("img_1.jpg")
    with project.session() as s:
        assert len(store.regions_of_image(s, img.id)) == 4
    import_icdar(project, data)  # verified labels from files replace the image's regions
    with project.session() as s:
        assert [r.text for r in store.regions_of_image(s, img.id)] == [
            "Genaxis Theatre",
            "[06]",
            "###",
        ]


@pytest.mark.parametrize("fault", ["malformed line", "missing image", "cancel"])
def test_a_failed_import_leaves_the_project_exactly_as_before(
    project, tmp_path: Path, fault: str
) -> None:
    import_icdar(project, dataset(tmp_path / "first"))
    with project.write() as s:
        rid = store.regions_of_image(s, 1)[0].id
        store.update_region(s, rid, text="edited")
    before = snapshot(project)
    second = {"img_7": ["1,1,9,1,9,9,1,9,ok"], "img_8": ["1,1,9,1,9,9,1,9,ok"]}
    bad = dataset(tmp_path / "second", second)
    cancel = None
    if fault == "malformed line":
        (bad / "gt" / "gt_img_8.txt").write_text("1,1,9,1,9,9,1,9,ok\n1,1,9,1,oops,9,1,9,x\n")
        with pytest.raises(InputError, match=r"gt_img_8\.txt:2"):
            import_icdar(project, bad)
    elif fault == "missing image":
        (bad / "images" / "img_8.jpg").unlink()
        with pytest.raises(InputError, match="gt_img_8.txt"):
            import_icdar(project, bad)
    else:
        cancel = threading.Event()
        with pytest.raises(CancelledError):
            import_icdar(project, bad, progress=lambda _p: cancel.set(), cancel=cancel)
    assert snapshot(project) == before


def test_export_by_split_and_verified_only_leaves_other_files(project, tmp_path: Path) -> None:
    data = dataset(tmp_path / "data", extra_images=2)
    import_icdar(project, data)
    with project.session() as s:
        by_split = {r.id: r.split for r in store.list_images(s)}
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.me").write_text("x")
    for split in ("train", "val", "test"):
        rep = T.export_labels(project, "icdar2015", out / split, split=split)
        assert rep.images == sum(v == split for v in by_split.values())
    rep = T.export_labels(project, "icdar2015", out, verified_only=True)
    assert rep.images == 3 and (out / "keep.me").read_text() == "x"
    assert sorted(p.name for p in out.glob("gt_*.txt")) == [f"gt_{n}.txt" for n in GT]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no scratch
    with pytest.raises(InputError, match="split"):
        T.export_labels(project, "icdar2015", out, split="holdout")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        T.export_labels(project, "icdar2015", tmp_path / "cancelled", cancel=cancel)
    assert not (tmp_path / "cancelled").exists()


def test_paddleocr_round_trip_through_a_second_project(project, tmp_path: Path) -> None:
    data = dataset(tmp_path / "data")
    import_icdar(project, data)
    T.export_labels(project, "paddleocr", tmp_path / "paddle")
    label_file = next((tmp_path / "paddle").rglob("Label.txt"))
    with P.create_project(tmp_path / "proj2") as h2:
        T.import_labels(h2, "paddleocr", data / "images", label_file)
        T.export_labels(h2, "icdar2015", tmp_path / "back")
    for name in GT:
        assert parse_icdar2015(tmp_path / "back" / f"gt_{name}.txt") == parse_icdar2015(
            data / "gt" / f"gt_{name}.txt"
        )


def test_import_and_export_verbs(tmp_path: Path, capsys) -> None:
    data = dataset(tmp_path / "data")
    proj = tmp_path / "new_proj"
    args = [
        "import",
        str(proj),
        "--format",
        "icdar2015",
        "--images",
        str(data / "images"),
        "--labels",
        str(data / "gt"),
    ]
    assert main(args) == 0  # creates the project
    assert "3 labelled images" in capsys.readouterr().out
    assert (
        main(
            [
                "export",
                str(proj),
                "--format",
                "icdar2015",
                "--out",
                str(tmp_path / "out"),
                "--verified-only",
            ]
        )
        == 0
    )
    assert "3 images, 6 regions" in capsys.readouterr().out
    assert len(list((tmp_path / "out").glob("gt_*.txt"))) == 3
    (data / "gt" / "gt_img_3.txt").write_text("1,1,50,1,50,20,1,20,x\n1,2,3\n")
    fresh = tmp_path / "fresh_proj"
    assert main(["import", str(fresh), *args[2:]]) == 2
    err = capsys.readouterr().err
    assert "gt_img_3.txt:2" in err and "Traceback" not in err
    assert not fresh.exists()  # a failed first import leaves no empty project behind
    assert (
        main(
            [
                "export",
                str(tmp_path / "nowhere"),
                "--format",
                "icdar2015",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )


@pytest.mark.data
def test_icdar2015_train_round_trips_through_a_project(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "icdar2015_train"
    with P.create_project(tmp_path / "proj") as h:
        report = T.import_labels(h, "icdar2015", src / "images", src / "gt")
        assert (report.images_added, report.regions) == (1000, 11886)
        info = P.project_info(h)
        assert info["verified"] == 11886 and info["verified_images"] == 1000
        rep = T.export_labels(h, "icdar2015", tmp_path / "out")
    assert (rep.images, rep.regions, rep.reduced) == (1000, 11886, 0)
    originals = sorted((src / "gt").glob("gt_*.txt"))
    assert len(originals) == 1000
    for f in originals:  # every region exactly, in reading order (the stored order)
        out = parse_icdar2015(tmp_path / "out" / f.name)
        assert sorted(out) == sorted(parse_icdar2015(f)), f.name
        quads = [np.array(q, dtype=float).reshape(4, 2) for q, _ in out]
        assert reading_order(quads) == list(range(len(out))), f.name
