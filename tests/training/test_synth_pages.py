"""Rendered pages (receipts, forms, documents, screenshots): deterministic, labels that
lie over their ink, receipt-like content, held-out seeds, and the training wiring."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from ocrstudio.cli import main
from ocrstudio.core.errors import InputError
from ocrstudio.training.api import build_model, load_folder, synth_source, train_model
from ocrstudio.training.config import FitConfig
from ocrstudio.training.synth.page_canvas import PageFonts
from ocrstudio.training.synth.page_receipt import receipt
from ocrstudio.training.synth.pages import (
    HELD_OUT,
    PAGE_KINDS,
    TRAIN_SEEDS,
    VAL_SEEDS,
    PageSynth,
    PageSynthConfig,
    render_page,
)

PRICE = re.compile(r"^\d{1,3}(,\d{3})*\.\d\d$")


@pytest.fixture(scope="module")
def pages() -> dict[str, tuple]:
    """One page of each kind, with its text-ink mask."""
    synth = PageSynth()
    return {kind: synth.page(kind, 1_000_000 + i) for i, kind in enumerate(PAGE_KINDS)}


def test_pages_are_deterministic_per_seed_and_index():
    cfg = PageSynthConfig(kinds=("screenshot",))
    sa, sb = PageSynth(cfg, seed=3).sample(1), PageSynth(cfg, seed=3).sample(1)
    assert np.array_equal(sa.image, sb.image) and sa.words == sb.words
    img, labels = render_page("screenshot", 1_000_123)
    img2, labels2 = render_page("screenshot", 1_000_123)
    assert np.array_equal(img, img2) and labels == labels2
    other, _ = render_page("screenshot", 1_000_124)
    assert other.shape != img.shape or not np.array_equal(other, img)


def test_streams_keep_to_their_seeds_and_never_reach_the_held_out_ones():
    train, val = PageSynth(seed=5), PageSynth(PageSynthConfig(seeds=VAL_SEEDS), seed=5)
    drawn = [train.draw(i) for i in range(2000)]
    assert all(TRAIN_SEEDS[0] <= s < TRAIN_SEEDS[1] for _, s in drawn)
    assert {k for k, _ in drawn} == set(PAGE_KINDS)  # the mix holds every kind
    assert all(VAL_SEEDS[0] <= val.draw(i)[1] < HELD_OUT for i in range(2000))
    with pytest.raises(ValueError):
        PageSynthConfig(seeds=(0, HELD_OUT + 1))


def _ring_contrast(grey: np.ndarray, pts: np.ndarray) -> float:
    """Mean brightness inside a polygon minus that of a thin ring around it."""
    inside = np.zeros(grey.shape, np.uint8)
    cv2.fillPoly(inside, [np.round(pts).astype(np.int32)], 1)
    grown = cv2.dilate(inside, np.ones((7, 7), np.uint8))
    ring = grown.astype(bool) & ~inside.astype(bool)
    return float(grey[inside.astype(bool)].mean() - grey[ring].mean())


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_word_polygons_lie_inside_the_image_and_over_the_ink(pages, kind):
    sample, ink = pages[kind]
    h, w = sample.image.shape[:2]
    regions = sample.words.regions
    assert len(sample.words.legible) >= 20
    assert sample.words.width == w and sample.words.height == h
    grey = sample.image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    mask = np.zeros((h, w), np.uint8)
    for r in regions:
        pts = r.polygon.as_array()
        assert (pts >= 0).all() and (pts[:, 0] <= w - 1).all() and (pts[:, 1] <= h - 1).all()
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
        assert not re.search(r"\s", r.text)
    # the text ink lies in the word polygons (1 px of interpolation at the edges)
    near = cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(bool)
    assert (ink & ~near).sum() <= 0.01 * ink.sum()
    # and each word differs from the paper around it: dark print on light paper, or light
    # text on a dark panel
    contrast = [abs(_ring_contrast(grey, r.polygon.as_array())) for r in regions]
    assert np.median(contrast) > 15
    assert np.mean(np.array(contrast) > 4) > 0.97


def test_lines_join_their_words(pages):
    sample, _ = pages["receipt"]
    words = " ".join(r.text for r in sample.words.regions if not r.ignore)
    lines = " ".join(r.text for r in sample.lines.regions if not r.ignore)
    assert len(sample.lines.regions) < len(sample.words.regions)
    assert sorted(words.split()) == sorted(lines.split())
    _, by_line = render_page("receipt", 1_000_000, level="lines")
    assert by_line == sample.lines


def test_receipts_hold_short_words_and_right_aligned_prices():
    fonts = PageFonts()
    short = total = 0
    for seed in range(3):
        cv = receipt(np.random.default_rng(seed), fonts, "".join(map(chr, range(33, 127))))
        short += sum(len(w.text) <= 2 for w in cv.words)
        total += len(cv.words)
        prices = [w for w in cv.words if PRICE.match(w.text)]
        # prices stand in columns: many share one right edge, far right of the page
        edges = np.array([w.box[2] for w in prices])
        column = max((np.abs(edges - e) <= 1).sum() for e in edges)
        assert column >= 3
        right = edges[np.argmax([(np.abs(edges - e) <= 1).sum() for e in edges])]
        assert right > 0.75 * cv.w
        # ...and far from the item name printed on the same line
        rows = {w.baseline for w in prices if abs(w.box[2] - right) <= 1}
        names = {w.baseline for w in cv.words if w.baseline in rows and w.box[0] < 0.3 * cv.w}
        assert len(names) >= 2
    assert short / total > 0.12


def test_page_sources_feed_a_detector_and_not_a_recognizer(tmp_path):
    from ocrstudio.training.api import _det_data

    src = synth_source("synth:receipt", 1.0)
    assert src.synth == "receipt"
    with pytest.raises(InputError):
        synth_source("synth:recipes", 1.0)
    built = build_model("dbnet_resnet18", "tiny", None, [])
    task, ds, val = _det_data(built, [src], [[]], [], FitConfig(seed=0, epoch_size=4))
    item = ds[0]
    assert item["image"].ndim == 3 and len(ds) == 4
    assert max(float(np.asarray(v).max()) for k, v in item.items() if k != "image") > 0
    image, labels = val[0]  # validation pages come from their own seeds
    assert labels.image.startswith("receipt_")
    assert VAL_SEEDS[0] <= int(labels.image.split("_")[1].split(".")[0]) < HELD_OUT
    with pytest.raises(InputError, match="detectors"):
        train_model([synth_source("synth:pages", 1.0)], tmp_path, arch="crnn_small")


def test_synth_cli_writes_an_icdar_folder_of_pages(tmp_path):
    out = tmp_path / "receipts"
    args = ["synth", "--kind", "receipt", "--count", "2", "--seed", "1000000"]
    assert main([*args, "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "gt").iterdir()) == ["gt_1.txt", "gt_2.txt"]
    pages = sorted(load_folder(out), key=lambda p: p.image_path.name)
    img, want = render_page("receipt", 1_000_000)
    assert np.array_equal(cv2.imread(str(pages[0].image_path))[..., ::-1], img)
    assert [r.text for r in pages[0].labels.regions] == [r.text for r in want.regions]
