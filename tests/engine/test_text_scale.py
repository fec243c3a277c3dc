"""The detector's input scale picked from the text's size (`detection.text_scale`): which
pages are read again and at what scale, how the two passes' boxes merge, and the shipped
detector finding small print on a rendered page only with the second pass."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocrstudio.core.types import Polygon, Region
from ocrstudio.engine.detection.predictor import resized_shape, scaled_shape
from ocrstudio.engine.detection.text_scale import (
    TextScale,
    box_heights,
    merged,
    paper_share,
    rescale_for,
    rescanned,
)

CFG = TextScale()


def _words(height: float, n: int, x0: float = 10.0) -> list[Region]:
    """`n` word boxes `height` high (3 heights wide), one per line."""
    return [
        Region(polygon=Polygon.from_box(x0, y, x0 + 3 * height, y + height))
        for y in (2 * height * i for i in range(n))
    ]


def test_box_heights_are_the_short_sides() -> None:
    turned = Region(polygon=Polygon.from_array(np.array([[0, 0], [30, 30], [20, 40], [-10, 10]])))
    heights = box_heights([*_words(12.0, 2), turned])
    assert np.allclose(heights, [12.0, 12.0, np.hypot(10, 10)])
    assert box_heights([]).shape == (0,)


def test_small_print_is_read_again_larger_and_photos_keep_their_pass() -> None:
    page = (1000, 800)
    scale = rescale_for(_words(10.0, 40), 1.0, page, CFG)  # a form's 10-pixel print
    assert scale is not None and scale == pytest.approx(CFG.target / 10.0)
    # measured at the input's scale: the same words on a page shrunk to half at input
    assert rescale_for(_words(20.0, 40), 0.5, page, CFG) == pytest.approx(CFG.target / 20.0)
    assert rescale_for(_words(24.0, 40), 1.0, page, CFG) is None  # a street photo's words
    assert rescale_for(_words(10.0, CFG.min_boxes - 1), 1.0, page, CFG) is None  # too few
    # never past max_side; a change under a quarter is not worth a pass
    assert rescale_for(_words(2.0, 40), 1.0, page, CFG) == CFG.max_side / 1000
    assert rescale_for(_words(CFG.small - 1, 40), 1.0, page, TextScale(target=15.5)) is None


def test_huge_letters_are_read_again_smaller() -> None:
    scale = rescale_for(_words(200.0, 10), 1.0, (2000, 3000), CFG)
    assert scale is not None and scale == pytest.approx(CFG.target / 200.0)


def _box(x0: float, y0: float, x1: float, y1: float, text: str) -> Region:
    return Region(polygon=Polygon.from_box(x0, y0, x1, y1), text=text)


def test_the_pass_at_the_smaller_scale_wins_and_the_other_adds_what_only_it_found() -> None:
    whole = [_box(10, 0, 110, 12, "Refrigerate")]
    pieces = [_box(10, 0, 50, 12, "Refr"), _box(55, 0, 110, 12, "igerate")]
    small = [_box(10, 40, 24, 48, "TO")]
    assert [r.text for r in merged(whole, [*pieces, *small])] == ["Refrigerate", "TO"]
    assert merged([], small) == small and merged(whole, []) == whole


def test_rescanned_reads_only_the_pages_that_need_it() -> None:
    asked: list[float] = []
    strokes = [_box(0, 0, 100, 200, "I"), _box(120, 0, 220, 200, "l")]  # of a huge word

    def run(image: np.ndarray, scale: float) -> list[Region]:
        asked.append(scale)
        # in page pixels, as the detector maps them back: upscaled, one more word found;
        # downscaled, the huge word whole
        if scale > 1.0:
            return [*_words(10.0, 40), _box(500, 0, 520, 10, "TO")]
        return [_box(0, 0, 600, 200, "Illinois")]

    images = [np.full((1000, 800, 3), 250, np.uint8), np.zeros((720, 1280, 3), np.uint8)]
    found = [_words(10.0, 40), _words(24.0, 5), strokes * 5]
    out = rescanned([*images, images[1]], found, [1.0, 1.0, 1.0], run, CFG)
    assert asked == [pytest.approx(CFG.target / 10.0), pytest.approx(CFG.target / 100.0)]
    assert out[0][:40] == found[0] and [r.text for r in out[0][40:]] == ["TO"]
    assert out[1] is found[1]  # a street photo's words: one pass
    assert [r.text for r in out[2]] == ["Illinois"]
    # small print on a page that is not paper (a street photo's small signs): one pass
    dark = np.zeros((1000, 800, 3), np.uint8)
    assert rescanned([dark], [found[0]], [1.0], run, CFG)[0] is found[0] and len(asked) == 2


def test_paper_is_bright_and_unsaturated() -> None:
    page = np.full((600, 400, 3), 235, np.uint8)
    page[100:110, 50:300] = 0  # a line of print
    assert paper_share(page) > 0.9 and paper_share(page[..., 0]) > 0.9  # grey scans too
    street = np.zeros((720, 1280, 3), np.uint8)
    street[..., 0], street[..., 2] = 200, 60  # a red-brick wall
    assert paper_share(street) == 0.0


def test_scaled_shapes_go_both_ways() -> None:
    assert scaled_shape(1000, 773, 2.2) == (2208, 1696)
    assert scaled_shape(720, 1280, 0.5) == (352, 640)
    assert resized_shape(1000, 773, 1280) == (992, 768)  # the first pass never upscales


def _small_print_page() -> tuple[np.ndarray, int]:
    """A white page 700 x 440 with 12 lines of print 7 pixels high; the number of words."""
    img = np.full((440, 700, 3), 255, np.uint8)
    rng = np.random.default_rng(26)
    words = 0
    for line in range(12):
        x = 30
        while x < 600:
            text = "".join(rng.choice(list("ABCDEFGHKLMNPRSTUVWXYZ0123456789"), rng.integers(2, 7)))
            cv2.putText(img, text, (x, 30 + 34 * line), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (0, 0, 0), 1)
            x += 9 * len(text) + 24
            words += 1
    return img, words


def test_the_shipped_detector_finds_small_print_only_when_the_page_is_read_larger() -> None:
    from ocrstudio.engine.detection.predictor import DetectionPredictor
    from ocrstudio.services.ocr import resolve_model

    det = DetectionPredictor.from_checkpoint(resolve_model(None, "detector"), "cpu")
    image, words = _small_print_page()
    once = det.predict(image)
    det.text_scale = CFG
    twice = det.predict(image)
    # 7-pixel print: at its own size the detector proposes some words, measured small
    assert len(once) < words * 3 // 4 and np.median(box_heights(once)) < CFG.small
    assert len(twice) >= words * 9 // 10, (len(once), len(twice), words)
    assert np.median(box_heights(twice)) < CFG.small  # in page pixels: the same print
