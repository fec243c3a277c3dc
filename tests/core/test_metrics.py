"""Metrics against hand-computed cases."""

from __future__ import annotations

import math

import pytest

from ocrstudio.core.metrics import (
    edit_distance,
    evaluate_detection,
    evaluate_end_to_end,
    evaluate_recognition,
    evaluate_word_spotting,
    hmean,
    match_page,
    normalize_36,
    spotting_word,
    transcription_matches,
)
from ocrstudio.core.types import Polygon, Region


def box(x0, y0, x1, y1, text="word", ignore=False) -> Region:
    return Region(polygon=Polygon.from_box(x0, y0, x1, y1), text=text, ignore=ignore)


# Page 1 ground truth: two legible words and one don't-care region.
GT1 = [box(0, 0, 10, 10), box(20, 0, 30, 10), box(50, 0, 70, 10, "###", ignore=True)]
DET1 = [
    box(1, 0, 11, 10),  # IoU with GT1[0] = 90 / 110 = 0.818: match
    box(52, 1, 60, 9),  # wholly inside the don't-care region: dropped
    box(100, 100, 110, 110),  # nothing there: false positive
    box(25, 0, 35, 10),  # IoU with GT1[1] = 50 / 150: no match
]


def test_single_page_by_hand():
    m = match_page(GT1, DET1)
    assert (m.gt_care, m.det_care, m.matched) == (2, 3, 1)
    assert m.pairs == ((0, 0),) and m.det_dont_care == (1,)
    r = evaluate_detection([(GT1, DET1)])
    assert (r.precision, r.recall) == (pytest.approx(1 / 3), 0.5)
    assert r.hmean == pytest.approx(2 * (1 / 3) * 0.5 / (1 / 3 + 0.5))  # 0.4
    assert r.hmean == pytest.approx(0.4)


def test_sums_over_pages_before_dividing():
    page2 = ([box(0, 0, 10, 10)], [])  # one missed word
    page3 = ([], [box(0, 0, 5, 5)])  # a page without text, one false positive
    r = evaluate_detection([(GT1, DET1), page2, page3])
    assert (r.matched, r.gt_care, r.det_care, r.images) == (1, 3, 4, 3)
    assert r.precision == pytest.approx(1 / 4) and r.recall == pytest.approx(1 / 3)


def test_iou_must_exceed_half_and_dont_care_must_exceed_half():
    gt = [box(0, 0, 10, 10), box(100, 0, 110, 10, "###", ignore=True)]
    # IoU exactly 0.5 (a 20x10 detection over the 10x10 word: 100 / 200): not a match
    exactly_half = box(0, 0, 20, 10)
    assert match_page(gt, [exactly_half]).matched == 0
    # half of the detection inside the don't-care region: kept (the rule is > 50 %)
    half_in = box(95, 0, 105, 10)
    assert match_page(gt, [half_in]).det_care == 1
    assert match_page(gt, [box(96, 0, 106, 10)]).det_care == 0


def test_matching_is_one_to_one_and_greedy_in_order():
    gt = [box(0, 0, 10, 10), box(0, 0, 10, 11)]
    det = [box(0, 0, 10, 11)]  # fits gt[1] exactly, gt[0] at IoU 100/110
    m = match_page(gt, det)
    assert m.pairs == ((0, 0),)  # the official script's order, not the best IoU
    r = evaluate_detection([(gt, det + [box(0, 0, 10, 10)])])
    assert (r.matched, r.precision, r.recall) == (2, 1.0, 1.0)


def test_prediction_side_ignore_is_not_a_detection():
    det = [box(0, 0, 10, 10), box(200, 200, 210, 210, "###", ignore=True)]
    r = evaluate_detection([([box(0, 0, 10, 10)], det)])
    assert (r.det_care, r.precision) == (1, 1.0)


def test_empty_set_scores_zero_like_the_official_script():
    r = evaluate_detection([([], [])])
    assert (r.precision, r.recall, r.hmean, r.images) == (0.0, 0.0, 0.0, 1)
    assert hmean(0.0, 0.0) == 0.0


