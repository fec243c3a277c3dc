"""Text lines of a page, found along the text's own baselines, and the page's text laid out
as it stands on the page.

A photo of a receipt is seldom square to the camera: two or three degrees of skew move the
right end of a line by more than half a line's height, and grouping by image rows then
interleaves lines ("LIGHTROOM / No: 28, JALAN / GALLERY"). So the page's skew is measured
first, from the run of the text in the boxes themselves (each box's long axis, weighted by
how much longer than tall it is; a weighted median, so a few odd boxes do not tilt it), and
lines are grouped in the frame turned back by that skew. An upright page has no skew and is
grouped as before.

`layout_lines` writes each line's words at their place on the page, in character cells of
the page's own letter width: words of one phrase one space apart, columns of a form or the
prices of a receipt kept apart and aligned, as `pdftotext -layout` does."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ocrstudio.core.types import Polygon

PointsLike = Polygon | Sequence[Sequence[float]] | np.ndarray
PHRASE_GAP = 1.5  # letter widths: a wider gap between two words is a column's gap
MIN_LETTER_PX = 2.0


def _points(poly: PointsLike) -> np.ndarray:
    if isinstance(poly, Polygon):
        return poly.as_array()
    return np.asarray(poly, dtype=np.float64).reshape(-1, 2)


def _run(pts: np.ndarray) -> tuple[float, float]:
    """(angle of the box's long axis folded into [-45°, 45°), weight: length minus height)."""
    centred = pts - pts.mean(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        spread = centred.T @ centred
    if not np.isfinite(spread).all():  # coordinates past what a page holds: no slope
        return 0.0, 0.0
    values, vectors = np.linalg.eigh(spread)
    vx, vy = vectors[:, 1]  # the axis of the larger spread
    angle = (math.atan2(vy, vx) + math.pi / 4) % (math.pi / 2) - math.pi / 4
    long, short = (math.sqrt(max(v, 0.0)) for v in (values[1], values[0]))
    return angle, long - short


def page_skew(polygons: Sequence[PointsLike]) -> float:
    """The text's slope on the page, in radians (positive: lines fall to the right)."""
    runs = [_run(_points(p)) for p in polygons if len(_points(p)) >= 2]
    runs = sorted((a, w) for a, w in runs if w > 0)
    total = sum(w for _, w in runs)
    if total <= 0:
        return 0.0
    half, seen = total / 2, 0.0
    for angle, weight in runs:  # the weighted median
        seen += weight
        if seen >= half:
            return angle
    return runs[-1][0]


def _boxes(polygons: Sequence[PointsLike], skew: float) -> list[tuple[float, ...]]:
    """(x0, y0, x1, y1) of each polygon in the frame turned back by `skew`."""
    out = []
    c, s = math.cos(skew), math.sin(skew)
    for poly in polygons:
        p = _points(poly)
        if skew:
            p = np.stack([p[:, 0] * c + p[:, 1] * s, -p[:, 0] * s + p[:, 1] * c], axis=1)
        out.append((*p.min(axis=0), *p.max(axis=0)))
    return out


def text_lines(polygons: Sequence[PointsLike], overlap: float = 0.5) -> list[list[int]]:
    """Indices of the polygons grouped in lines, top to bottom, each left to right.

    In the deskewed frame a polygon joins a line when its vertical extent overlaps the
    line's by more than `overlap` times the smaller of the two heights; polygons are
    visited by the centre of their vertical extent, and a line's extent grows with each
    member. Within a line the order is by the left edge."""
    boxes = _boxes(polygons, page_skew(polygons))
    by_centre = sorted(range(len(boxes)), key=lambda i: (boxes[i][1] + boxes[i][3], boxes[i][0]))
    lines: list[tuple[float, float, list[int]]] = []
    for i in by_centre:
        y0, y1 = boxes[i][1], boxes[i][3]
        for k, (ly0, ly1, members) in enumerate(lines):
            shared = min(y1, ly1) - max(y0, ly0)
            if shared > overlap * min(y1 - y0, ly1 - ly0) and shared > 0:
                lines[k] = (min(y0, ly0), max(y1, ly1), [*members, i])
                break
        else:
            lines.append((y0, y1, [i]))
    return [sorted(members, key=lambda i: (boxes[i][0], boxes[i][1])) for _, _, members in lines]


def layout(polygons: Sequence[PointsLike], texts: Sequence[str]) -> list[tuple[str, list[int]]]:
    """The page's text, a line per text line, each word at its place in letter cells, with
    the indices of the polygons each line holds (polygons without text are left out)."""
    boxes = _boxes(polygons, page_skew(polygons))
    widths = [(b[2] - b[0]) / len(t) for b, t in zip(boxes, texts, strict=True) if t]
    letter = max(float(np.median(widths)) if widths else 10.0, MIN_LETTER_PX)
    left = min((boxes[i][0] for i, t in enumerate(texts) if t), default=0.0)
    out = []
    for members in text_lines(polygons):
        words = [m for m in members if texts[m]]
        line, end = "", -math.inf
        for i in words:
            column = round((boxes[i][0] - left) / letter)
            if line and boxes[i][0] - end < PHRASE_GAP * letter:
                line += " "
            elif column > len(line):
                line += " " * (column - len(line) if not line else max(column - len(line), 2))
            elif line:
                line += "  "  # a column's gap, though the letters ran wider than guessed
            line += texts[i]
            end = boxes[i][2]
        if words:
            out.append((line, words))
    return out


def layout_lines(polygons: Sequence[PointsLike], texts: Sequence[str]) -> list[str]:
    """`layout`'s lines of text alone."""
    return [line for line, _ in layout(polygons, texts)]
