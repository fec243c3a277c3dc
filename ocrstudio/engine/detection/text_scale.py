"""The detector's input scale picked from the text's size on the page (`TextScale`).

A DBNet reads words at the sizes it was trained on (ICDAR 2015 words are about 15-40
pixels high at 1280). A form scanned at 100 dpi has 8-12-pixel print: its shrunk text
kernels fall under the post-processing's minimum size and the words are never proposed;
letters 100+ pixels high are broken into pieces. So a first pass at the card's input size
measures the text (the median short side of the boxes it found, in input pixels), and a
page whose text lies outside [`small`, `large`] is read once more at the scale that brings
that median to `target`. Where both passes found a word, the pass at the smaller scale
wins (upscaled, a long word in a typewriter face breaks into pieces; downscaled, huge
letters come out as whole words instead of strokes); the other pass adds the words that
only it found (small print that the first pass never proposed).

Street photos keep their path: their text mostly lies in the range, so the first pass is
all they get (a photo with fewer than `min_boxes` boxes is never measured either), and
small print is read larger only on a page that is mostly paper (`paper_share`: bright and
unsaturated; a scanned form is 0.94 or more of it, an ICDAR 2015 photo at most 0.45): a
street photo full of small print stays as it was read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ocrstudio.core.types import Region

__all__ = ["TextScale", "box_heights", "merged", "paper_share", "rescale_for", "rescanned"]


@dataclass(frozen=True)
class TextScale:
    """When a page is read again at another scale. `small` / `large`: median text height
    (input pixels of the first pass) under / over which it is; `target`: the height the
    second pass brings the median to; `max_side`: the second pass's long side at most (a
    page is never upscaled past it); `min_boxes`: fewer first-pass boxes measure nothing;
    `paper`: the share of the page `paper_share` must find before small print is read
    larger."""

    small: float = 15.0
    target: float = 20.0
    large: float = 90.0
    max_side: int = 4096
    min_boxes: int = 8
    paper: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.small < self.target < self.large:
            raise ValueError("text scale needs 0 < small < target < large")
        if not 32 <= self.max_side <= 8192 or self.min_boxes < 1:
            raise ValueError("text scale needs max_side in 32..8192 and min_boxes >= 1")
        if not 0.0 <= self.paper <= 1.0:
            raise ValueError("text scale needs paper in 0..1")


def box_heights(regions: Sequence[Region]) -> np.ndarray:
    """Each region's short side (mean of the two opposite sides of its quad; a polygon's
    bounding quad's), in the regions' own pixels."""
    if not regions:
        return np.zeros(0, np.float32)
    quads = np.stack([_quad(r.polygon.as_array()) for r in regions])  # (N, 4, 2)
    sides = np.linalg.norm(quads - np.roll(quads, -1, axis=1), axis=2)  # (N, 4)
    return np.minimum(sides[:, 0] + sides[:, 2], sides[:, 1] + sides[:, 3]) / 2


def _quad(points: np.ndarray) -> np.ndarray:
    if len(points) == 4:
        return points.astype(np.float32)
    x0, y0 = points.min(0)
    x1, y1 = points.max(0)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def rescale_for(
    regions: Sequence[Region], input_scale: float, size: tuple[int, int], cfg: TextScale
) -> float | None:
    """The scale (input pixels per page pixel) to read the page at again, or None when the
    first pass at `input_scale` saw its text at a size the detector reads. `size`: the
    page's (height, width)."""
    if len(regions) < cfg.min_boxes:
        return None
    height = float(np.median(box_heights(regions))) * input_scale
    if cfg.small <= height <= cfg.large or height <= 0:
        return None
    scale = input_scale * cfg.target / height
    scale = min(scale, cfg.max_side / max(size))
    # a change of less than a quarter is not worth a second pass
    return scale if abs(scale / input_scale - 1.0) >= 0.25 else None


def merged(kept: Sequence[Region], extra: Sequence[Region], cover: float = 0.3) -> list[Region]:
    """`kept`, and each region of `extra` of which no region of `kept` covers more than
    `cover` of its bounding box (axis-aligned: cheap for hundreds)."""
    if not kept or not extra:
        return [*kept, *extra]
    a, b = _boxes(extra), _boxes(kept)
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    area = np.maximum((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]), 1e-6)
    free = (inter / area[:, None]).max(1) <= cover
    return [*kept, *(r for r, keep in zip(extra, free, strict=True) if keep)]


def paper_share(image: np.ndarray) -> float:
    """The share of the page that looks like paper: bright (value over 150) and unsaturated
    (saturation under 40), measured on a 256-pixel thumbnail."""
    h, w = image.shape[:2]
    k = 256 / max(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    thumb = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    if thumb.ndim == 2 or thumb.shape[2] == 1:
        return float((thumb > 150).mean())
    hsv = cv2.cvtColor(np.ascontiguousarray(thumb[..., :3]), cv2.COLOR_RGB2HSV)
    return float(((hsv[..., 1] < 40) & (hsv[..., 2] > 150)).mean())


def _boxes(regions: Sequence[Region]) -> np.ndarray:
    out = np.empty((len(regions), 4), np.float32)
    for i, r in enumerate(regions):
        pts = r.polygon.as_array()
        out[i, :2], out[i, 2:] = pts.min(0), pts.max(0)
    return out


def rescanned(
    images: Sequence[np.ndarray],
    found: list[list[Region]],
    input_scales: Sequence[float],
    run: Callable[[np.ndarray, float], list[Region]],
    cfg: TextScale,
) -> list[list[Region]]:
    """`found` with each page whose text size is out of range read again by `run(image,
    scale)` and merged (`merged`: the pass at the smaller scale kept); the other pages as
    they are."""
    out = []
    for image, regions, scale in zip(images, found, input_scales, strict=True):
        again = rescale_for(regions, scale, image.shape[:2], cfg)
        if again is None or (again > scale and paper_share(image) < cfg.paper):
            out.append(regions)
        elif again > scale:
            out.append(merged(regions, run(image, again)))
        else:
            out.append(merged(run(image, again), regions))
    return out
