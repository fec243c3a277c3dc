"""Post-processing recovers the polygons drawn into synthetic probability maps."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocrstudio.core.geometry import polygon_iou
from ocrstudio.engine.detection.postprocess import (
    PostProcessConfig,
    boxes_from_prob,
    min_area_quad,
)
from ocrstudio.engine.detection.targets import make_targets

H, W = 360, 640


def _arc_band() -> np.ndarray:
    """A curved text band (Total-Text style): 12 points on each side of an arc."""
    th = np.linspace(np.pi * 1.1, np.pi * 1.9, 12)
    outer = np.stack([320 + 200 * np.cos(th), 420 + 200 * np.sin(th)], 1)
    inner = np.stack([320 + 150 * np.cos(th[::-1]), 420 + 150 * np.sin(th[::-1])], 1)
    return np.concatenate([outer, inner])


QUADS = [
    np.array([[50, 50], [250, 50], [250, 90], [50, 90]], float),
    cv2.boxPoints(((420, 220), (220, 50), -15)).astype(float),
    np.array([[80, 250], [150, 250], [150, 320], [80, 320]], float),
]


def _kernel_map(polys: list[np.ndarray]) -> np.ndarray:
    """What a well-trained DBNet outputs: high probability on the shrunk kernels."""
    t = make_targets(polys, [False] * len(polys), H, W)
    return t.shrink_map * 0.9 + 0.05


def _best_iou(gt: np.ndarray, dets: list) -> float:
    return max(polygon_iou(gt, d.points) for d in dets)


def test_quads_recovered_in_original_coordinates() -> None:
    cfg = PostProcessConfig(unclip="inverse")
    dets = boxes_from_prob(_kernel_map(QUADS), (H * 2, W * 2), cfg)  # image twice the map
    assert len(dets) == len(QUADS)
    for q in QUADS:
        assert _best_iou(q * 2, dets) > 0.9
    for d in dets:
        assert d.points.shape == (4, 2) and d.score == pytest.approx(0.95, abs=1e-3)
        (ax, ay), (bx, by) = d.points[1] - d.points[0], d.points[2] - d.points[1]
        assert ax * by - ay * bx > 0  # clockwise on screen (y down)


def test_curved_polygon_recovered() -> None:
    band = _arc_band()
    cfg = PostProcessConfig(unclip="inverse", output="polygon")
    dets = boxes_from_prob(_kernel_map([band]), (H, W), cfg)
    assert len(dets) == 1
    assert len(dets[0].points) > 8  # a polygon that follows the curve, not a quad
    assert _best_iou(band, dets) > 0.9
    # the min-area quad of the same band is a poor fit: the polygon output matters
    quad, _ = min_area_quad(band)
    assert polygon_iou(band, quad) < 0.8


def test_published_unclip_ratio_recovers_square_text() -> None:
    # unclip 1.5 inverts the r = 0.4 shrink of a square (and only roughly of long words)
    square = np.array([[300, 100], [380, 100], [380, 180], [300, 180]], float)
    dets = boxes_from_prob(_kernel_map([square]), (H, W))
    assert len(dets) == 1 and _best_iou(square, dets) > 0.9
    long_word = QUADS[0]
    dets = boxes_from_prob(_kernel_map([long_word]), (H, W))
    assert 0.5 < _best_iou(long_word, dets) < 0.9  # matched at IoU 0.5, yet too thin


def test_low_score_small_and_padding_regions_are_dropped() -> None:
    prob = np.zeros((H, W), np.float32)
    cv2.rectangle(prob, (20, 20), (200, 60), 0.9, -1)  # kept
    cv2.rectangle(prob, (20, 120), (200, 160), 0.45, -1)  # above 0.3, mean below 0.6
    cv2.rectangle(prob, (300, 20), (301, 21), 0.99, -1)  # 2 px blob: under min_size
    cv2.rectangle(prob, (600, 300), (639, 359), 0.99, -1)  # in the batch padding
    dets = boxes_from_prob(prob, (300, 600), valid_size=(300, 600))
    assert len(dets) == 1
    x0, y0 = dets[0].points.min(axis=0)
    assert x0 < 20 and y0 < 20  # unclipped outward
    assert len(boxes_from_prob(prob, (H, W), PostProcessConfig(box_thresh=0.4))) == 3


def test_max_candidates_caps_the_contours() -> None:
    prob = np.zeros((H, W), np.float32)
    for i in range(10):
        cv2.rectangle(prob, (20 + 60 * i, 20), (60 + 60 * i, 60), 0.9, -1)
    assert len(boxes_from_prob(prob, (H, W))) == 10
    assert len(boxes_from_prob(prob, (H, W), PostProcessConfig(max_candidates=4))) == 4
