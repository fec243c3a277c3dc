"""Issue 14 must-show: every reader, fed real files mutated by hypothesis (bytes flipped,
cut, inserted, numbers made huge), ends in a clean `FormatError` / `InputError` or a
valid result, never another exception. Small example counts keep the suite fast."""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ocrstudio.core.errors import InputError
from ocrstudio.core.images import read_image
from ocrstudio.formats import FormatError, read_labels, write_labels

FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FORMATS = ("icdar2015", "icdar2013", "polygon", "paddleocr", "labelme", "mmocr", "words")
# The file of each format that the mutations hit.
MAIN_FILE = {
    "icdar2015": "gt_img_1.txt",
    "icdar2013": "gt_img_1.txt",
    "polygon": "img_1.txt",
    "paddleocr": "Label.txt",
    "labelme": "img_1.json",
    "mmocr": "textdet.json",
    "words": "rec_gt.txt",
}
NUMBERS = [b"1e999", b"-0", b"9" * 400, b"9" * 5000, b"NaN", b"true", b'"false"', b"[[[["]


@pytest.fixture(scope="module")
def corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real ICDAR 2015 pages (3 photos), written in every format by the writers."""
    root = tmp_path_factory.mktemp("corpus")
    src = shared_data / "icdar2015_train"
    (root / "images").mkdir()
    (root / "gt").mkdir()
    for k in (1, 2, 3):
        shutil.copy(src / "images" / f"img_{k}.jpg", root / "images")
        shutil.copy(src / "gt" / f"gt_img_{k}.txt", root / "gt")
    pages = read_labels("icdar2015", root / "gt", root / "images")
    for fmt in FORMATS[1:]:
        if fmt == "words":  # word crops of the same photos, as the crops export cuts them
            write_labels("crops", pages, root / fmt, root / "images")
        else:
            write_labels(fmt, pages, root / fmt, root / "images")
    shutil.copytree(root / "gt", root / "icdar2015")
    for name in ("img_1.jpg", "img_2.jpg", "img_3.jpg"):  # labelme keeps them side by side
        shutil.copy(root / "images" / name, root / "labelme")
    return root


@st.composite
def mutations(draw: st.DrawFn, size: int) -> list[tuple[str, int, bytes]]:
    ops = st.tuples(
        st.sampled_from(["flip", "cut", "insert", "number", "truncate"]),
        st.integers(0, max(size - 1, 0)),
        st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from(NUMBERS)),
    )
    return draw(st.lists(ops, min_size=1, max_size=4))


def mutate(data: bytes, ops: list[tuple[str, int, bytes]]) -> bytes:
    buf = bytearray(data)
    for op, pos, blob in ops:
        pos = min(pos, len(buf))
        if op == "flip" and pos < len(buf):
            buf[pos] ^= blob[0] or 0x20
        elif op == "cut":
            del buf[pos : pos + len(blob) * 8]
        elif op == "insert":
            buf[pos:pos] = blob
        elif op == "number":  # replace the digits around pos with a hostile token
            start = end = pos
            while start > 0 and chr(buf[start - 1]).isdigit():
                start -= 1
            while end < len(buf) and chr(buf[end]).isdigit():
                end += 1
            buf[start:end] = blob
        elif op == "truncate":
            del buf[pos:]
    return bytes(buf)


def valid(pages: list) -> bool:  # type: ignore[type-arg]
    return all(
        isinstance(p.image, str)
        and all(
            isinstance(r.text, str) and all(math.isfinite(v) for pt in r.polygon.points for v in pt)
            for r in p.regions
        )
        for p in pages
    )


@pytest.mark.data
@pytest.mark.parametrize("fmt", FORMATS)
def test_mutated_label_files_give_a_format_error_or_valid_pages(corpus: Path, fmt: str) -> None:
    original = (corpus / fmt / MAIN_FILE[fmt]).read_bytes()
    own_images = fmt in ("labelme", "words")  # these keep images beside their labels
    assert valid(
        read_labels(
            fmt,
            corpus / fmt,  # the unmutated files read
            corpus / fmt if own_images else corpus / "images",
        )
    )

    @FUZZ
    @given(ops=mutations(len(original)))
    def check(ops: list[tuple[str, int, bytes]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / fmt
            shutil.copytree(corpus / fmt, folder)
            (folder / MAIN_FILE[fmt]).write_bytes(mutate(original, ops))
            images = folder if own_images else corpus / "images"
            try:
                pages = read_labels(fmt, folder, images)
            except FormatError as exc:
                assert len(str(exc)) < 1000
            else:
                assert valid(pages)

    check()


@pytest.mark.data
@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_mutated_images_give_an_input_error_or_rgb_pixels(corpus: Path, suffix: str) -> None:
    src = corpus / "images" / "img_1.jpg"
    if suffix == ".png":
        small = corpus / "small.png"
        Image.open(src).resize((160, 90)).save(small)
        src = small
    original = src.read_bytes()

    @FUZZ
    @given(ops=mutations(len(original)))
    def check(ops: list[tuple[str, int, bytes]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"x{suffix}"
            path.write_bytes(mutate(original, ops))
            try:
                pixels = read_image(path)
            except InputError as exc:
                assert "x" + suffix in str(exc) and "\n" not in str(exc)
            else:
                assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3

    check()
