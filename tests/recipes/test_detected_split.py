"""Recognizer training pages from a detector's own boxes (recipes/detected.py):
a box is labelled with the ground-truth words it holds, in reading order, only when the
label is certain."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ocrstudio.core.types import PageLabels, Polygon, Region
from recipes.detected import detected_page, label_box


def _box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)


def _word(text: str, x0: float, y0: float, x1: float, y1: float, ignore: bool = False) -> Region:
    return Region(Polygon.from_array(_box(x0, y0, x1, y1)), text, ignore=ignore)


TRUTH = (
    _word("Buona", 110, 10, 160, 30),
    _word("Harbour", 40, 10, 100, 30),
    _word("###", 300, 10, 360, 30, ignore=True),
    _word("exit", 200, 60, 240, 80),
)


def test_a_box_holding_two_words_reads_them_in_order_with_a_space() -> None:
    assert label_box(_box(36, 6, 164, 34), TRUTH) == "Harbour Buona"
    assert label_box(_box(196, 57, 244, 83), TRUTH) == "exit"


def test_a_vertical_box_reads_top_down() -> None:
    truth = (_word("B", 10, 60, 30, 100), _word("A", 10, 10, 30, 50))
    assert label_box(_box(8, 8, 32, 102), truth) == "A B"


def test_uncertain_boxes_get_no_label() -> None:
    assert label_box(_box(36, 6, 130, 34), TRUTH) is None  # "Buona" cut in two
    assert label_box(_box(290, 6, 364, 34), TRUTH) is None  # illegible text
    assert label_box(_box(150, 0, 260, 100), TRUTH) is None  # mostly background
    assert label_box(_box(500, 500, 550, 520), TRUTH) is None  # no word
    assert label_box(_box(36, 6, 164, 34), ()) is None


def test_a_page_keeps_only_the_boxes_it_can_label() -> None:
    found = [
        Region(Polygon.from_array(_box(36, 6, 164, 34)), "", det_score=0.9, provenance="det"),
        Region(Polygon.from_array(_box(36, 6, 130, 34)), "", det_score=0.8),
    ]
    page = detected_page(PageLabels("img_1.jpg", TRUTH, 400, 100), found)
    assert [(r.text, r.det_score, r.provenance) for r in page.regions] == [
        ("Harbour Buona", 0.9, "manual")
    ]


def test_the_split_holds_the_shipped_detectors_boxes_with_the_words_they_hold(
    tmp_path: Path,
) -> None:
    from ocrstudio.services.ocr import resolve_model
    from ocrstudio.training.api import load_folder
    from recipes.detected import write_detected_split
    from tests.support.rendered_words import words_photo

    words = words_photo(tmp_path / "photos")
    det = resolve_model(None, "detector")
    counts = write_detected_split(det, tmp_path / "photos", tmp_path / "det", box_thresh=0.5)
    (page,) = load_folder(tmp_path / "det")
    texts = [r.text for r in page.labels.regions]
    assert counts["photos"] == 1 and counts["kept"] == len(texts) >= 3
    assert set(" ".join(texts).split()) <= set(words)  # never the ### region's text
    assert page.image_path.resolve() == (tmp_path / "photos/images/img_1.jpg").resolve()
