"""Property tests: writing then reading gives back what each format can express."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ocrstudio.core.types import IGNORE_TEXT, PageLabels, Polygon, Region
from ocrstudio.formats import read_labels, write_labels

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

coord = st.one_of(
    st.integers(-5000, 5000).map(float),
    st.floats(-1e5, 1e5, allow_nan=False, allow_infinity=False),
)
point = st.tuples(coord, coord)
# Any unicode but tabs, line breaks and lone surrogates; separators and quotes made likely.
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(",\"\\# ;'####"),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"),
    ),
    max_size=16,
).filter(lambda t: t != IGNORE_TEXT)


@st.composite
def polygons(draw, sizes=st.integers(3, 9)) -> Polygon:
    n = draw(sizes)
    pts = draw(st.lists(point, min_size=n, max_size=n))
    if draw(st.booleans()):  # a repeated vertex, as real files have
        pts[draw(st.integers(0, n - 1))] = pts[draw(st.integers(0, n - 1))]
    return Polygon(tuple(pts))


@st.composite
def boxes(draw) -> Polygon:
    x0, x1 = sorted(draw(st.tuples(coord, coord)))
    y0, y1 = sorted(draw(st.tuples(coord, coord)))
    return Polygon.from_box(x0, y0, x1, y1)


def regions(shapes) -> st.SearchStrategy[Region]:
    return st.builds(
        lambda poly, text, ignore: Region(polygon=poly, text=text, ignore=ignore),
        shapes, texts, st.booleans(),
    )  # fmt: skip


def pages(shapes) -> st.SearchStrategy[list[PageLabels]]:
    page_regions = st.lists(regions(shapes), max_size=5)
    return st.lists(page_regions, min_size=1, max_size=3).map(
        lambda rs: [PageLabels(f"img_{i}.jpg", tuple(r)) for i, r in enumerate(rs)]
    )


def text_kept(region: Region, ignored_text: str) -> bool:
    """Every format keeps points, ignore flag and the text of legible regions; the text of
    ignored ones only where the format has room for it ('all', or 'nonempty' ones)."""
    room = ignored_text == "all" or (ignored_text == "nonempty" and bool(region.text))
    return not region.ignore or room


def whole(polygon: Polygon) -> tuple[tuple[float, float], ...]:
    """The points as the ICDAR writers put them: whole pixels, half to even."""
    return tuple((float(np.rint(x)), float(np.rint(y))) for x, y in polygon.points)


def round_trip(
    fmt: str, written: list[PageLabels], ignored_text: str = "none", points=lambda p: p.points
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        report = write_labels(fmt, written, Path(tmp))
        assert report.reduced == report.boxed == 0 and not report.skipped
        back = read_labels(fmt, Path(tmp))
    moved = sum(points(r.polygon) != r.polygon.points for p in written for r in p.regions)
    assert report.rounded == moved
    assert [Path(p.image).stem for p in back] == [Path(p.image).stem for p in written]
    for a, b in zip(written, back, strict=True):
        assert len(a.regions) == len(b.regions)
        for ra, rb in zip(a.regions, b.regions, strict=True):
            assert (points(ra.polygon), ra.ignore) == (rb.polygon.points, rb.ignore)
            if text_kept(ra, ignored_text):
                assert ra.text == rb.text


@SETTINGS
@given(pages(polygons(st.just(4))))
def test_icdar2015_round_trip(written):
    """Integer coordinates come back exactly; others as whole pixels, counted."""
    round_trip("icdar2015", written, points=whole)


@SETTINGS
@given(pages(boxes()))
def test_icdar2013_round_trip(written):
    round_trip("icdar2013", written, points=whole)


@SETTINGS
@given(pages(polygons()))
def test_polygon_round_trip(written):
    round_trip("polygon", written)


@SETTINGS
@given(pages(polygons()))
def test_paddleocr_round_trip(written):
    round_trip("paddleocr", written)


@SETTINGS
@given(pages(polygons()))
def test_labelme_round_trip(written):
    round_trip("labelme", written, ignored_text="nonempty")


@SETTINGS
@given(pages(polygons()))
def test_mmocr_round_trip(written):
    round_trip("mmocr", written, ignored_text="all")


@pytest.fixture(scope="module")
def word_images(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("word_images")
    Image.fromarray(np.zeros((8, 20, 3), np.uint8)).save(folder / "w.png")
    return folder


@SETTINGS
@given(words=st.lists(texts, min_size=1, max_size=5))
def test_words_list_round_trip(word_images, words):
    box = Polygon.from_box(0, 0, 20, 8)
    written = [PageLabels("w.png", (Region(box, text=t),), 20, 8) for t in words]
    with tempfile.TemporaryDirectory() as tmp:
        write_labels("words", written, Path(tmp), images_root=word_images)
        back = read_labels("words", Path(tmp), word_images)
    assert back == written


def test_a_path_with_terminal_codes_is_printed_escaped(tmp_path, capsys):
    """Issue #25, class 17: "no image" named the label file raw, so a name holding escape
    codes cleared the screen and set the window title."""
    from ocrstudio.cli import main

    images, gt = tmp_path / "imgs", tmp_path / "gt"
    images.mkdir()
    gt.mkdir()
    (gt / "gt_evil\x1b]0;pwned\x07\x1b[2J.txt").write_text("1,1,9,1,9,9,1,9,word\n")
    code = main(
        [
            "import",
            str(tmp_path / "p"),
            "--format",
            "icdar2015",
            "--images",
            str(images),
            "--labels",
            str(gt),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "no image" in err
    assert "\x1b" not in err and "\x07" not in err
    assert "evil\\x1b]0;pwned\\x07\\x1b[2J" in err


@pytest.mark.parametrize(
    ("fmt", "line"),
    [
        ("icdar2015", "1,1,30,1,30,12,1,12,word"),
        ("icdar2013", '1 1 30 12 "word"'),
        ("polygon", "1,1,30,1,30,12,1,12,####word"),
    ],
)
def test_labels_attach_to_webp_photos(tmp_path, fmt, line):
    """Issue #25, class 14: a project took .webp photos, the per-image formats could not
    find them ("no image img_7.(jpg|jpeg|png|bmp|tif)")."""
    from PIL import Image

    from ocrstudio.formats import read_labels

    images, gt = tmp_path / "imgs", tmp_path / "gt"
    images.mkdir()
    gt.mkdir()
    Image.new("RGB", (40, 20), "white").save(images / "img_7.webp")
    (gt / "gt_img_7.txt").write_text(line + "\n")
    (page,) = read_labels(fmt, gt, images)
    assert page.image == "img_7.webp" and page.regions[0].text == "word"
