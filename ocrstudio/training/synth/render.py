"""Drawing text as masks and bending it into place, with polygons that follow the ink.

Text is drawn flat with PIL (fill and fill+stroke masks), then one warp moves it: an arc
(curved baseline, curvature 1/R) followed by a homography (scale, rotation, perspective,
translation). The same forward map moves each word's tight ink box, sampled densely enough
along curved edges that the chords stay within about half a pixel of the arcs, so the
polygons hold the ink. Masks are remapped with the inverse map in one cv2.remap call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont


@dataclass(frozen=True)
class FlatText:
    """Masks of a line of words drawn flat: channel 0 fill, channel 1 fill + stroke (border).

    `boxes` are the tight ink boxes (x0, y0, x1, y1) of each word in mask pixels, and
    `baseline` the y of the text baseline.
    """

    masks: np.ndarray  # H x W x 2 float32 in [0, 1]
    words: tuple[str, ...]
    boxes: tuple[tuple[float, float, float, float], ...]
    baseline: float


def draw_flat(
    words: list[str],
    font: ImageFont.FreeTypeFont,
    stroke: int = 0,
    letter_spacing: float = 0.0,
    word_gap: float = 1.0,
) -> FlatText:
    """Draw `words` on one line; returns masks and each word's tight ink box."""
    ascent, descent = font.getmetrics()
    space = font.getlength(" ") * word_gap
    pad = stroke + 4 + int(abs(letter_spacing))
    widths = [_word_width(w, font, letter_spacing) for w in words]
    width = int(math.ceil(sum(widths) + space * (len(words) - 1))) + 2 * pad
    height = ascent + descent + 2 * pad
    fill = Image.new("L", (width, height), 0)
    full = Image.new("L", (width, height), 0)
    boxes = []
    x = float(pad)
    for word, w in zip(words, widths, strict=True):
        word_full = Image.new("L", (width, height), 0)
        _draw_word(ImageDraw.Draw(fill), word, x, pad, font, 0, letter_spacing)
        _draw_word(ImageDraw.Draw(word_full), word, x, pad, font, stroke, letter_spacing)
        bbox = word_full.getbbox()
        if bbox is None:  # nothing visible (cannot happen for covered glyphs; be safe)
            bbox = (int(x), pad, int(x + max(w, 1)), pad + ascent)
        x0, y0, x1, y1 = (float(v) for v in bbox)
        boxes.append((x0, y0, x1, y1))
        full.paste(255, (0, 0), word_full)
        x += w + space
    masks = np.stack([np.asarray(fill), np.asarray(full)], -1).astype(np.float32) / 255.0
    return FlatText(masks, tuple(words), tuple(boxes), float(pad + ascent))


def _word_width(word: str, font: ImageFont.FreeTypeFont, spacing: float) -> float:
    if spacing == 0:
        return font.getlength(word)
    return sum(font.getlength(c) for c in word) + spacing * (len(word) - 1)