def test_end_to_end_by_hand():
    """The official end-to-end rules: only ### is don't care, short words count, and the
    ground truth may lose punctuation at its ends (the reading may not add it)."""
    gt = [
        box(0, 0, 50, 10, "Hello,"),
        box(0, 20, 50, 30, "World"),
        box(0, 40, 20, 50, "ab"),  # short: cared in end to end
        box(0, 60, 50, 70, "###", ignore=True),
        box(0, 80, 50, 90, "missed"),
        box(0, 100, 50, 110, "Exit"),
    ]
    det = [
        box(0, 0, 50, 10, "HELLO"),  # correct: case ignored, the gt's comma may go
        box(0, 20, 50, 30, "Word"),  # located, wrong text
        box(0, 40, 20, 50, "ab"),  # correct
        box(0, 60, 50, 70, "zz"),  # inside ###: dropped
        box(0, 100, 50, 110, "Exit."),  # the reading may not add punctuation
        box(200, 0, 250, 10, "extra"),  # false positive
    ]
    r = evaluate_end_to_end([(gt, det)])
    assert (r.matched, r.gt_care, r.det_care) == (2, 5, 5)
    d = evaluate_detection([(gt, det)])
    assert (d.matched, d.gt_care, d.det_care) == (4, 5, 5)


def test_word_spotting_by_hand():
    """Word spotting's dictionary: words under 3 letters, with digits or inner punctuation
    are don't care; the rest is compared cleaned ('s, end hyphens, punctuation)."""
    gt = [
        box(0, 0, 50, 10, "John's"),
        box(0, 20, 50, 30, "ab"),  # too short: don't care
        box(0, 40, 50, 50, "2nd"),  # a digit: don't care
        box(0, 60, 50, 70, "-Open-"),
        box(0, 80, 50, 90, "Café"),
    ]
    det = [
        box(0, 0, 50, 10, "JOHN"),  # the 's is not part of the word
        box(0, 20, 50, 30, "ab"),  # on a don't-care word: dropped
        box(0, 40, 50, 50, "2nd"),  # same
        box(0, 60, 50, 70, "open"),
        box(0, 80, 50, 90, "Cafe"),  # wrong letter
    ]
    r = evaluate_word_spotting([(gt, det)])
    assert (r.matched, r.gt_care, r.det_care) == (2, 3, 3)
    assert spotting_word("a.b") is None and spotting_word("HELLO!") == "HELLO"
    assert transcription_matches("(ab)", "AB") and not transcription_matches("", "")


def test_normalize_36_and_edit_distance():
    assert normalize_36("Hello, World-2!") == "helloworld2"
    assert normalize_36("Café") == "caf"
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3
    assert edit_distance("flaw", "lawn") == 2
    assert edit_distance("same", "same") == 0


def _reference_distance(a: str, b: str) -> int:
    """The textbook dynamic programme, a cell at a time."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def test_edit_distance_agrees_with_the_textbook_programme() -> None:
    import random

    rng = random.Random(7)
    for _ in range(300):
        a = "".join(rng.choice("ab c\n") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("ab c\n") for _ in range(rng.randint(0, 12)))
        assert edit_distance(a, b) == _reference_distance(a, b), (a, b)


def test_recognition_by_hand():
    pairs = [("Hello", "hello"), ("A-1", "a1"), ("abc", "abd"), ("", "")]
    r = evaluate_recognition(pairs)
    assert r.count == 4
    assert r.word_acc == 0.75  # hello, a1 and the empty pair agree after normalising
    assert r.word_acc_cased == 0.25  # only the empty pair is exactly equal
    assert r.cer == pytest.approx((1 + 2 + 1 + 0) / (5 + 3 + 3 + 0))
    assert r.one_minus_ned == pytest.approx((0.8 + 1 / 3 + 2 / 3 + 1.0) / 4)  # 0.7
    assert evaluate_recognition([]).count == 0
    assert evaluate_recognition([("", "x")]).cer == 1.0


def test_score_auroc_is_the_chance_a_right_reading_outscores_a_wrong_one() -> None:
    from ocrstudio.core.metrics import score_auroc

    assert score_auroc([True, True, False], [0.9, 0.8, 0.1]) == 1.0
    assert score_auroc([True, False, False], [0.2, 0.9, 0.1]) == 0.5
    assert score_auroc([True, False], [0.5, 0.5]) == 0.5  # ties count half
    assert math.isnan(score_auroc([True, True], [0.5, 0.7]))
