"""DBNet target maps on hand-made polygons, with values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ocrstudio.engine.detection.targets import TargetConfig, make_targets, shrink_distance

# 200 x 60 box: A = 12000, L = 520, D = A (1 - 0.4^2) / L = 19.3846...
BOX = np.array([[100, 100], [300, 100], [300, 160], [100, 160]], dtype=float)
D = 12000 * 0.84 / 520


def _value(dist: float) -> float:
    """Threshold-map value at `dist` pixels from the nearest edge."""
    return 0.3 + 0.4 * (1 - min(dist, D) / D)


def test_shrink_distance_formula() -> None:
    assert shrink_distance(BOX, 0.4) == pytest.approx(D)


def test_shrunk_kernel_matches_vatti_offset() -> None:
    t = make_targets([BOX], [False], 240, 400)
    expected = (200 - 2 * D) * (60 - 2 * D)  # an inward offset keeps the rectangle's corners
    kernel = t.shrink_map > 0
    # cv2 fills every pixel the boundary touches: allow about one pixel around the outline
    outline = 2 * ((200 - 2 * D) + (60 - 2 * D))
    assert abs(kernel.sum() - expected) < outline
    assert kernel.sum() / (200 * 60) == pytest.approx(expected / 12000, abs=0.04)
    ys, xs = np.nonzero(kernel)
    assert xs.min() == pytest.approx(100 + D, abs=1.0) and xs.max() == pytest.approx(300 - D, abs=1)
    assert ys.min() == pytest.approx(100 + D, abs=1.0) and ys.max() == pytest.approx(160 - D, abs=1)
    assert set(np.unique(t.shrink_map)) == {0.0, 1.0}
    assert t.shrink_mask.min() == 1.0  # nothing ignored
    assert not t.ignored.any()


@pytest.mark.parametrize(
    ("x", "y", "dist", "inside_mask"),
    [
        (200, 100, 0.0, True),  # on the top edge: the maximum, 0.7
        (200, 110, 10.0, True),  # 10 px inside
        (200, 90, 10.0, True),  # 10 px outside, still within the dilated polygon
        (90, 90, float(np.hypot(10, 10)), True),  # off the corner: distance to the vertex
        (200, 130, 30.0, True),  # the middle, farther than D from every edge: 0.3
        (200, 75, 25.0, False),  # outside the dilated polygon
    ],
)
def test_threshold_map_values(x: int, y: int, dist: float, inside_mask: bool) -> None:
    t = make_targets([BOX], [False], 240, 400)
    assert t.thresh_map[y, x] == pytest.approx(_value(dist), abs=1e-4)
    assert bool(t.thresh_mask[y, x]) is inside_mask


def test_threshold_map_range_and_background() -> None:
    t = make_targets([BOX], [False], 240, 400)
    assert t.thresh_map.min() == pytest.approx(0.3) and t.thresh_map.max() == pytest.approx(0.7)
    assert t.thresh_map[5, 5] == pytest.approx(0.3) and t.thresh_mask[5, 5] == 0
    # the mask is the polygon dilated by D (round joins): its area, about
    grown = 12000 + 520 * D + np.pi * D * D
    assert t.thresh_mask.sum() == pytest.approx(grown, rel=0.03)


def test_ignored_tiny_and_degenerate_polygons() -> None:
    dont_care = np.array([[10, 10], [60, 10], [60, 40], [10, 40]], dtype=float)
    tiny = np.array([[10, 200], [100, 200], [100, 205], [10, 205]], dtype=float)  # 5 px high
    flat = np.array([[200, 200], [300, 200], [250, 200]], dtype=float)  # zero area
    t = make_targets([BOX, dont_care, tiny, flat], [False, True, False, False], 240, 400)
    assert t.ignored.tolist() == [False, True, True, True]
    assert t.shrink_mask[25, 35] == 0 and t.shrink_mask[202, 50] == 0
    assert t.shrink_map[25, 35] == 0 and t.thresh_mask[25, 35] == 0  # no target drawn
    assert t.shrink_mask[130, 200] == 1
    # a lower min_text_size keeps the 5 px line
    kept = make_targets([tiny], [False], 240, 400, TargetConfig(min_text_size=4))
    assert kept.ignored.tolist() == [False]
    assert kept.thresh_mask[202, 50] == 1


def test_polygon_outside_image_is_clipped_and_rotated_text_short_side() -> None:
    # a 45-degree line 10 px thick: its bounding box is large but its short side is 10
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    rot = np.array([[0, 0], [100, 0], [100, 10], [0, 10]], float) @ np.array([[c, s], [-s, c]])
    t = make_targets([rot + [150, 50], BOX + [250, 0]], [False, False], 240, 400)
    assert t.ignored.tolist() == [False, False]
    assert t.shrink_map[:, 395:].sum() == 0  # the clipped box does not wrap around
    assert t.shrink_map[:, 360:399].sum() > 0


def test_mismatched_flags_raise() -> None:
    with pytest.raises(ValueError, match="ignore flags"):
        make_targets([BOX], [], 10, 10)