def _draw_word(
    draw: ImageDraw.ImageDraw,
    word: str,
    x: float,
    y: int,
    font: ImageFont.FreeTypeFont,
    stroke: int,
    spacing: float,
) -> None:
    if spacing == 0:
        draw.text((x, y), word, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
        return
    for ch in word:  # letter-spaced text loses kerning, as letter-spaced print does
        draw.text((x, y), ch, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
        x += font.getlength(ch) + spacing


@dataclass(frozen=True)
class Warp:
    """Arc of curvature `curvature` (1/pixels, 0 = straight) about the text's centre on the
    baseline, then the homography `h` (3x3) into the output."""

    curvature: float
    cx: float
    baseline: float
    h: np.ndarray

    def forward(self, pts: np.ndarray) -> np.ndarray:
        x, y = pts[:, 0].astype(np.float64), pts[:, 1].astype(np.float64)
        if abs(self.curvature) > 1e-6:
            r_arc = 1.0 / self.curvature
            theta = (x - self.cx) / r_arc
            r = r_arc - (y - self.baseline)
            x = self.cx + r * np.sin(theta)
            y = self.baseline + r_arc - r * np.cos(theta)
        q = np.stack([x, y, np.ones_like(x)], 0)
        out = self.h @ q
        return (out[:2] / out[2]).T

    def inverse_maps(self, out_w: int, out_h: int) -> tuple[np.ndarray, np.ndarray]:
        """For every output pixel, where to sample the flat masks (cv2.remap maps)."""
        yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float64)
        inv = np.linalg.inv(self.h)
        q = inv @ np.stack([xx.ravel(), yy.ravel(), np.ones(xx.size)], 0)
        u, v = q[0] / q[2], q[1] / q[2]
        if abs(self.curvature) > 1e-6:
            r_arc = 1.0 / self.curvature
            s = math.copysign(1.0, r_arc)
            px, py = u - self.cx, v - (self.baseline + r_arc)
            r = s * np.hypot(px, py)
            theta = np.arctan2(s * px, -s * py)
            u = self.cx + theta * r_arc
            v = self.baseline + r_arc - r
        return (
            u.reshape(out_h, out_w).astype(np.float32),
            v.reshape(out_h, out_w).astype(np.float32),
        )


def edge_samples(box: tuple[float, float, float, float], curvature: float) -> int:
    """Points per long edge so that a chord strays < ~0.5 px from the arc it replaces."""
    if abs(curvature) < 1e-6:
        return 2
    width = box[2] - box[0]
    radius = 1.0 / abs(curvature) + (box[3] - box[1])
    # sagitta = R (1 - cos(d/2)) ~ R d^2 / 8 <= 0.5  ->  d <= 2 / sqrt(R)
    step = 2.0 / math.sqrt(radius)
    return int(min(16, max(2, math.ceil(width / radius / step) + 1)))


def box_polygon(box: tuple[float, float, float, float], warp: Warp) -> np.ndarray:
    """The word box mapped to the output: top edge left to right, bottom edge back, so the
    points run clockwise from the top-left (ICDAR order)."""
    n = edge_samples(box, warp.curvature)
    x0, y0, x1, y1 = box
    xs = np.linspace(x0, x1, n)
    top = np.stack([xs, np.full(n, y0)], 1)
    bottom = np.stack([xs[::-1], np.full(n, y1)], 1)
    return warp.forward(np.concatenate([top, bottom]))


def homography(
    scale: float,
    angle_deg: float,
    persp: tuple[float, float],
    shear: float,
    centre: tuple[float, float],
) -> np.ndarray:
    """Scale, shear and rotate about `centre`, then a mild projective tilt."""
    cx, cy = centre
    t0 = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]], np.float64)
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    sh = np.array([[1, shear, 0], [0, 1, 0], [0, 0, 1]], np.float64)
    sc = np.diag([scale, scale, 1.0])
    p = np.array([[1, 0, 0], [0, 1, 0], [persp[0], persp[1], 1]], np.float64)
    return p @ rot @ sh @ sc @ t0


def place(
    flat: FlatText, warp_core: Warp, margin: tuple[float, float, float, float]
) -> tuple[Warp, int, int]:
    """Shift the warp so the ink lands inside an output of its own extent plus margins
    (left, top, right, bottom); returns the shifted warp and the output size."""
    ink = np.concatenate([box_polygon(b, warp_core) for b in flat.boxes])
    ml, mt, mr, mb = margin
    x0, y0 = ink.min(0)
    x1, y1 = ink.max(0)
    shift = np.array([[1, 0, ml - x0], [0, 1, mt - y0], [0, 0, 1]], np.float64)
    warp = Warp(warp_core.curvature, warp_core.cx, warp_core.baseline, shift @ warp_core.h)
    return warp, int(math.ceil(x1 - x0 + ml + mr)), int(math.ceil(y1 - y0 + mt + mb))


def warp_masks(flat: FlatText, warp: Warp, out_w: int, out_h: int) -> np.ndarray:
    mx, my = warp.inverse_maps(out_w, out_h)
    out = cv2.remap(
        flat.masks, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    return out.reshape(out_h, out_w, -1)
