"""Choices shared by word crops and scenes: which font, what text, how the text is bent."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import ImageFont

from ocrstudio.training.synth.fonts import FontFile, discover_fonts, has_glyphs, load_font
from ocrstudio.training.synth.render import Warp, homography

Rng = np.random.Generator


@dataclass(frozen=True)
class Geometry:
    """How far text is bent: rotation (degrees, +-), perspective tilt (per pixel), shear,
    and the chance and strength of a curved baseline (fraction of the text width bent)."""

    max_angle: float = 5.0
    max_persp: float = 0.0008
    max_shear: float = 0.2
    curve_prob: float = 0.15
    max_bend: float = 0.8  # radians over the whole text


class FontPool:
    """The fonts, grouped by family so families with many files do not dominate."""

    def __init__(self, fonts: tuple[FontFile, ...] | None = None) -> None:
        fonts = discover_fonts() if fonts is None else fonts
        if not fonts:
            raise RuntimeError(
                "no fonts found: install the fontpkg-* dependencies "
                "(pip install -e .) or system fonts"
            )
        by_family: dict[str, list[FontFile]] = {}
        for f in fonts:
            by_family.setdefault(f.family, []).append(f)
        self.families = sorted(by_family)
        self.by_family = by_family

    def pick(self, rng: Rng, text: str, size: int) -> ImageFont.FreeTypeFont | None:
        """A font at `size` px that has every character of `text` (None if no font has)."""
        order = rng.permutation(len(self.families))
        for i in order[:8]:
            files = self.by_family[self.families[int(i)]]
            f = files[int(rng.integers(0, len(files)))]
            if has_glyphs(f.path, text):
                weight = int(rng.integers(3, 9)) * 100 if f.variable else None
                return load_font(f.path, size, weight)
        return None


def sample_warp(
    rng: Rng, geo: Geometry, flat_w: float, baseline: float, scale: float = 1.0
) -> Warp:
    """A random bend + tilt for flat text `flat_w` wide (centre at its middle)."""
    curvature = 0.0
    if rng.random() < geo.curve_prob and flat_w > 0:
        bend = float(rng.uniform(0.2, 1.0)) * geo.max_bend * float(rng.choice([-1.0, 1.0]))
        curvature = bend / flat_w
    angle = float(rng.uniform(-geo.max_angle, geo.max_angle))
    persp = (
        float(rng.uniform(-geo.max_persp, geo.max_persp)),
        float(rng.uniform(-geo.max_persp, geo.max_persp)),
    )
    shear = float(rng.uniform(-geo.max_shear, geo.max_shear)) if rng.random() < 0.3 else 0.0
    h = homography(scale, angle, persp, shear, (flat_w / 2, baseline))
    return Warp(curvature, flat_w / 2, baseline, h)


def seeded(seed: int, index: int) -> Rng:
    """The generator of sample `index`: samples are independent, so any one can be made
    alone (a dataset item, a DataLoader worker) and is the same every time."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int(index)])


def clamp_size(size: float) -> int:
    return int(max(8, min(200, math.floor(size))))
