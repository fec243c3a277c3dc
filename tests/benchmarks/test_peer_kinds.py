"""Issue #26: the page-level figures of `benchmarks/bench_peers.py` (words found, CER of the
page text laid out in reading order) on hand-made regions, and the rendered kinds' pages
written and read back."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.peer_kinds import (
    RENDER_SEED,
    kind_scores,
    load_kinds,
    page_cer,
    page_text,
    render_kind,
    words_found,
)
from ocrstudio.core.types import Polygon, Region
from tests.support.receipt_layout import receipt


def box(x: float, y: float, text: str, ignore: bool = False) -> Region:
    w = 10.0 * max(len(text), 1)
    return Region(Polygon(((x, y), (x + w, y), (x + w, y + 16), (x, y + 16))), text, ignore)


def test_words_found_is_a_bag_of_cased_words() -> None:
    gt = [box(0, 0, "Total"), box(60, 0, "12.50"), box(0, 30, "Total"), box(60, 30, "Cash")]
    found = [box(0, 0, "total"), box(60, 0, "12.50 Total"), box(0, 30, "Cash")]
    # "total" is not "Total" (case kept); a region of two words gives two
    assert words_found(gt, found) == (3, 4, 4)


def test_found_words_in_a_dont_care_region_do_not_count() -> None:
    gt = [box(0, 0, "Pay"), box(0, 40, "", ignore=True)]  # FUNSD: an unreadable word
    found = [box(0, 0, "Pay"), box(1, 40, "x")]
    assert words_found(gt, found) == (1, 1, 1)
    assert page_cer(gt, found) == (0, 3)


def test_page_text_follows_the_reading_order_not_the_list_order() -> None:
    page = receipt(4.0)  # skewed, regions shuffled
    text = page_text(page.regions)
    assert text.splitlines()[2] == "ITEM QTY AMOUNT", "columns' padding made one space"
    assert text.splitlines()[0] == "LIGHTROOM GALLERY"
    found = list(reversed(page.regions))
    assert page_cer(page.regions, found) == (0, len(text))


def test_cer_counts_misread_and_missed_words() -> None:
    page = receipt(0.0)
    gt = list(page.regions)
    misread = [r.with_(text="327.0O") if r.text == "327.00" else r for r in gt]
    assert page_cer(gt, misread) == (1, len(page_text(gt)))
    missed = [r for r in gt if r.text != "TOTAL"]
    dist, chars = page_cer(gt, missed)
    assert dist == len("TOTAL ") and chars == len(page_text(gt))


def test_kind_scores_pool_over_pages() -> None:
    gts = [[box(0, 0, "Hello"), box(70, 0, "world")], [box(0, 0, "Bye")]]
    found = [[box(0, 0, "Hello"), box(70, 0, "word")], []]
    s = kind_scores(gts, found, [9.0, 0.5])
    assert s["words_recall"] == pytest.approx(1 / 3)
    assert s["words_precision"] == pytest.approx(1 / 2)
    assert s["words_f1"] == pytest.approx(0.4)
    assert s["cer"] == pytest.approx((1 + 3) / (len("Hello world") + 3))
    assert s["e2e_hmean"] == pytest.approx(0.4)
    assert s["det_recall"] == pytest.approx(2 / 3)
    assert s["s_per_page"] == 0.5, "the first page's set-up is not timed"


def _fake_pages(monkeypatch: pytest.MonkeyPatch, words: dict[int, int]) -> None:
    """A stand-in for `ocrstudio.training.synth.pages`: page `seed` holds `words[seed]`."""
    import types

    import numpy as np

    from ocrstudio.core.types import PageLabels

    def render_page(kind: str, seed: int) -> tuple[np.ndarray, PageLabels]:
        regions = [box(12 * (i % 5) * 6, 20 * (i // 5), f"w{i}") for i in range(words[seed])]
        return np.full((400, 400, 3), 255, np.uint8), PageLabels(f"{kind}.png", tuple(regions))

    module = types.ModuleType("ocrstudio.training.synth.pages")
    module.render_page = render_page  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ocrstudio.training.synth.pages", module)


def test_rendered_pages_are_written_and_read_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fake_pages(monkeypatch, {RENDER_SEED + i: n for i, n in enumerate([3, 300, 9, 260, 4])})
    receipts, why = render_kind("receipts", 2, tmp_path / "r")
    assert why == "" and [len(p.labels.regions) for p in receipts] == [3, 300]
    assert receipts[0].image_path.name == f"receipt_{RENDER_SEED}.png"
    assert receipts[1].labels.regions[7].text == "w7"
    documents, _ = render_kind("documents", 2, tmp_path / "d")
    assert [len(p.labels.regions) for p in documents] == [300, 260], "only dense pages"


def test_a_missing_renderer_is_skipped_with_a_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "ocrstudio.training.synth.pages", None)
    pages, skipped = load_kinds(["screenshots"], tmp_path, tmp_path, 5, 5, 5)
    assert pages == {}
    assert skipped == ["screenshots: rendered pages: ocrstudio.training.synth.pages not available"]
