"""Training pages whose regions are a detector's own boxes, labelled from the ground truth.

A recognizer fine-tuned on ground-truth quads reads crops that are cut a little
differently at run time: the detector's boxes are looser or tighter, and where two words
sit close one box holds both. Reading such a box as one word with no space loses both
words end to end. `detected_page` turns a labelled page into one whose regions are the
detector's boxes, each labelled with the ground-truth words it covers, in reading order
along the box, joined by a space: the shipped recognizer learned from such pages
(`recipes/detected.py`), and "Improve the models on my labels" replays general photos to
it the same way (`services.replay`).

A box is kept only when its label is certain: every ground-truth word it touches lies
(almost) wholly inside it, it touches no `###` region, and it is not much larger than the
words it holds (the rest would be unlabelled text)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cv2
import numpy as np

from ocrstudio.core.geometry import area, overlap_matrices
from ocrstudio.core.types import PageLabels, Region

# A word counts as inside a box when this share of its area is; one that is touched by
# less than INSIDE but more than TOUCH makes the box's label uncertain (cut-off text).
INSIDE = 0.85
TOUCH = 0.15
# A kept box's area is at most this many times its words' area.
MAX_GROWTH = 2.5


def label_box(box: np.ndarray, truth: Sequence[Region]) -> str | None:
    """The text of the ground-truth words inside `box` (a polygon, N x 2), in order along
    its long axis and joined by spaces; None when the label is uncertain or empty."""
    if not truth:
        return None
    _, inside = overlap_matrices([r.polygon.as_array() for r in truth], [box])
    share = inside[:, 0]
    held = [r for r, s in zip(truth, share, strict=True) if s >= INSIDE]
    touched = [r for r, s in zip(truth, share, strict=True) if TOUCH < s < INSIDE]
    if not held or touched or any(r.ignore for r in held) or not all(r.text for r in held):
        return None
    if area(box) > MAX_GROWTH * sum(area(r.polygon.as_array()) for r in held):
        return None
    axis = _long_axis(box)
    held.sort(key=lambda r: float(r.polygon.as_array().mean(0) @ axis))
    return " ".join(r.text for r in held)


def _long_axis(box: np.ndarray) -> np.ndarray:
    """Unit vector along the box's longer side, pointing rightwards (downwards when
    vertical), the direction its text is read in."""
    (_, _), (w, h), angle = cv2.minAreaRect(box.astype(np.float32))
    theta = np.deg2rad(angle if w >= h else angle + 90.0)
    axis = np.array([np.cos(theta), np.sin(theta)])
    if axis[0] < -1e-6 or (abs(axis[0]) <= 1e-6 and axis[1] < 0):
        axis = -axis
    return axis


def detected_page(labels: PageLabels, found: Sequence[Region]) -> PageLabels:
    """`labels` with its regions replaced by the detector's boxes that `label_box` can
    label (the region texts are the labels)."""
    regions = []
    for r in found:
        text = label_box(r.polygon.as_array(), labels.regions)
        if text is not None:
            regions.append(dataclasses.replace(r, text=text, provenance="manual"))
    return dataclasses.replace(labels, regions=tuple(regions))
