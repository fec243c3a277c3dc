"""DBNet training targets from text polygons (numpy, cv2, pyclipper; no torch).

- shrink map: each legible polygon shrunk by Vatti clipping (pyclipper offset) with
  D = A (1 - r^2) / L, r = 0.4 (A area, L perimeter), filled with 1;
- shrink mask: 1 everywhere except ignored polygons (`###`, smaller than `min_text_size`
  on their short side, zero area, or nothing left after shrinking), which are 0;
- threshold map: the polygon dilated by the same D; inside it, 1 - distance to the
  nearest polygon edge / D, clipped to [0, 1], rescaled to [thresh_min, thresh_max]
  (0.3 .. 0.7) and thresh_min elsewhere; threshold mask: the dilated polygons.

Coordinates are pixel coordinates of the map (pixel centres at integers), as in the DB
reference. Work is vectorised over pixels; Python loops only over polygons and edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import pyclipper

# pyclipper works on integers: coordinates are scaled up for sub-pixel precision.
_CLIP_SCALE = 64.0


@dataclass(frozen=True)
class TargetConfig:
    shrink_ratio: float = 0.4
    thresh_min: float = 0.3
    thresh_max: float = 0.7
    min_text_size: float = 8.0  # pixels on the polygon's short side, after any resizing


@dataclass(eq=False)
class DBTargets:
    """Float32 (H, W) maps and, per input polygon, whether it ended up ignored."""

    shrink_map: np.ndarray
    shrink_mask: np.ndarray
    thresh_map: np.ndarray
    thresh_mask: np.ndarray
    ignored: np.ndarray

    def maps(self) -> dict[str, np.ndarray]:
        return {
            "shrink_map": self.shrink_map,
            "shrink_mask": self.shrink_mask,
            "thresh_map": self.thresh_map,
            "thresh_mask": self.thresh_mask,
        }


def polygon_area_perimeter(points: np.ndarray) -> tuple[float, float]:
    """Unsigned area and perimeter of a closed polygon."""
    contour = points.astype(np.float32).reshape(-1, 1, 2)
    return abs(float(cv2.contourArea(contour))), float(cv2.arcLength(contour, True))


def offset_polygon(points: np.ndarray, distance: float) -> list[np.ndarray]:
    """Vatti offset (round joins): grow by `distance` > 0, shrink by < 0; may split or
    vanish, so a list of polygons comes back."""
    pco = pyclipper.PyclipperOffset()
    pco.ArcTolerance = 0.25 * _CLIP_SCALE  # a quarter pixel, as unscaled clipper's default
    path = np.round(points * _CLIP_SCALE).astype(np.int64).tolist()
    pco.AddPath(path, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    result = pco.Execute(distance * _CLIP_SCALE)
    return [np.asarray(p, dtype=np.float64) / _CLIP_SCALE for p in result if len(p) >= 3]


def shrink_distance(points: np.ndarray, ratio: float) -> float:
    area, perimeter = polygon_area_perimeter(points)
    return area * (1.0 - ratio * ratio) / perimeter if perimeter > 0 else 0.0


def _fill(canvas: np.ndarray, polys: Sequence[np.ndarray], value: float) -> None:
    # shift=4: cv2 takes fixed-point coordinates, so fills keep sub-pixel positions.
    pts = [np.round(p * 16).astype(np.int32).reshape(-1, 1, 2) for p in polys]
    cv2.fillPoly(canvas, pts, value, lineType=cv2.LINE_8, shift=4)


def _edge_distance(
    points: np.ndarray, x0: int, y0: int, w: int, h: int, limit: float
) -> np.ndarray:
    """min(limit, distance to the nearest polygon edge) for the pixels of the window
    (x0, y0, w, h). Each edge only visits the pixels within `limit` of its bounding box:
    farther ones cannot get below the limit through it."""
    best = np.full((h, w), limit * limit, dtype=np.float32)
    pts = points.astype(np.float32)
    for a, b in zip(pts, np.concatenate([pts[1:], pts[:1]]), strict=True):
        d = b - a
        length2 = float(d @ d)
        lo = np.floor(np.minimum(a, b) - limit).astype(int) - (x0, y0)
        hi = np.ceil(np.maximum(a, b) + limit).astype(int) - (x0, y0) + 1
        (cx0, cy0), (cx1, cy1) = np.maximum(lo, 0), np.minimum(hi, (w, h))
        if length2 < 1e-12 or cx1 <= cx0 or cy1 <= cy0:
            continue
        dx = (np.arange(x0 + cx0, x0 + cx1, dtype=np.float32) - a[0])[None, :]
        dy = (np.arange(y0 + cy0, y0 + cy1, dtype=np.float32) - a[1])[:, None]
        # t: the foot of the perpendicular along the edge, clamped to the segment
        t = dx * (d[0] / length2) + dy * (d[1] / length2)
        np.clip(t, 0.0, 1.0, out=t)
        ex = dx - t * d[0]
        t *= -d[1]
        t += dy
        np.square(t, out=t)
        np.square(ex, out=ex)
        ex += t
        view = best[cy0:cy1, cx0:cx1]
        np.minimum(view, ex, out=view)
    return np.sqrt(best, out=best)


def _draw_border(points: np.ndarray, distance: float, canvas: np.ndarray, mask: np.ndarray) -> None:
    grown = offset_polygon(points, distance)
    if not grown:
        return
    _fill(mask, grown, 1.0)
    allp = np.concatenate(grown)
    h, w = canvas.shape
    x0, y0 = max(0, int(np.floor(allp[:, 0].min()))), max(0, int(np.floor(allp[:, 1].min())))
    x1 = min(w - 1, int(np.ceil(allp[:, 0].max())))
    y1 = min(h - 1, int(np.ceil(allp[:, 1].max())))
    if x1 < x0 or y1 < y0:
        return
    dist = _edge_distance(points, x0, y0, x1 - x0 + 1, y1 - y0 + 1, distance)
    value = 1.0 - dist / np.float32(distance)
    window = canvas[y0 : y1 + 1, x0 : x1 + 1]
    np.maximum(window, value, out=window)


def short_side(points: np.ndarray) -> float:
    """The shorter side of the polygon's minimum-area rectangle."""
    (_, _), (rw, rh), _ = cv2.minAreaRect(points.astype(np.float32))
    return float(min(rw, rh))


