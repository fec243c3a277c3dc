"""The annotation edits as plain functions over `Region` values (no Qt, no database).

The canvas and the region panel compute the new `Region` with these functions and hand
(before, after) pairs to `services.annotation`, which persists them; undo replays the
`before` value. Keeping the arithmetic here means it is tested without a window, as in
labelme 7's split of `_shape.py` (model) from `_shape_render.py` (drawing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ocrstudio.core.types import IGNORE_TEXT, Polygon, Region

MIN_POINTS = 3


def rectangle(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """The box spanned by two corners in any order, clockwise from top-left."""
    return Polygon.from_box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def is_degenerate(poly: Polygon, min_size: float = 2.0) -> bool:
    """Too small to be a region (a click without a drag, a collapsed polygon)."""
    x0, y0, x1, y1 = poly.bounds
    if x1 - x0 < min_size or y1 - y0 < min_size:
        return True
    a = poly.as_array()
    area = 0.5 * abs(np.dot(a[:, 0], np.roll(a[:, 1], 1)) - np.dot(a[:, 1], np.roll(a[:, 0], 1)))
    return area < min_size * min_size


def move_vertex(region: Region, index: int, x: float, y: float) -> Region:
    pts = list(region.polygon.points)
    pts[index] = (x, y)
    return human_edit(region, polygon=Polygon(tuple(pts)))


def insert_vertex(region: Region, edge: int, x: float, y: float) -> Region:
    """Insert (x, y) on edge `edge`, the one from point `edge` to point `edge + 1`."""
    pts = list(region.polygon.points)
    pts.insert(edge + 1, (x, y))
    return human_edit(region, polygon=Polygon(tuple(pts)))


def delete_vertex(region: Region, index: int) -> Region | None:
    """None when the polygon would drop below three points (the caller refuses)."""
    pts = list(region.polygon.points)
    if len(pts) <= MIN_POINTS:
        return None
    del pts[index]
    return human_edit(region, polygon=Polygon(tuple(pts)))


def translate(region: Region, dx: float, dy: float) -> Region:
    return human_edit(region, polygon=region.polygon.translated(dx, dy))


def set_text(region: Region, text: str) -> Region:
    """Typing `###` is the ICDAR way of saying "don't care": it sets the ignore flag."""
    if text.strip() == IGNORE_TEXT:
        return human_edit(region, text="", ignore=True)
    return human_edit(region, text=text)


def set_ignore(region: Region, ignore: bool) -> Region:
    return human_edit(region, ignore=ignore)


def set_verified(region: Region, verified: bool) -> Region:
    return replace(region, verified=verified)


def human_edit(region: Region, **changes: object) -> Region:
    """A person changed this region: the model scores no longer describe it.

    Provenance keeps the model that proposed the region (the history is useful in the
    review queue) but the scores go, so the region is no longer "low confidence"; the store
    marks it edited, which is what protects it from being overwritten by a model.
    """
    return replace(region, score=None, det_score=None, **changes)  # type: ignore[arg-type]


def clamp(poly: Polygon, width: float, height: float) -> Polygon:
    """Keep every point inside the image (pasted or dragged regions may leave it)."""
    a = poly.as_array()
    a[:, 0] = a[:, 0].clip(0, width)
    a[:, 1] = a[:, 1].clip(0, height)
    return Polygon.from_array(a)


def paste(
    regions: Sequence[Region], width: float, height: float, offset: tuple[float, float] = (0.0, 0.0)
) -> list[Region]:
    """Copies of `regions` for another image (or the same one, shifted by `offset`).

    Pasted regions are new human-made regions: manual, unverified, clamped to the image;
    those that fall entirely outside it are dropped.
    """
    out = []
    for r in regions:
        poly = r.polygon.translated(*offset)
        x0, y0, x1, y1 = poly.bounds
        if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
            continue
        out.append(
            replace(
                r,
                polygon=clamp(poly, width, height),
                provenance="manual",
                verified=False,
                score=None,
                det_score=None,
            )
        )
    return out


def nearest_vertex(poly: Polygon, x: float, y: float) -> tuple[int, float]:
    """Index of the closest point and its distance."""
    d = np.hypot(*(poly.as_array() - (x, y)).T)
    i = int(d.argmin())
    return i, float(d[i])


def nearest_edge(poly: Polygon, x: float, y: float) -> tuple[int, float, tuple[float, float]]:
    """Closest edge (index of its first point), the distance, and the foot of the normal."""
    a = poly.as_array()
    b = np.roll(a, -1, axis=0)
    ab = b - a
    length2 = np.maximum((ab**2).sum(axis=1), 1e-12)
    t = (((x, y) - a) * ab).sum(axis=1) / length2
    t = t.clip(0.0, 1.0)
    foot = a + ab * t[:, None]
    d = np.hypot(*(foot - (x, y)).T)
    i = int(d.argmin())
    return i, float(d[i]), (float(foot[i, 0]), float(foot[i, 1]))


def contains(poly: Polygon, x: float, y: float) -> bool:
    """Even-odd point-in-polygon test (what the canvas shows as the region's inside)."""
    a = poly.as_array()
    xs, ys = a[:, 0], a[:, 1]
    xj, yj = np.roll(xs, 1), np.roll(ys, 1)
    crosses = (ys > y) != (yj > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = (xj - xs) * (y - ys) / (yj - ys) + xs
    return bool(np.count_nonzero(crosses & (x < xint)) % 2)
