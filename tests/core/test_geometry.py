"""Geometry helpers: areas, flags, IoU, quads, rectified crops, reading order."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocrstudio.core import geometry as g
from ocrstudio.core.types import Polygon, Region, confidence

SQUARE = [(0, 0), (10, 0), (10, 10), (0, 10)]  # clockwise on screen (y down)
BOW_TIE = [(0, 0), (2, 2), (2, 0), (0, 2)]


def test_signed_area_is_positive_for_screen_clockwise():
    assert g.signed_area(SQUARE) == 100.0
    assert g.signed_area(SQUARE[::-1]) == -100.0
    assert g.area(Polygon(tuple(SQUARE[::-1]))) == 100.0


def test_flags_report_without_repairing():
    repeated = Polygon(((0, 0), (10, 0), (10, 0), (10, 10), (0, 10)))
    assert g.has_repeated_vertices(repeated)
    assert not g.is_self_intersecting(repeated)
    assert g.is_self_intersecting(BOW_TIE)
    assert not g.is_self_intersecting(SQUARE)
    assert g.polygon_flags(BOW_TIE) == {"self_intersecting", "zero_area"}  # lobes cancel
    assert g.polygon_flags(((1, 1), (1, 1), (1, 1))) >= {"repeated_vertices", "zero_area"}
    assert repeated.points[2] == (10.0, 0.0)  # the input is untouched


def test_order_points_clockwise_starts_top_left():
    shuffled = [(10, 10), (0, 0), (0, 10), (10, 0)]
    assert g.order_points_clockwise(shuffled).tolist() == [[0, 0], [10, 0], [10, 10], [0, 10]]
    diamond = [(5, 0), (0, 5), (5, 10), (10, 5)]
    ordered = g.order_points_clockwise(diamond)
    assert g.signed_area(ordered) > 0
    assert ordered[0].tolist() in ([5, 0], [0, 5])


def test_iou_and_intersection_over_area():
    shifted = [(5, 0), (15, 0), (15, 10), (5, 10)]
    assert g.polygon_iou(SQUARE, shifted) == pytest.approx(50 / 150)
    assert g.intersection_over_area(SQUARE, shifted) == pytest.approx(0.5)
    assert g.polygon_iou(SQUARE, [(20, 20), (30, 20), (30, 30)]) == 0.0
    # a bow-tie is measured as its two triangles (area 2), not its cancelled shoelace 0
    assert g.valid_shape(BOW_TIE).area == pytest.approx(2.0)
    assert g.polygon_iou(BOW_TIE, BOW_TIE) == pytest.approx(1.0)
    assert g.intersection_over_area(((1, 1), (1, 1), (1, 1)), SQUARE) == 0.0
    iou, ioa = g.overlap_matrices([SQUARE, shifted], [shifted])
    assert iou[:, 0] == pytest.approx([1 / 3, 1.0])
    assert ioa[:, 0] == pytest.approx([0.5, 1.0])


def test_min_area_quad_of_rotated_polygon():
    angle = np.deg2rad(30)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    rect = np.array([[0, 0], [40, 0], [40, 10], [20, 12], [0, 10]]) @ rot.T + 100
    quad = g.min_area_quad(rect)
    assert quad.shape == (4, 2)
    assert g.signed_area(quad) > 0  # clockwise
    assert g.area(quad) == pytest.approx(40 * 12, rel=0.02)
    assert quad[0].tolist() == g.order_points_clockwise(quad)[0].tolist()


def _strip(h: int = 20, w: int = 120) -> np.ndarray:
    """A horizontal colour gradient with a dark top band: shows direction and flips."""
    s = np.zeros((h, w, 3), np.uint8)
    s[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    s[..., 1] = 200
    s[: h // 4, :, 1] = 0
    return s


def _paste(strip: np.ndarray, quad: np.ndarray, size=(300, 300)) -> np.ndarray:
    h, w = strip.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    m = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    return cv2.warpPerspective(strip, m, size, flags=cv2.INTER_LINEAR)


def _close(a: np.ndarray, b: np.ndarray, tol: float = 12.0) -> bool:
    a = cv2.resize(a, (b.shape[1], b.shape[0]), interpolation=cv2.INTER_AREA)
    return float(np.abs(a.astype(float) - b.astype(float))[2:-2, 2:-2].mean()) < tol


def test_crop_quad_undoes_a_perspective_warp():
    strip = _strip()
    quad = np.array([[60, 80], [190, 110], [185, 135], [55, 101]], float)
    image = _paste(strip, quad)
    crop = g.crop_polygon(image, quad)
    edges = np.linalg.norm(quad[[1, 2]] - quad[[0, 3]], axis=1)  # top, bottom
    assert crop.shape[1] == round(edges.max())
    assert _close(crop, strip)
    # the same quad given counter-clockwise (same first point) gives the same crop
    assert np.array_equal(g.crop_polygon(image, quad[[0, 3, 2, 1]]), crop)


def test_crop_margin_widens_the_quad_by_a_share_of_its_height():
    image = np.zeros((200, 300), np.uint8)
    image[90:110, 100:200] = 255  # a 100 x 20 "word"
    quad = np.array([[100, 90], [200, 90], [200, 110], [100, 110]], float)
    tight = g.crop_polygon(image, quad)
    wide = g.crop_polygon(image, quad, margin=0.1)
    assert tight.shape == (20, 100) and tight.min() == 255
    assert wide.shape == (24, 104)  # 2 px (0.1 x 20) more on every side
    assert wide[2:-2, 2:-2].min() == 255 and wide[0].max() == 0 and wide[:, 0].max() == 0
    # rotated text widens along its own axes: the same word turned 90 degrees
    turned = np.ascontiguousarray(np.rot90(image))
    q90 = np.array([[90, 200], [90, 100], [110, 100], [110, 200]], float)
    assert g.crop_polygon(turned, q90, margin=0.1).shape == (24, 104)


def test_crop_keeps_given_order_for_upside_down_text():
    strip = _strip()
    quad = np.array([[200, 150], [80, 150], [80, 130], [200, 130]], float)  # rotated 180
    crop = g.crop_polygon(_paste(strip, quad), quad)
    assert _close(crop, strip)


def test_curved_polygon_is_straightened_not_boxed():
    strip, n = _strip(h=24, w=200), 8
    # arc: top side left->right on radius 120, bottom side right->left on radius 96
    t = np.linspace(np.pi * 1.15, np.pi * 1.85, n)
    centre, r_top, r_bot = np.array([150, 170]), 120, 96
    top = centre + r_top * np.stack([np.cos(t), np.sin(t)], 1)
    bottom = (centre + r_bot * np.stack([np.cos(t), np.sin(t)], 1))[::-1]
    image = np.zeros((300, 300, 3), np.uint8)
    for i in range(n - 1):  # draw the strip piece by piece onto the arc
        quad = np.stack([top[i], top[i + 1], bottom[n - 2 - i], bottom[n - 1 - i]])
        piece = strip[:, i * 200 // (n - 1) : (i + 1) * 200 // (n - 1)]
        mask = _paste(np.full_like(piece, 255), quad)
        image = np.where(mask > 0, _paste(piece, quad), image)
    crop = g.crop_polygon(image, np.concatenate([top, bottom]))
    assert abs(crop.shape[0] - 24) <= 1 and crop.shape[1] > 150
    assert _close(crop, strip, tol=25.0)
    boxed = g.crop_polygon(image, g.min_area_quad(np.concatenate([top, bottom])))
    assert not _close(boxed, strip, tol=25.0)


def test_tall_crops_rotate_counter_clockwise():
    image = np.zeros((100, 100, 3), np.uint8)
    image[10:30, 40:50] = (255, 0, 0)  # top of a vertical word: red
    image[30:50, 40:50] = (0, 0, 255)  # bottom: blue
    crop = g.crop_polygon(image, [(40, 10), (50, 10), (50, 50), (40, 50)])
    assert crop.shape[:2] == (10, 40)
    assert crop[5, 5].tolist() == [255, 0, 0] and crop[5, 35].tolist() == [0, 0, 255]
    # 1.5 x is the limit: a 10 x 15 crop stays as it is
    assert g.crop_polygon(image, [(40, 10), (50, 10), (50, 25), (40, 25)]).shape[:2] == (15, 10)


def test_crop_of_degenerate_polygon_is_at_least_one_pixel():
    image = np.zeros((50, 50), np.uint8)
    assert g.crop_polygon(image, [(5, 5), (5, 5), (5, 5), (5, 5)]).shape == (1, 1)
    assert g.crop_polygon(image, [(5, 5), (20, 5), (20, 5), (5, 5), (5, 9), (5, 9)]).size >= 1


def test_reading_order_lines_then_left_to_right():
    def box(x, y, w=30, h=10):
        return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]

    polys = [
        box(100, 52),  # line 2, right
        box(10, 0),  # line 1, left
        box(60, 3),  # line 1, middle (slightly lower)
        box(10, 50),  # line 2, left
        box(110, 1, h=12),  # line 1, right (taller)
        box(40, 100),  # line 3
    ]
    assert g.reading_order(polys) == [1, 2, 4, 3, 0, 5]
    assert g.reading_order([]) == []


def test_confidence_is_the_weaker_known_score() -> None:
    assert confidence(0.9, 0.8) == 0.8 and confidence(0.3, 0.7) == 0.3
    assert confidence(None, 0.4) == 0.4 and confidence(0.6, None) == 0.6
    assert confidence(None, None) is None
    assert Region(Polygon.from_box(0, 0, 2, 2), score=0.5, det_score=0.2).confidence == 0.2
