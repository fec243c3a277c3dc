"""Word crops in the manner of MJSynth: one word, a random font, colour, border/shadow,
bent and tilted, on a procedural surface, then blurred, noised and JPEG-compressed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocrstudio.training.synth.backgrounds import background, list_photos
from ocrstudio.training.synth.common import FontPool, Geometry, sample_warp, seeded
from ocrstudio.training.synth.compose import composite, degrade, sample_style
from ocrstudio.training.synth.render import draw_flat, place, warp_masks
from ocrstudio.training.synth.vocab import DEFAULT_ALPHABET, random_text


@dataclass(frozen=True)
class WordSynthConfig:
    alphabet: str = DEFAULT_ALPHABET
    max_len: int = 25
    font_size: tuple[int, int] = (28, 64)  # drawing size before the crop is resized
    height: tuple[int, int] = (24, 64)  # final crop height range (pixels)
    geometry: Geometry = field(default_factory=Geometry)
    degrade: float = 1.0  # strength of blur/noise/JPEG (0 = clean)
    background_dir: str | None = None  # photos to crop surfaces from (optional)


@dataclass(frozen=True)
class WordSample:
    image: np.ndarray  # H x W x 3 uint8 RGB
    text: str


class WordSynth:
    """`synth[i]` is word crop i of the stream for `seed`; the same i gives the same image."""

    def __init__(
        self,
        config: WordSynthConfig = WordSynthConfig(),
        seed: int = 0,
        fonts: FontPool | None = None,
    ) -> None:
        self.config = config
        self.seed = seed
        self.fonts = fonts or FontPool()
        self.photos: tuple[Path, ...] = list_photos(config.background_dir)

    def __getitem__(self, index: int) -> WordSample:
        rng = seeded(self.seed, index)
        cfg = self.config
        for _ in range(10):
            text = random_text(rng, cfg.alphabet, cfg.max_len)
            size = int(rng.integers(cfg.font_size[0], cfg.font_size[1] + 1))
            font = self.fonts.pick(rng, text, size)
            if font is not None:
                return self._render(rng, text, font, size)
        raise RuntimeError(f"no installed font covers the alphabet {cfg.alphabet!r}")

    def _render(self, rng: np.random.Generator, text: str, font, size: int) -> WordSample:
        cfg = self.config
        stroke = int(rng.integers(1, max(2, size // 12) + 1)) if rng.random() < 0.2 else 0
        spacing = float(rng.uniform(-0.05, 0.25)) * size if rng.random() < 0.1 else 0.0
        flat = draw_flat([text], font, stroke, spacing)
        warp = sample_warp(rng, cfg.geometry, flat.masks.shape[1], flat.baseline)
        # MJSynth-like crops: a little surface around the ink, more at the ends.
        m = size * rng.uniform(0.0, 0.25, 4) * np.array([1.5, 1, 1.5, 1])
        left, top, right, bottom = (float(v) for v in m)
        warp, w, h = place(flat, warp, (left, top, right, bottom))
        masks = warp_masks(flat, warp, w, h)
        img = background(rng, h, w, self.photos)
        ink = masks[..., 1] > 0.5
        bg_mean = img[ink].mean(0) if ink.any() else img.reshape(-1, 3).mean(0)
        composite(img, masks, sample_style(rng, bg_mean, size))
        out = degrade(rng, img, cfg.degrade)
        target_h = int(rng.integers(cfg.height[0], cfg.height[1] + 1))
        return WordSample(_resize_height(out, target_h), text)

    def __len__(self) -> int:  # an endless stream; len is what a map-style dataset needs
        return 2**31 - 1


def _resize_height(img: np.ndarray, height: int) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    new_w = max(1, int(round(w * height / h)))
    interp = cv2.INTER_AREA if height < h else cv2.INTER_CUBIC
    return cv2.resize(img, (new_w, height), interpolation=interp)
