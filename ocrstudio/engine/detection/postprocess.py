"""From a DBNet probability map to scored quads or polygons (numpy, cv2, pyclipper).

As in the DB reference (SegDetectorRepresenter): binarise P at 0.3, take contours, drop
ones whose short side is under `min_size`, score each by the mean probability inside the
contour (computed on its bounding-box crop only), drop scores under `box_thresh`,
expand the survivors by the unclip distance D' = A' x ratio / L' (ratio 1.5, round
joins), and map them back to original image coordinates.

`unclip="inverse"` (not in the reference) replaces the fixed ratio by the exact inverse of
the training shrink for a rectangle: with the kernel's area A' and perimeter L' it solves
D from D = A (1 - r^2) / L where A = A' + L' D + 4 D^2 and L = L' + 8 D, i.e.
4 (1 + r^2) D^2 + r^2 L' D - (1 - r^2) A' = 0. A ratio of 1.5 inverts the shrink of a
square but gives long words back at about 3/4 of their height.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from ocrstudio.engine.detection.targets import offset_polygon, polygon_area_perimeter


@dataclass(frozen=True)
class PostProcessConfig:
    thresh: float = 0.3
    box_thresh: float = 0.6
    unclip_ratio: float = 1.5
    unclip: Literal["ratio", "inverse"] = "ratio"
    shrink_ratio: float = 0.4  # the training shrink, for unclip="inverse"
    min_size: float = 3.0
    max_candidates: int = 1000
    output: Literal["quad", "polygon"] = "quad"
    polygon_epsilon: float = 0.002  # approxPolyDP tolerance, as a fraction of the perimeter


@dataclass(frozen=True, eq=False)
class Detection:
    """A detected region: points (K, 2) float32 in original image coordinates."""

    points: np.ndarray
    score: float


def unclip_distance(points: np.ndarray, cfg: PostProcessConfig) -> float:
    area, perimeter = polygon_area_perimeter(points)
    if perimeter <= 0:
        return 0.0
    if cfg.unclip == "ratio":
        return area * cfg.unclip_ratio / perimeter
    r2 = cfg.shrink_ratio**2
    a, b, c = 4.0 * (1.0 + r2), r2 * perimeter, -(1.0 - r2) * area
    return float((-b + np.sqrt(b * b - 4.0 * a * c)) / (2.0 * a))


def min_area_quad(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimum-area rectangle, clockwise from the top-left-most corner, and its short side."""
    rect = cv2.minAreaRect(points.astype(np.float32).reshape(-1, 1, 2))
    box = cv2.boxPoints(rect)
    start = int(np.argmin(box[:, 0] + box[:, 1]))
    box = box[[start, (start + 1) % 4, (start + 2) % 4, (start + 3) % 4]]
    (ax, ay), (bx, by) = box[1] - box[0], box[2] - box[1]
    if ax * by - ay * bx < 0:  # with y pointing down, clockwise turns have a positive cross
        box = np.concatenate([box[:1], box[:0:-1]])
    return box, float(min(rect[1]))


def contour_score(prob: np.ndarray, contour: np.ndarray) -> float:
    """Mean probability inside the contour, computed on its bounding-box crop."""
    x, y, w, h = cv2.boundingRect(contour)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [contour - np.array([x, y], dtype=contour.dtype)], 1)
    return float(cv2.mean(prob[y : y + h, x : x + w], mask=mask)[0])


def _region(contour: np.ndarray, cfg: PostProcessConfig) -> np.ndarray | None:
    """Expanded quad or polygon (map coordinates) of one contour, or None if too small."""
    pts = contour.reshape(-1, 2).astype(np.float64)
    if cfg.output == "polygon":
        eps = cfg.polygon_epsilon * cv2.arcLength(contour, True)
        pts = cv2.approxPolyDP(contour, eps, True).reshape(-1, 2).astype(np.float64)
        if len(pts) < 4:
            pts, _ = min_area_quad(pts if len(pts) >= 3 else contour.reshape(-1, 2))
            pts = pts.astype(np.float64)
    else:
        pts, _ = min_area_quad(pts)
        pts = pts.astype(np.float64)
    grown = offset_polygon(pts, unclip_distance(pts, cfg))
    if not grown:
        return None
    out = grown[0] if len(grown) == 1 else max(grown, key=lambda p: polygon_area_perimeter(p)[0])
    quad, short = min_area_quad(out)
    if short < cfg.min_size + 2:
        return None
    return quad if cfg.output == "quad" else out


def boxes_from_prob(
    prob: np.ndarray,
    dst_size: tuple[int, int],
    cfg: PostProcessConfig = PostProcessConfig(),
    valid_size: tuple[int, int] | None = None,
) -> list[Detection]:
    """Detections from one probability map (H, W) float in [0, 1].

    `valid_size` (h, w): the part of the map that covers the image (the rest is batch
    padding); `dst_size` (h, w): the original image size the results are scaled to.
    """
    vh, vw = valid_size or prob.shape[:2]
    prob = np.ascontiguousarray(prob[:vh, :vw], dtype=np.float32)
    bitmap = (prob > cfg.thresh).astype(np.uint8)
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    sx, sy = dst_size[1] / vw, dst_size[0] / vh
    dets: list[Detection] = []
    for contour in contours[: cfg.max_candidates]:
        if len(contour) < 3:
            continue
        (_, _), (rw, rh), _ = cv2.minAreaRect(contour)
        if min(rw, rh) < cfg.min_size:
            continue
        score = contour_score(prob, contour)
        if score < cfg.box_thresh:
            continue
        region = _region(contour, cfg)
        if region is None:
            continue
        pts = np.empty_like(region, dtype=np.float32)
        pts[:, 0] = np.clip(region[:, 0] * sx, 0, dst_size[1])
        pts[:, 1] = np.clip(region[:, 1] * sy, 0, dst_size[0])
        dets.append(Detection(pts, score))
    return dets
