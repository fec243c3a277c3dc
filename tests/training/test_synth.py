"""The synthetic-text renderer: fonts, determinism, and polygons that hold the ink."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocrstudio.training.synth import (
    SceneSynth,
    SceneSynthConfig,
    WordSynth,
    WordSynthConfig,
    discover_fonts,
    families,
)
from ocrstudio.training.synth.common import FontPool, Geometry, sample_warp, seeded
from ocrstudio.training.synth.render import box_polygon, draw_flat, place, warp_masks


def test_at_least_twenty_font_families_are_installed():
    fonts = discover_fonts()
    if not fonts:
        pytest.skip("no fonts installed at all (pip install -e . installs the fontpkg-* ones)")
    fams = families(fonts)
    assert len(fams) >= 20, fams
    assert all(f.path.is_file() for f in fonts)


def test_word_crops_are_deterministic_per_seed_and_index():
    a, b = WordSynth(seed=7), WordSynth(seed=7)
    for i in (0, 5, 31):
        sa, sb = a[i], b[i]
        assert sa.text == sb.text and sa.text
        assert np.array_equal(sa.image, sb.image)
    other = WordSynth(seed=8)[0]
    assert other.text != a[0].text or not np.array_equal(other.image, a[0].image)


def test_word_crops_respect_alphabet_and_height():
    cfg = WordSynthConfig(alphabet="0123456789abc", height=(32, 32))
    synth = WordSynth(cfg, seed=1)
    for i in range(10):
        s = synth[i]
        assert set(s.text) <= set(cfg.alphabet)
        assert s.image.shape[0] == 32 and s.image.shape[2] == 3 and s.image.dtype == np.uint8


def test_scenes_are_deterministic():
    cfg = SceneSynthConfig(size=(320, 400), instances=(3, 6))
    a, b = SceneSynth(cfg, seed=3)[2], SceneSynth(cfg, seed=3)[2]
    assert np.array_equal(a.image, b.image)
    assert a.labels == b.labels
    assert a.labels.width == a.image.shape[1] and a.labels.height == a.image.shape[0]


def _poly_mask(shape, polys, dilate: int = 0) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    for p in polys:
        cv2.fillPoly(m, [np.round(p).astype(np.int32)], 1)
        if dilate:
            cv2.polylines(m, [np.round(p).astype(np.int32)], True, 1, thickness=2 * dilate + 1)
    return m.astype(bool)


def _check_ink_in_polygons(ink: np.ndarray, polys: list[np.ndarray]) -> None:
    inside = _poly_mask(ink.shape, polys, dilate=1)
    assert ink.sum() > 0
    # All the ink lies inside the polygons (1 px of interpolation allowed at the edges).
    assert (ink & ~inside).sum() <= 0.005 * ink.sum()
    for p in polys:
        one = _poly_mask(ink.shape, [p])
        area = one.sum()
        ink_here = ink & one
        # The polygon is tight: the ink reaches close to its extent, not a loose box.
        ys, xs = np.nonzero(ink_here)
        rect = cv2.minAreaRect(np.stack([xs, ys], 1).astype(np.float32))
        assert rect[1][0] * rect[1][1] >= 0.6 * area
        assert ink_here.sum() >= 0.05 * area


@pytest.mark.parametrize("index", range(12))
def test_warped_word_polygons_hold_the_ink(index):
    rng = seeded(99, index)
    pool = FontPool()
    words = ["Hello", "curved", "World"][: 1 + index % 3]
    font = pool.pick(rng, "".join(words), 40)
    flat = draw_flat(words, font, stroke=index % 2 * 2)
    geo = Geometry(
        max_angle=40, max_persp=0.002, curve_prob=1.0 if index % 2 else 0.0, max_bend=2.0
    )
    warp, w, h = place(
        flat, sample_warp(rng, geo, flat.masks.shape[1], flat.baseline), (3, 3, 3, 3)
    )
    masks = warp_masks(flat, warp, w, h)
    polys = [box_polygon(b, warp) for b in flat.boxes]
    assert all(len(p) >= 4 for p in polys)
    _check_ink_in_polygons(masks[..., 1] > 0.5, polys)


@pytest.mark.parametrize("index", range(4))
def test_scene_polygons_hold_the_drawn_text(index):
    cfg = SceneSynthConfig(size=(400, 520), instances=(4, 8))
    sample, ink = SceneSynth(cfg, seed=5).render(index)
    polys = [r.polygon.as_array() for r in sample.labels.regions]
    assert polys, "a scene should hold text"
    assert all(len(p) >= 4 for p in polys)
    inside = _poly_mask(ink.shape, polys, dilate=1)
    assert (ink & ~inside).sum() <= 0.005 * ink.sum()
    for r in sample.labels.regions:
        assert r.ignore or (r.text and r.text == r.text.strip())


def test_curved_text_gets_more_than_four_points():
    cfg = SceneSynthConfig(
        size=(400, 500),
        instances=(6, 6),
        geometry=Geometry(max_angle=10, curve_prob=1.0, max_bend=1.5),
    )
    sample = SceneSynth(cfg, seed=2)[0]
    assert any(len(r.polygon) > 4 for r in sample.labels.regions)


def test_synth_stops_at_a_failed_write_and_names_the_file(tmp_path, monkeypatch, capsys):
    """Issue #25, class 16: on a full file system `synth` skipped the failed writes, left
    empty PNGs and crashed later. It now stops at the first, naming it, and leaves no
    half-written image."""
    import cv2

    from ocrstudio.cli import main

    real = cv2.imwrite

    def full_disk(path, img, *args):  # type: ignore[no-untyped-def]
        if path.endswith("3.png"):
            open(path, "wb").close()  # what a full disk leaves: an empty file
            return False
        return real(path, img, *args)

    monkeypatch.setattr(cv2, "imwrite", full_disk)
    out = tmp_path / "synth"
    assert main(["synth", "--kind", "words", "--count", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "3.png" in err and "could not write" in err and "Traceback" not in err
    assert sorted(p.name for p in (out / "images").iterdir()) == ["1.png", "2.png"]
