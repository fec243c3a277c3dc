"""Full scenes in the manner of SynthText: words and short lines placed on a surface, each
word labelled with the polygon of its ink; rotated, curved and tilted text, text on
panels (signs), and distractor shapes that are not text."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.training.synth.backgrounds import background, list_photos, random_colour
from ocrstudio.training.synth.common import (
    FontPool,
    Geometry,
    clamp_size,
    sample_warp,
    seeded,
)
from ocrstudio.training.synth.compose import composite, contrasting_colour, degrade, sample_style
from ocrstudio.training.synth.render import (
    FlatText,
    Warp,
    box_polygon,
    draw_flat,
    place,
    warp_masks,
)
from ocrstudio.training.synth.vocab import DEFAULT_ALPHABET, random_line

Rng = np.random.Generator


@dataclass(frozen=True)
class SceneSynthConfig:
    alphabet: str = DEFAULT_ALPHABET
    size: tuple[int, int] = (480, 960)  # the long side of the image (pixels)
    aspect: tuple[float, float] = (0.5, 1.0)  # short side / long side
    instances: tuple[int, int] = (3, 14)  # words or lines attempted per scene
    line_prob: float = 0.35  # chance an instance is a line of 2-4 words
    text_height: tuple[float, float] = (0.025, 0.12)  # font size / short side
    geometry: Geometry = field(
        default_factory=lambda: Geometry(
            max_angle=25.0, max_persp=0.0012, max_shear=0.3, curve_prob=0.2, max_bend=1.6
        )
    )
    panel_prob: float = 0.25
    distractors: tuple[int, int] = (2, 10)
    min_legible: float = 8.0  # a word shorter than this (px) is '###'
    degrade: float = 0.6
    background_dir: str | None = None


@dataclass(frozen=True)
class SceneSample:
    image: np.ndarray  # H x W x 3 uint8 RGB
    labels: PageLabels


class SceneSynth:
    """`synth[i]` is scene i of the stream for `seed`; the same i gives the same scene."""

    def __init__(
        self,
        config: SceneSynthConfig = SceneSynthConfig(),
        seed: int = 0,
        fonts: FontPool | None = None,
    ) -> None:
        self.config = config
        self.seed = seed
        self.fonts = fonts or FontPool()
        self.photos: tuple[Path, ...] = list_photos(config.background_dir)

    def __len__(self) -> int:
        return 2**31 - 1

    def __getitem__(self, index: int) -> SceneSample:
        return self.render(index)[0]

    def render(self, index: int) -> tuple[SceneSample, np.ndarray]:
        """Scene `index` and the mask of its text ink (what the polygons must hold)."""
        cfg = self.config
        rng = seeded(self.seed, index)
        long_side = int(rng.integers(cfg.size[0], cfg.size[1] + 1))
        short = int(long_side * rng.uniform(*cfg.aspect))
        w, h = (long_side, short) if rng.random() < 0.6 else (short, long_side)
        img = background(rng, h, w, self.photos)
        _distractors(rng, img, int(rng.integers(cfg.distractors[0], cfg.distractors[1] + 1)))
        occupied = np.zeros((h, w), np.uint8)
        ink = np.zeros((h, w), bool)
        regions: list[Region] = []
        for _ in range(int(rng.integers(cfg.instances[0], cfg.instances[1] + 1))):
            regions.extend(self._instance(rng, img, occupied, ink))
        out = degrade(rng, img, cfg.degrade)
        labels = PageLabels(
            f"synth_{self.seed}_{index}.png",
            tuple(r.with_(order=i) for i, r in enumerate(regions)),
            width=w,
            height=h,
        )
        return SceneSample(out, labels), ink

    def _instance(
        self, rng: Rng, img: np.ndarray, occupied: np.ndarray, ink: np.ndarray
    ) -> list[Region]:
        cfg = self.config
        short = min(img.shape[:2])
        n_words = int(rng.integers(2, 5)) if rng.random() < cfg.line_prob else 1
        words = random_line(rng, n_words, cfg.alphabet)
        size = clamp_size(short * rng.uniform(*cfg.text_height))
        font = self.fonts.pick(rng, "".join(words), size)
        if font is None:
            return []
        stroke = int(rng.integers(1, max(2, size // 12) + 1)) if rng.random() < 0.15 else 0
        flat = draw_flat(words, font, stroke)
        warp, bw, bh = place(
            flat, sample_warp(rng, cfg.geometry, flat.masks.shape[1], flat.baseline), (2, 2, 2, 2)
        )
        H, W = occupied.shape
        if bw >= W - 4 or bh >= H - 4:
            return []
        for _ in range(6):  # a few tries to find free space, as SynthText does
            x, y = int(rng.integers(0, W - bw)), int(rng.integers(0, H - bh))
            polys = _word_polygons(flat, warp, x, y)
            if not _overlaps(occupied, polys):
                break
        else:
            return []
        masks = self._paint(rng, img, occupied, flat, warp, (x, y, bw, bh), polys, size)
        ink[y : y + bh, x : x + bw] |= masks[..., 1] > 0.5
        for p in polys:
            cv2.fillPoly(occupied, [np.round(p).astype(np.int32)], 1)
            cv2.polylines(
                occupied, [np.round(p).astype(np.int32)], True, 1, thickness=max(2, size // 4)
            )
        return [
            _region(p, word, cfg.min_legible) for p, word in zip(polys, flat.words, strict=True)
        ]

    def _paint(
        self,
        rng: Rng,
        img: np.ndarray,
        occupied: np.ndarray,
        flat: FlatText,
        warp: Warp,
        box: tuple[int, int, int, int],
        polys: list[np.ndarray],
        size: int,
    ) -> np.ndarray:
        x, y, bw, bh = box
        window = img[y : y + bh, x : x + bw]
        if rng.random() < self.config.panel_prob:  # a sign: a plain quad behind the text
            rect = cv2.boxPoints(cv2.minAreaRect(np.concatenate(polys).astype(np.float32)))
            centre = rect.mean(0)
            rect = centre + (rect - centre) * rng.uniform(1.05, 1.3)
            if not _overlaps(occupied, [rect]):  # a panel never hides earlier words
                cv2.fillPoly(img, [np.round(rect).astype(np.int32)], random_colour(rng).tolist())
        masks = warp_masks(flat, warp, bw, bh)
        ink = masks[..., 1] > 0.5
        bg_mean = window[ink].mean(0) if ink.any() else window.reshape(-1, 3).mean(0)
        composite(window, masks, sample_style(rng, bg_mean, size))
        return masks


def _word_polygons(flat: FlatText, warp: Warp, x: int, y: int) -> list[np.ndarray]:
    return [box_polygon(b, warp) + np.array([x, y]) for b in flat.boxes]


def _overlaps(occupied: np.ndarray, polys: list[np.ndarray]) -> bool:
    probe = np.zeros_like(occupied)
    for p in polys:
        cv2.fillPoly(probe, [np.round(p).astype(np.int32)], 1)
    return bool((probe & occupied).any())


def _region(pts: np.ndarray, text: str, min_legible: float) -> Region:
    short_side = min(cv2.minAreaRect(pts.astype(np.float32))[1])
    ignore = short_side < min_legible
    # two decimals: label files stay readable, and 0.01 px is far below labelling noise
    return Region(Polygon.from_array(np.round(pts, 2)), "###" if ignore else text, ignore=ignore)


def _distractors(rng: Rng, img: np.ndarray, n: int) -> None:
    """Shapes that are not text: lines, boxes, discs, polylines (edges, poles, logos)."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    for _ in range(n):
        mask[:] = 0
        kind = int(rng.integers(0, 4))
        t = int(rng.integers(1, max(2, min(h, w) // 40)))
        p = rng.integers(0, [w, h], (4, 2)).astype(np.int32)
        a, b = (int(p[0, 0]), int(p[0, 1])), (int(p[1, 0]), int(p[1, 1]))
        if kind == 0:
            cv2.line(mask, a, b, 1, t)
        elif kind == 1:
            cv2.rectangle(mask, a, b, 1, -1 if rng.random() < 0.5 else t)
        elif kind == 2:
            cv2.circle(
                mask,
                a,
                int(rng.integers(3, max(4, min(h, w) // 6))),
                1,
                -1 if rng.random() < 0.5 else t,
            )
        else:
            cv2.polylines(mask, [p], bool(rng.random() < 0.5), 1, t)
        alpha = float(rng.uniform(0.3, 1.0))
        on = mask.astype(bool)
        img[on] = img[on] * (1 - alpha) + random_colour(rng) * alpha


__all__ = ["SceneSample", "SceneSynth", "SceneSynthConfig", "contrasting_colour"]
