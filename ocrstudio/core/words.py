"""A line's reading cut into word regions (as RapidOCR's word boxes are): the recognizer's
character spans (`RecResult.char_spans`, the CTC columns that emitted each character) say
where along the crop each word lies; the crop's frame (`geometry.crop_frame`) carries
those positions back into the image.

Detectors trained on lines (PP-OCR, `det_lines`) and word detectors that join close words
give one box for several words; ICDAR 2015 and most labeling projects mark words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ocrstudio.core.geometry import PointsLike, crop_frame

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


def word_edges(runs: Sequence[tuple[int, int]], spans: Sequence[tuple[float, float]],
               left: float, right: float, gap_share: float = 0.5) -> list[tuple[float, float]]:
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


def split_words(polygon: PointsLike, margin: float, text: str,
                spans: Sequence[tuple[float, float]], char_scores: Sequence[float],
                gap_share: float = 0.5) -> list[Word] | None:
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
    own = cv2.perspectiveTransform(quad.reshape(1, 4, 2).astype(np.float32),
                                   np.linalg.inv(to_image))[0]
    left, right = float(own[[0, 3], 0].mean()), float(own[[1, 2], 0].mean())
    top, bottom = float(own[[0, 1], 1].mean()), float(own[[2, 3], 1].mean())
    words = []
    for (first, last), (a, b) in zip(runs, word_edges(runs, spans, left, right, gap_share),
                                     strict=True):
        if b <= a:
            return None
        unit = np.array([[[a, top], [b, top], [b, bottom], [a, bottom]]], np.float32)
        corners = cv2.perspectiveTransform(unit, to_image)[0].astype(np.float64)
        score = float(np.prod(char_scores[first:last + 1])) if char_scores else 0.0
        words.append(Word(text[first:last + 1], corners, score))
    return words
