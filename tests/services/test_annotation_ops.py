"""The Qt-free edit arithmetic behind the canvas gestures."""

from __future__ import annotations

import pytest

from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation_ops as ops


def _model_region() -> Region:
    return Region(
        Polygon.from_box(10, 10, 50, 30),
        text="abc",
        score=0.4,
        det_score=0.9,
        provenance="dbnet-v1",
    )


def test_vertex_edits_keep_other_points_and_drop_model_scores() -> None:
    r = _model_region()
    moved = ops.move_vertex(r, 2, 60, 35)
    assert moved.polygon.points == ((10, 10), (50, 10), (60, 35), (10, 30))
    assert moved.score is None and moved.det_score is None
    assert moved.provenance == "dbnet-v1"  # history kept; `edited` protects it in the store
    inserted = ops.insert_vertex(r, 1, 50, 20)
    assert inserted.polygon.points[2] == (50, 20) and len(inserted.polygon) == 5
    assert ops.delete_vertex(inserted, 2) is not None
    assert ops.delete_vertex(Region(Polygon(((0, 0), (5, 0), (0, 5)))), 0) is None


def test_text_hash_means_ignore() -> None:
    r = ops.set_text(_model_region(), "###")
    assert r.ignore and r.text == ""
    assert ops.set_text(r, "hello").text == "hello"


def test_nearest_edge_and_contains() -> None:
    poly = Polygon.from_box(0, 0, 10, 10)
    i, d, foot = ops.nearest_edge(poly, 5, -2)
    assert (i, d, foot) == (0, 2.0, (5.0, 0.0))
    i, d, foot = ops.nearest_edge(poly, 12, 5)
    assert i == 1 and d == 2.0
    assert ops.contains(poly, 5, 5) and not ops.contains(poly, 11, 5)
    assert ops.nearest_vertex(poly, 9, 11) == (2, pytest.approx(2**0.5))


def test_paste_clamps_and_drops_outside_regions() -> None:
    inside = Region(Polygon.from_box(90, 10, 120, 20), text="x", verified=True, score=0.3)
    outside = Region(Polygon.from_box(300, 10, 320, 20), text="y")
    pasted = ops.paste([inside, outside], width=100, height=50)
    assert len(pasted) == 1
    p = pasted[0]
    assert p.polygon.bounds == (90, 10, 100, 20)
    assert (p.provenance, p.verified, p.score, p.text) == ("manual", False, None, "x")


def test_degenerate_and_rectangle() -> None:
    assert ops.rectangle(5, 9, 1, 2).points == ((1, 2), (5, 2), (5, 9), (1, 9))
    assert ops.is_degenerate(Polygon(((0, 0), (1, 0), (1, 1))))
    assert ops.is_degenerate(Polygon(((0, 0), (50, 0), (100, 0))))
    assert not ops.is_degenerate(Polygon.from_box(0, 0, 10, 10))
