"""Whole pages of the kinds people photograph or scan: till receipts, forms, documents
and screenshots, each word labelled with the polygon of its box (and each printed run of
words as a line), deterministic per (kind, page seed).

A page is laid out flat (`page_receipt`, `page_docs`, `page_screens`), then captured:
a screenshot as it is, a form or document scanned (a small skew, grey, speckles, JPEG), a
receipt scanned or photographed on a surface (perspective, a slight curl). The capture
is one `render.Warp`, applied to the pixels and to every box, so labels follow the ink.

Page seeds: a training stream (`PageSynth`) draws its pages' seeds from
`PageSynthConfig.seeds`, [0, 900,000) by default, its validation stream from
[900,000, 1,000,000), and no stream may reach 1,000,000: `render_page(kind, seed)` with a
seed from `HELD_OUT` up is a page no model was trained or validated on (the benchmark's).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import cv2
import numpy as np

from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.training.synth.backgrounds import background, fractal_noise, list_photos
from ocrstudio.training.synth.common import seeded
from ocrstudio.training.synth.compose import degrade
from ocrstudio.training.synth.page_canvas import Canvas, PageFonts
from ocrstudio.training.synth.page_docs import document, form
from ocrstudio.training.synth.page_receipt import receipt
from ocrstudio.training.synth.page_screens import screenshot
from ocrstudio.training.synth.render import Warp, box_polygon, homography
from ocrstudio.training.synth.vocab import DEFAULT_ALPHABET

Rng = np.random.Generator
PageKind = Literal["receipt", "form", "document", "screenshot"]
PAGE_KINDS: tuple[PageKind, ...] = get_args(PageKind)
Level = Literal["words", "lines"]
HELD_OUT = 1_000_000  # page seeds from here up are never drawn by a stream
TRAIN_SEEDS = (0, 900_000)
VAL_SEEDS = (900_000, HELD_OUT)
_LAYOUTS: dict[str, Callable[[Rng, PageFonts, str], Canvas]] = {
    "receipt": receipt,
    "form": form,
    "document": document,
    "screenshot": screenshot,
}
_TAG = 0x9A6E  # keeps page generators apart from other streams seeded with the same ints


@dataclass(frozen=True)
class PageSynthConfig:
    kinds: tuple[PageKind, ...] = PAGE_KINDS
    weights: tuple[float, ...] | None = None  # per kind; None: equal
    alphabet: str = DEFAULT_ALPHABET
    level: Level = "words"  # what `PageSample.labels` holds
    seeds: tuple[int, int] = TRAIN_SEEDS  # the page seeds a stream draws from
    photo_prob: float = 0.6  # a receipt photographed on a surface (else scanned)
    min_legible: float = 6.0  # a word box lower than this (px) is "###"
    background_dir: str | None = None  # photos for the surfaces receipts lie on

    def __post_init__(self) -> None:
        if not self.kinds or any(k not in PAGE_KINDS for k in self.kinds):
            raise ValueError(f"page kinds are {PAGE_KINDS}, not {self.kinds}")
        if self.weights is not None and len(self.weights) != len(self.kinds):
            raise ValueError("one weight per page kind")
        lo, hi = self.seeds
        if not 0 <= lo < hi <= HELD_OUT:
            raise ValueError(f"page seeds {self.seeds}: a stream draws within [0, {HELD_OUT})")


@dataclass(frozen=True)
class PageSample:
    image: np.ndarray  # H x W x 3 uint8 RGB
    words: PageLabels  # one region per word
    lines: PageLabels  # one region per printed run of words (its text: the words, spaced)
    kind: str
    seed: int  # the page seed: render_page(kind, seed) draws this page again
    level: Level = "words"

    @property
    def labels(self) -> PageLabels:
        return self.lines if self.level == "lines" else self.words


class PageSynth:
    """`synth[i]` is page i of the stream for `seed`: a kind drawn by weight and a page
    seed drawn from `config.seeds`, both from (seed, i) alone."""

    def __init__(
        self,
        config: PageSynthConfig = PageSynthConfig(),
        seed: int = 0,
        fonts: PageFonts | None = None,
    ) -> None:
        self.config = config
        self.seed = seed
        self.fonts = fonts or _fonts()
        self.photos: tuple[Path, ...] = list_photos(config.background_dir)
        w = np.asarray(config.weights or [1.0] * len(config.kinds), np.float64)
        self.p = w / w.sum()

    def __len__(self) -> int:
        return 2**31 - 1

    def __getitem__(self, index: int) -> PageSample:
        return self.sample(index)

    def sample(self, index: int) -> PageSample:
        return self.render(index)[0]

    def draw(self, index: int) -> tuple[PageKind, int]:
        """The kind and page seed of page `index` (nothing rendered)."""
        rng = seeded(self.seed, index)
        kind = self.config.kinds[int(rng.choice(len(self.config.kinds), p=self.p))]
        return kind, int(rng.integers(*self.config.seeds))

    def render(self, index: int) -> tuple[PageSample, np.ndarray]:
        """Page `index` and the mask of its text ink."""
        return self.page(*self.draw(index))

    def page(self, kind: str, page_seed: int) -> tuple[PageSample, np.ndarray]:
        """The page of `kind` for `page_seed` (any seed; streams keep to theirs)."""
        if kind not in _LAYOUTS:
            raise ValueError(f"unknown page kind {kind!r}: one of {PAGE_KINDS}")
        cfg = self.config
        key = [int(page_seed) & 0xFFFFFFFF, list(_LAYOUTS).index(kind), _TAG]
        rng = np.random.default_rng(key)
        cv = _LAYOUTS[kind](rng, self.fonts, cfg.alphabet)
        image, ink, warp = _capture(kind, rng, cv, cfg, self.photos)
        name = f"{kind}_{page_seed}.png"
        h, w = image.shape[:2]
        words, lines = _labels(cv, warp, (w, h), cfg.min_legible)
        return (
            PageSample(
                image,
                PageLabels(name, tuple(words), width=w, height=h),
                PageLabels(name, tuple(lines), width=w, height=h),
                kind,
                int(page_seed),
                cfg.level,
            ),
            ink,
        )


@functools.cache
def _fonts() -> PageFonts:
    return PageFonts()


@functools.cache
def _default_synth() -> PageSynth:
    return PageSynth()


def render_page(kind: str, seed: int, *, level: Level = "words") -> tuple[np.ndarray, PageLabels]:
    """The `kind` page ("receipt", "form", "document", "screenshot") of page seed `seed`:
    RGB uint8 image and its labels, one region per word (per line with `level="lines"`).
    Seeds from `HELD_OUT` (1,000,000) up are never drawn by a training or validation
    stream."""
    sample, _ = _default_synth().page(kind, seed)
    return sample.image, sample.lines if level == "lines" else sample.words


# -- capture: the flat page scanned, photographed or kept as it is ------------------------


def _capture(
    kind: str, rng: Rng, cv: Canvas, cfg: PageSynthConfig, photos: Sequence[Path]
) -> tuple[np.ndarray, np.ndarray, Warp]:
    """The final image, its text-ink mask and the warp from the flat page into it."""
    if kind == "screenshot":  # pixels as the screen drew them: no noise, no warp
        return np.clip(cv.img, 0, 255).astype(np.uint8), cv.ink > 0.5, _identity()
    if kind == "receipt" and rng.random() < cfg.photo_prob:
        return _photograph(rng, cv, photos)
    return _scan(rng, cv, grey=kind != "receipt" or rng.random() < 0.5)


def _identity() -> Warp:
    return Warp(0.0, 0.0, 0.0, np.eye(3))


def _remap(warp: Warp, w: int, h: int, layers: list[np.ndarray], fill: list) -> list[np.ndarray]:
    mx, my = warp.inverse_maps(w, h)
    return [
        cv2.remap(a, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=f)
        for a, f in zip(layers, fill, strict=True)
    ]


def _scan(rng: Rng, cv: Canvas, grey: bool) -> tuple[np.ndarray, np.ndarray, Warp]:
    """A flatbed scan: the page turned a degree or two (shrunk to stay whole), grey,
    speckled, a little blurred and JPEG-compressed."""
    w, h = cv.w, cv.h
    angle = float(rng.uniform(-1.5, 1.5)) if rng.random() < 0.7 else 0.0
    a = np.radians(abs(angle))
    s = min(w / (w * np.cos(a) + h * np.sin(a)), h / (w * np.sin(a) + h * np.cos(a)))
    hm = homography(s, angle, (0.0, 0.0), 0.0, (w / 2, h / 2))
    warp = Warp(0.0, 0.0, 0.0, np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1.0]]) @ hm)
    edge = float(rng.uniform(200, 255)) if rng.random() < 0.8 else float(rng.uniform(20, 80))
    img, ink = _remap(warp, w, h, [cv.img, cv.ink], [(edge, edge, edge), 0])
    if grey:
        img = np.repeat(img @ np.array([0.299, 0.587, 0.114], np.float32), 3).reshape(h, w, 3)
    if rng.random() < 0.4:  # toner specks and dust
        n = int(w * h * rng.uniform(1e-5, 2e-4))
        ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
        img[ys, xs] = rng.uniform(0, 90, (n, 1))
    img = degrade(rng, img, 0.35)
    return img, ink > 0.5, warp


def _photograph(
    rng: Rng, cv: Canvas, photos: Sequence[Path]
) -> tuple[np.ndarray, np.ndarray, Warp]:
    """The paper lying on a surface, seen from a little off-axis: perspective, a turn, a
    slight curl along its length, uneven light, then the camera's degradations."""
    w, h = cv.w, cv.h
    # the arc fans a tall sheet (its width grows with the distance from the arc's middle):
    # kept to a few degrees over the width, a gentle curl
    curl = float(rng.uniform(-0.05, 0.05)) / w if rng.random() < 0.4 else 0.0
    persp = (float(rng.uniform(-1.5e-4, 1.5e-4)), float(rng.uniform(-1.5e-4, 1.5e-4)))
    margins = rng.uniform(0.02, 0.2, 4)
    # the photo stays at most ~1300 px tall, the print no smaller than ~0.75 of its size
    scale = min(float(rng.uniform(0.85, 1.0)), max(0.75, 1300 / (h * (1 + margins[1::2].sum()))))
    hm = homography(scale, float(rng.uniform(-5, 5)), persp, 0.0, (w / 2, h / 2))
    core = Warp(curl, w / 2, h / 2, hm)
    t = np.linspace(0, 1, 25)
    outline = np.concatenate([
        np.stack([t * w, 0 * t], 1), np.stack([w + 0 * t, t * h], 1),
        np.stack([t * w, h + 0 * t], 1), np.stack([0 * t, t * h], 1),
    ])  # fmt: skip
    pts = core.forward(outline)
    lo, hi = pts.min(0), pts.max(0)
    m = margins * np.array([hi[0] - lo[0], hi[1] - lo[1]] * 2) + 2
    shift = np.array([[1, 0, m[0] - lo[0]], [0, 1, m[1] - lo[1]], [0, 0, 1.0]])
    warp = Warp(curl, w / 2, h / 2, shift @ hm)
    ow, oh = int(np.ceil(hi[0] - lo[0] + m[0] + m[2])), int(np.ceil(hi[1] - lo[1] + m[1] + m[3]))
    sheet = np.ones((h, w), np.float32)
    img, ink, mask = _remap(warp, ow, oh, [cv.img, cv.ink, sheet], [(0, 0, 0), 0, 0])
    bg = background(rng, oh, ow, photos)
    if rng.random() < 0.6:  # the paper's soft shadow on the surface
        k = int(max(3, min(ow, oh) // 30)) | 1
        sh = cv2.GaussianBlur(np.roll(mask, (int(k // 2), int(k // 3)), (0, 1)), (k, k), 0)
        bg *= 1 - 0.5 * sh[..., None]
    out = bg * (1 - mask[..., None]) + img * mask[..., None]
    if rng.random() < 0.6:  # uneven light across the photo
        out *= 0.75 + 0.4 * fractal_noise(rng, oh, ow, 2, 2)[..., None]
    return degrade(rng, out, 0.5), ink > 0.5, warp


# -- labels ------------------------------------------------------------------------------


def _labels(
    cv: Canvas, warp: Warp, size: tuple[int, int], min_legible: float
) -> tuple[list[Region], list[Region]]:
    """Word regions and line regions (a run's words joined by spaces, its boxes' union),
    in drawing order, through `warp`."""
    words = [_region(w.box, w.text, warp, size, min_legible) for w in cv.words]
    runs: dict[int, list] = {}
    for w in cv.words:
        runs.setdefault(w.line, []).append(w)
    lines = []
    for run in runs.values():
        boxes = np.array([w.box for w in run])
        box = (*boxes[:, :2].min(0), *boxes[:, 2:].max(0))
        text = " ".join(w.text for w in run)
        lines.append(_region(tuple(float(v) for v in box), text, warp, size, min_legible))
    return (
        [r.with_(order=i) for i, r in enumerate(words)],
        [r.with_(order=i) for i, r in enumerate(lines)],
    )


def _region(
    box: tuple[float, ...], text: str, warp: Warp, size: tuple[int, int], min_legible: float
) -> Region:
    pts = box_polygon(box, warp)  # type: ignore[arg-type]
    pts = np.clip(pts, 0, [size[0] - 1, size[1] - 1])
    # legible by its height (top edge to bottom edge), not its shorter side: "1" and "I"
    # are narrow but as readable as any word of their line
    n = len(pts) // 2
    height = float(np.linalg.norm(pts[:n].mean(0) - pts[n:].mean(0)))
    ignore = height < min_legible
    return Region(Polygon.from_array(np.round(pts, 2)), "###" if ignore else text, ignore=ignore)


__all__ = [
    "HELD_OUT",
    "PAGE_KINDS",
    "PageKind",
    "PageSample",
    "PageSynth",
    "PageSynthConfig",
    "TRAIN_SEEDS",
    "VAL_SEEDS",
    "render_page",
]
