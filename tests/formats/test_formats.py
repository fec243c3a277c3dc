"""Readers and writers of every format, on hand-made files and on the real ICDAR 2015 set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocrstudio.core.errors import InputError
from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.formats import FORMAT_NAMES, FormatError, detect_format, read_labels, write_labels


def make_image(path: Path, w: int = 64, h: int = 48) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
    return path


def quad(*flat: float) -> Polygon:
    return Polygon.from_flat(flat)


def test_public_names():
    assert FORMAT_NAMES == (
        "icdar2015", "icdar2013", "polygon", "paddleocr", "ppocrlabel", "labelme", "mmocr",
        "words", "funsd", "crops",
    )  # fmt: skip
    with pytest.raises(InputError, match="export-only"):
        read_labels("crops", Path("."))
    with pytest.raises(InputError, match="import-only"):
        write_labels("funsd", [], Path("."))
    with pytest.raises(InputError, match="unknown format"):
        read_labels("coco", Path("."))


# --- ICDAR 2015 ----------------------------------------------------------------------------


def test_icdar2015_reads_bom_crlf_commas_ignore_and_keeps_points(tmp_path):
    make_image(tmp_path / "images" / "img_7.png", 200, 100)
    gt = tmp_path / "gt" / "gt_img_7.txt"
    gt.parent.mkdir()
    lines = [
        "377,117,463,117,465,130,378,130,Genaxis Theatre",
        "1,2,1,2,9,9,0,9,a, b,c",  # repeated vertex; text with commas
        "10,10,20,10,20,20,10,20,###",
        "5,5,15,5,15,15,5,15",  # result-file line: no text
    ]
    gt.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    (page,) = read_labels("icdar2015", gt.parent, tmp_path / "images")
    assert (page.image, page.width, page.height) == ("img_7.png", 200, 100)
    texts = [(r.text, r.ignore) for r in page.regions]
    assert texts == [("Genaxis Theatre", False), ("a, b,c", False), ("###", True), ("", False)]
    assert page.regions[1].polygon.points == ((1, 2), (1, 2), (9, 9), (0, 9))
    (bare,) = read_labels("icdar2015", gt)  # no image folder: the stem names the image
    assert bare.image == "img_7" and bare.width is None


def test_icdar2015_errors_name_file_and_line(tmp_path):
    gt = tmp_path / "gt_img_1.txt"
    gt.write_text("1,2,3,4,5,6,7,8,ok\n1,2,3,x,5,6,7,8,bad\n")
    with pytest.raises(FormatError) as err:
        read_labels("icdar2015", gt)
    assert (err.value.path, err.value.line) == (str(gt), 2) and "'x'" in str(err.value)
    gt.write_text("1,2,3,4,5,6,7\n")
    with pytest.raises(FormatError, match=r"gt_img_1.txt:1: expected"):
        read_labels("icdar2015", gt)
    gt.write_bytes(b"1,2,3,4,5,6,7,8,\xff\n")
    with pytest.raises(FormatError, match="UTF-8"):
        read_labels("icdar2015", gt)
    gt.write_text("1,2,3,4,5,6,7,8,ok\n")
    (tmp_path / "images").mkdir()
    with pytest.raises(FormatError, match="no image img_1") as err:
        read_labels("icdar2015", gt, tmp_path / "images")
    assert err.value.path == str(gt)


def test_icdar2015_writer_reduces_polygons_and_writes_plain_utf8(tmp_path):
    curved = Polygon(((0, 0), (10, -2), (20, 0), (20, 10), (10, 8), (0, 10)))
    page = PageLabels("dir/img_3.jpg", (
        Region(quad(1, 1, 5, 1, 5, 5, 1, 5), text="Straße, 5"),
        Region(curved, text="arc"),
        Region(quad(0, 0, 1, 0, 1, 1, 0, 1), text="hidden", ignore=True),
    ))  # fmt: skip
    report = write_labels("icdar2015", [page, PageLabels("img_4.jpg")], tmp_path)
    assert (report.regions, report.reduced, len(report.files)) == (3, 1, 2)
    data = (tmp_path / "gt_img_3.txt").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
    lines = data.decode().splitlines()
    assert lines[0] == "1,1,5,1,5,5,1,5,Straße, 5" and lines[2].endswith(",###")
    reduced = read_labels("icdar2015", tmp_path / "gt_img_3.txt")[0].regions[1].polygon
    assert len(reduced) == 4 and reduced.bounds == pytest.approx((0, -2, 20, 10), abs=0.01)
    assert (tmp_path / "gt_img_4.txt").read_text() == ""


# --- ICDAR 2013, polygon -------------------------------------------------------------------


def test_icdar2013_both_separators_and_quotes(tmp_path):
    gt = tmp_path / "gt_img_1.txt"
    gt.write_text('38, 43, 920, 215, "Tiredness"\n158 128 411 181 "say \\"hi\\""\n1 2 3 4 plain\n')
    regions = read_labels("icdar2013", gt)[0].regions
    assert [r.text for r in regions] == ["Tiredness", 'say "hi"', "plain"]
    assert regions[0].polygon == Polygon.from_box(38, 43, 920, 215)
    pages = [PageLabels("img_1", (Region(quad(0, 0, 4, 1, 4, 5, 0, 5), text='a\\"b'),))]
    report = write_labels("icdar2013", pages, tmp_path / "out")
    assert report.boxed == 1
    back = read_labels("icdar2013", tmp_path / "out")[0].regions[0]
    assert back.text == 'a\\"b' and back.polygon == Polygon.from_box(0, 0, 4, 5)
    gt.write_text("1 2 3\n")
    with pytest.raises(FormatError, match=":1:"):
        read_labels("icdar2013", gt)


def test_polygon_lines_marked_and_plain(tmp_path):
    f = tmp_path / "img_1.txt"
    f.write_text(
        "0,0,10,0,20,0,20,5,10,5,0,5,####curved, word\n"
        "1,1,2,1,2,2,1,2,2015\n"  # plain, 4 points, numeric text (odd count of numbers)
        "1,1,2,1,2,2,###\n"
        "1,1,2,1,2,2\n"
    )
    regions = read_labels("polygon", f)[0].regions
    assert [len(r.polygon) for r in regions] == [6, 4, 3, 3]
    assert [(r.text, r.ignore) for r in regions] == [
        ("curved, word", False), ("2015", False), ("###", True), ("", False),
    ]  # fmt: skip
    f.write_text("1,1,2,1,text\n")
    with pytest.raises(FormatError, match="at least 3 points"):
        read_labels("polygon", f)


# --- PaddleOCR, labelme, MMOCR -------------------------------------------------------------


def test_paddleocr_parses_json_never_evaluates(tmp_path):
    make_image(tmp_path / "imgs" / "a.jpg")
    label = tmp_path / "imgs" / "Label.txt"
    item = {"transcription": "hi", "points": [[1, 2], [3, 2], [3, 4], [1, 4]], "difficult": False}
    hard = dict(item, transcription="blurry", difficult=True)
    label.write_text(f"imgs/a.jpg\t{json.dumps([item, hard])}\n")
    (page,) = read_labels("paddleocr", label.parent, tmp_path / "imgs")
    assert page.image == "a.jpg" and page.width == 64
    assert [(r.text, r.ignore) for r in page.regions] == [("hi", False), ("blurry", True)]
    label.write_text("imgs/a.jpg\t__import__('os').system('false')\n")
    with pytest.raises(FormatError, match="Label.txt:1: invalid JSON"):
        read_labels("paddleocr", label)
    label.write_text('imgs/a.jpg\t[{"points": [[1, "2"], [3, 2], [3, 4]]}]\n')
    with pytest.raises(FormatError, match="region 0: bad points"):
        read_labels("paddleocr", label)
    label.write_text("missing.jpg\t[]\n")
    with pytest.raises(FormatError, match="image not found: missing.jpg"):
        read_labels("paddleocr", label, tmp_path / "imgs")


def test_labelme_description_label_rectangle_and_flags(tmp_path):
    make_image(tmp_path / "images" / "p.png", 30, 20)
    doc = {
        "shapes": [
            {"label": "text", "description": "Hello", "shape_type": "polygon",
             "points": [[1, 1], [9, 1], [9, 5], [1, 5]]},
            {"label": "World", "description": "", "shape_type": "rectangle",
             "points": [[9, 8], [2, 3]]},
            {"label": "###", "shape_type": "polygon", "points": [[0, 0], [2, 0], [2, 2]]},
            {"label": "x", "flags": {"ignore": True}, "points": [[0, 0], [2, 0], [2, 2]]},
            {"label": "dot", "shape_type": "point", "points": [[3, 3]]},
        ],
        "imagePath": "../images/p.png",
    }  # fmt: skip
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "p.json").write_text(json.dumps(doc))
    (page,) = read_labels("labelme", tmp_path / "ann", tmp_path / "images")
    assert (page.image, page.width, page.height) == ("p.png", 30, 20)
    assert [(r.text, r.ignore) for r in page.regions] == [
        ("Hello", False), ("World", False), ("###", True), ("x", True),
    ]  # fmt: skip
    assert page.regions[1].polygon == Polygon.from_box(2, 3, 9, 8)
    (tmp_path / "ann" / "p.json").write_text('{"shapes": [\n  {"points": 3}]}')
    with pytest.raises(FormatError, match="shape 0: bad points"):
        read_labels("labelme", tmp_path / "ann")
    (tmp_path / "ann" / "p.json").write_text('{"shapes": [\n  oops]}')
    with pytest.raises(FormatError, match=r"p.json:2: invalid JSON"):
        read_labels("labelme", tmp_path / "ann")


def test_mmocr_polygon_bbox_ignore_text(tmp_path):
    doc = {
        "metainfo": {},
        "data_list": [
            {
                "img_path": "x/a.jpg",
                "height": 9,
                "width": 8,
                "instances": [
                    {"polygon": [0, 0, 4, 0, 4, 4], "ignore": False, "text": "tri"},
                    {"bbox": [1, 2, 3, 4], "bbox_label": 0, "ignore": True},
                ],
            }
        ],
    }
    f = tmp_path / "train.json"
    f.write_text(json.dumps(doc))
    (page,) = read_labels("mmocr", tmp_path)
    assert (page.image, page.width, page.height) == ("x/a.jpg", 8, 9)
    assert [(len(r.polygon), r.text, r.ignore) for r in page.regions] == [
        (3, "tri", False), (4, "", True),
    ]  # fmt: skip
    doc["data_list"][0]["instances"][0]["polygon"] = [0, 0, 4]
    f.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"data_list\[0\]: instance 0"):
        read_labels("mmocr", f)


# --- words and crops -----------------------------------------------------------------------


def test_words_folder_and_list(tmp_path):
    root = tmp_path / "w"
    make_image(root / "images" / "1.jpg", 40, 12)
    make_image(root / "images" / "2.png", 30, 10)
    (root / "labels").mkdir()
    (root / "labels" / "1.txt").write_text("You")
    (root / "labels" / "2.txt").write_text("Tab-free, ünïcode\n")
    pages = read_labels("words", root)
    assert [(p.image, p.regions[0].text) for p in pages] == [
        ("images/1.jpg", "You"), ("images/2.png", "Tab-free, ünïcode"),
    ]  # fmt: skip
    assert pages[0].regions[0].polygon == Polygon.from_box(0, 0, 40, 12)
    assert detect_format(root) == "words"
    report = write_labels("words", pages, tmp_path / "list", images_root=root)
    assert report.regions == 2
    listed = read_labels("words", tmp_path / "list" / "rec_gt.txt")
    assert [p.regions for p in listed] == [p.regions for p in pages]
    (root / "labels" / "3.txt").write_text("no image")
    with pytest.raises(FormatError, match="no image images/3"):
        read_labels("words", root)


def test_crops_export_rectifies_and_lists(tmp_path):
    img = np.zeros((60, 120, 3), np.uint8)
    img[10:20, 10:50] = 255
    Image.fromarray(img).save(tmp_path / "scene.png")
    page = PageLabels("scene.png", (
        Region(Polygon.from_box(10, 10, 50, 20), text="white\tword"),
        Region(Polygon.from_box(60, 10, 70, 50), text="tall"),
        Region(Polygon.from_box(0, 0, 5, 5), text="###", ignore=True),
        Region(Polygon.from_box(0, 30, 5, 35), text=""),
    ))  # fmt: skip
    report = write_labels("crops", [page], tmp_path / "out", images_root=tmp_path)
    assert report.regions == 2 and len(report.skipped) == 2
    assert (tmp_path / "out" / "rec_gt.txt").read_text().splitlines() == [
        "crops/scene_000.png\twhite word", "crops/scene_001.png\ttall",
    ]  # fmt: skip
    first = np.asarray(Image.open(tmp_path / "out" / "crops" / "scene_000.png"))
    assert first.shape == (10, 40, 3) and first.min() == 255
    assert np.asarray(Image.open(tmp_path / "out" / "crops" / "scene_001.png")).shape == (10, 40, 3)
    assert detect_format(tmp_path / "out") == "words"
    with pytest.raises(FormatError, match="image not found"):
        write_labels("crops", [PageLabels("gone.png", page.regions)], tmp_path / "o2", tmp_path)


# --- detection and real data ---------------------------------------------------------------

SAMPLE = [
    PageLabels("img_1.jpg", (
        Region(quad(0, 0, 9, 0, 9, 9, 0, 9), text="one"),
        Region(Polygon(((0, 0), (4, 0), (8, 1), (8, 5), (4, 4), (0, 5))), text="###", ignore=True),
    )),
]  # fmt: skip


@pytest.mark.parametrize(
    "fmt", ["icdar2015", "icdar2013", "polygon", "paddleocr", "labelme", "mmocr"]
)
def test_detect_format_recognises_each_writer(tmp_path, fmt):
    write_labels(fmt, SAMPLE, tmp_path)
    assert detect_format(tmp_path) == fmt


def test_real_icdar2015_counts_and_lossless_round_trip(shared_data, tmp_path):
    src = shared_data / "icdar2015_train"
    pages = read_labels("icdar2015", src / "gt", src / "images")
    assert len(pages) == 1000
    assert sum(len(p.regions) for p in pages) == 11886
    assert sum(len(p.legible) for p in pages) == 4468
    assert all(p.width == 1280 and p.height == 720 for p in pages)
    for fmt in ("icdar2015", "polygon", "paddleocr", "labelme", "mmocr"):
        out = tmp_path / fmt
        report = write_labels(fmt, pages, out, images_root=src / "images")
        assert report.regions == 11886 and report.reduced == 0 and not report.skipped
        back = read_labels(fmt, out, src / "images")
        assert [p.image for p in back] == [p.image for p in pages], fmt
        for a, b in zip(pages, back, strict=True):
            assert [(r.polygon.points, r.text, r.ignore) for r in a.regions] == [
                (r.polygon.points, r.text, r.ignore) for r in b.regions
            ], (fmt, a.image)


def test_funsd_words_become_quads_unreadable_ones_dont_care(tmp_path):
    ann, images = tmp_path / "annotations", tmp_path / "images"
    ann.mkdir()
    images.mkdir()
    Image.new("RGB", (80, 60), "white").save(images / "0001.png")
    doc = {
        "form": [
            {
                "box": [1, 2, 40, 12],
                "text": "RE: x",
                "label": "question",
                "id": 0,
                "words": [
                    {"box": [1, 2, 20, 12], "text": "RE:"},
                    {"box": [22, 2, 40, 12], "text": ""},
                ],
                "linking": [],
            },
            {"box": [5, 30, 50, 40], "text": "", "words": [], "id": 1},
        ]
    }
    (ann / "0001.json").write_text(json.dumps(doc))
    assert detect_format(ann) == "funsd"
    (page,) = read_labels("funsd", ann, images)
    assert page.image == "0001.png" and (page.width, page.height) == (80, 60)
    assert [r.text for r in page.regions] == ["RE:", ""]
    assert [r.ignore for r in page.regions] == [False, True]
    assert page.regions[0].polygon.points == ((1, 2), (20, 2), (20, 12), (1, 12))
    doc["form"][0]["words"][0]["box"] = [1, 2, "x", 12]
    (ann / "0001.json").write_text(json.dumps(doc))
    with pytest.raises(FormatError, match="0001.json"):
        read_labels("funsd", ann, images)


def test_a_numeric_text_with_a_comma_does_not_make_icdar_labels_polygons(tmp_path):
    """ICDAR 2015 splits on the first 8 commas only, so "40,257" is a text; a folder whose
    first line reads so is still ICDAR 2015 (it was taken for markerless polygons, and
    every text was lost). Numbers alone on every line are polygons without text."""
    gt = tmp_path / "gt"
    gt.mkdir()
    (gt / "gt_img_1.txt").write_text("1,2,30,2,30,14,1,14,40,257\n1,20,30,20,30,34,1,34,EXIT\n")
    assert detect_format(gt) == "icdar2015"
    (page,) = read_labels("icdar2015", gt)
    assert [r.text for r in page.regions] == ["40,257", "EXIT"]
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "img_1.txt").write_text("1,2,30,2,30,14,15,20,1,14\n")
    assert detect_format(bare) == "polygon"