def make_targets(
    polygons: Sequence[np.ndarray],
    ignore: Sequence[bool],
    height: int,
    width: int,
    config: TargetConfig = TargetConfig(),
) -> DBTargets:
    """Target maps for one (already resized/augmented) image of `height` x `width`.

    `polygons`: (K, 2) arrays of x, y; `ignore`: the `###` flags, one per polygon.
    """
    if len(polygons) != len(ignore):
        raise ValueError(f"{len(polygons)} polygons but {len(ignore)} ignore flags")
    # One block for all four maps: separate fresh arrays cost page faults galore (~7 ms).
    block = np.empty((4, height, width), np.float32)
    shrink_map, shrink_mask, border, thresh_mask = block
    block.fill(0.0)
    shrink_mask.fill(1.0)
    ignored = np.zeros(len(polygons), dtype=bool)
    for i, raw in enumerate(polygons):
        pts = np.asarray(raw, dtype=np.float64).reshape(-1, 2)
        pts = np.clip(pts, 0, [width - 1, height - 1])
        shrunk: list[np.ndarray] = []
        distance = 0.0
        usable = (
            not ignore[i]
            and len(pts) >= 3
            and polygon_area_perimeter(pts)[0] >= 1.0
            and short_side(pts) >= config.min_text_size
        )
        if usable:
            distance = shrink_distance(pts, config.shrink_ratio)
            shrunk = offset_polygon(pts, -distance)
        if not shrunk:  # ignored, tiny, degenerate, or nothing left after shrinking
            ignored[i] = True
            if len(pts) >= 3:
                _fill(shrink_mask, [pts], 0.0)
            continue
        _fill(shrink_map, shrunk, 1.0)
        _draw_border(pts, distance, border, thresh_mask)
    # in place: numpy's temporary elision of `a * x + y` is slow on big arrays here
    border *= np.float32(config.thresh_max - config.thresh_min)
    border += np.float32(config.thresh_min)
    return DBTargets(shrink_map, shrink_mask, border, thresh_mask, ignored)
