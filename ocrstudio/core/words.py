"""A line's reading cut into word regions (as RapidOCR's word boxes are): the recognizer's
character spans (`RecResult.char_spans`, the CTC columns that emitted each character) say
where along the crop each word lies; the crop's frame (`geometry.crop_frame`) carries
those positions back into the image.

Detectors trained on lines (PP-OCR, `det_lines`) and word detectors that join close words
give one box for several words; ICDAR 2015 and most labeling projects mark words.
The other way round, a word detector sometimes breaks one word into pieces ("HA" "N" "TU"
for HANTU): `pieces_of_words` finds neighbours on one line that may be such pieces, and
`joined_quad` the box around them, for the recognizer to read again as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ocrstudio.core.geometry import PointsLike, as_points, crop_frame, min_area_quad

_UNIT = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)


@dataclass(frozen=True)
class Word:
    text: str
    quad: np.ndarray  # (4, 2), image coordinates, reading order
    score: float


def word_runs(text: str) -> list[tuple[int, int]]:
    """(first, last) character index of each run of non-space characters."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, ch in enumerate(text + " "):
        if ch.isspace():
            if start is not None:
                runs.append((start, i - 1))
            start = None
        elif start is None:
            start = i
    return runs


def word_edges(
    runs: Sequence[tuple[int, int]],
    spans: Sequence[tuple[float, float]],
    left: float,
    right: float,
    gap_share: float = 0.5,
) -> list[tuple[float, float]]:
    """Each word's (start, end) along the crop: the outer words reach the region's own
    edges (`left`, `right`); between two words, each takes `gap_share` of the space
    between its neighbour's last emitting column and its own (0.5: they meet halfway)."""
    edges = [[left, right] for _ in runs]
    for k in range(len(runs) - 1):
        end, nxt = spans[runs[k][1]][1], spans[runs[k + 1][0]][0]
        gap = max(0.0, nxt - end)
        edges[k][1] = end + gap_share * gap
        edges[k + 1][0] = nxt - gap_share * gap
    return [(a, b) for a, b in edges]


def split_words(
    polygon: PointsLike,
    margin: float,
    text: str,
    spans: Sequence[tuple[float, float]],
    char_scores: Sequence[float],
    gap_share: float = 0.5,
) -> list[Word] | None:
    """The words of a reading of `crop_polygon(image, polygon, margin)` as image quads, or
    None when there is nothing to cut (one word, no spans, a curved or upright crop)."""
    runs = word_runs(text)
    if len(runs) < 2 or len(spans) != len(text):
        return None
    frame = crop_frame(polygon, margin)
    if frame is None:
        return None
    outer, quad = frame
    to_image = cv2.getPerspectiveTransform(_UNIT, outer.astype(np.float32))
    # the region's own edges in the crop's unit square (the margin lies outside them)
    own = cv2.perspectiveTransform(
        quad.reshape(1, 4, 2).astype(np.float32), np.linalg.inv(to_image)
    )[0]
    left, right = float(own[[0, 3], 0].mean()), float(own[[1, 2], 0].mean())
    top, bottom = float(own[[0, 1], 1].mean()), float(own[[2, 3], 1].mean())
    words = []
    for (first, last), (a, b) in zip(
        runs, word_edges(runs, spans, left, right, gap_share), strict=True
    ):
        if b <= a:
            return None
        unit = np.array([[[a, top], [b, top], [b, bottom], [a, bottom]]], np.float32)
        corners = cv2.perspectiveTransform(unit, to_image)[0].astype(np.float64)
        score = float(np.prod(char_scores[first : last + 1])) if char_scores else 0.0
        words.append(Word(text[first : last + 1], corners, score))
    return words


def line_frame(quad: PointsLike) -> tuple[np.ndarray, np.ndarray, float, float]:
    """A box's centre, unit direction along its text (pointing right), length and
    height, from its minimum-area rectangle (text runs along the longer side)."""
    (cx, cy), (w, h), angle = cv2.minAreaRect(as_points(quad).astype(np.float32))
    if w < h:
        w, h, angle = h, w, angle + 90.0
    t = np.deg2rad(angle)
    along = np.array([np.cos(t), np.sin(t)])
    return np.array([cx, cy]), along if along[0] >= 0 else -along, float(w), float(h)


_Box = tuple[np.ndarray, tuple[np.ndarray, np.ndarray, float, float]]  # points, line_frame


def on_one_line(a: PointsLike, b: PointsLike, gap: float) -> bool:
    """Whether two boxes lie on one text line, measured along the longer of the two (a
    piece of one letter is often taller than wide, so has no direction of its own):
    heights across that line within 1.4 times, centres within 0.3 heights of each other
    across it, at most `gap` heights between their ends along it, and the other box's
    edges within 10 degrees of its edges (either way round)."""
    return _on_one_line((as_points(a), line_frame(a)), (as_points(b), line_frame(b)), gap)


def _on_one_line(a: _Box, b: _Box, gap: float) -> bool:
    ref, other = (a, b) if a[1][2] >= b[1][2] else (b, a)  # the longer box's line
    centre, along = ref[1][0], ref[1][1]
    cos = abs(float(other[1][1] @ along))
    if np.sin(np.deg2rad(10)) < cos < np.cos(np.deg2rad(10)):  # edges not parallel
        return False
    across = np.array([-along[1], along[0]])
    spans = []
    for p in (ref[0] - centre, other[0] - centre):
        spans.append(
            (
                float((p @ along).min()),
                float((p @ along).max()),
                float((p @ across).min()),
                float((p @ across).max()),
            )
        )
    (a0, a1, n0, n1), (b0, b1, m0, m1) = spans
    ha, hb = n1 - n0, m1 - m0
    if min(ha, hb) <= 0 or max(ha, hb) > 1.4 * min(ha, hb):
        return False
    height = (ha + hb) / 2
    offset = abs((n0 + n1) - (m0 + m1)) / 2
    return offset <= 0.3 * height and max(a0, b0) - min(a1, b1) <= gap * height


def pieces_of_words(
    quads: Sequence[PointsLike], joinable: Sequence[bool], fragment: Sequence[bool], gap: float
) -> list[list[int]]:
    """Groups (two or more indices, ascending) of `joinable` boxes that may be pieces of
    one word: each joined pair lies on one line at most `gap` heights apart and one of the
    two is a `fragment` (read as too few characters to be a word by itself)."""
    starts = [k for k in range(len(quads)) if fragment[k] and joinable[k]]
    if not starts:  # the usual page: no minimum-area rectangles to fit
        return []
    boxes = [(as_points(q), line_frame(q)) for q in quads]
    parent = list(range(len(quads)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    # a page has few fragments: pairs are looked for around them only
    for i in starts:
        for j in range(len(quads)):
            if j != i and joinable[j] and _on_one_line(boxes[i], boxes[j], gap):
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(quads)):
        groups.setdefault(root(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def joined_quad(quads: Sequence[PointsLike]) -> np.ndarray:
    """The minimum-area rectangle around several boxes (4 points, clockwise)."""
    return min_area_quad(np.concatenate([as_points(q) for q in quads]))
