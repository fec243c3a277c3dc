"""Training pages whose regions are a detector's own boxes, labelled from the ground truth.

A recognizer fine-tuned on ground-truth quads reads crops that are cut a little
differently at run time: the detector's boxes are looser or tighter, and where two words
sit close one box holds both. Reading such a box as one word with no space loses both
words end to end. This writes a photo split whose regions are the detector's boxes, each
labelled with the ground-truth words it covers, in reading order along the box, joined by
a space; `ocrstudio train --data DIR@W` then cuts its crops as inference does.

A box is kept only when its label is certain: every ground-truth word it touches lies
(almost) wholly inside it, it touches no `###` region, and it is not much larger than the
words it holds (the rest would be unlabelled text)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# A word counts as inside a box when this share of its area is; one that is touched by
# less than INSIDE but more than TOUCH makes the box's label uncertain (cut-off text).
INSIDE = 0.85
TOUCH = 0.15
# A kept box's area is at most this many times its words' area.
MAX_GROWTH = 2.5


def label_box(box: np.ndarray, truth: Sequence[Any]) -> str | None:
    """The text of the ground-truth words inside `box` (a polygon, N x 2), in order along
    its long axis and joined by spaces; None when the label is uncertain or empty."""
    from ocrstudio.core.geometry import area, overlap_matrices

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
    import cv2

    (_, _), (w, h), angle = cv2.minAreaRect(box.astype(np.float32))
    theta = np.deg2rad(angle if w >= h else angle + 90.0)
    axis = np.array([np.cos(theta), np.sin(theta)])
    if axis[0] < -1e-6 or (abs(axis[0]) <= 1e-6 and axis[1] < 0):
        axis = -axis
    return axis


def detected_page(labels: Any, found: Sequence[Any]) -> Any:
    """`labels` with its regions replaced by the detector's boxes that `label_box` can
    label (the region texts are the labels)."""
    regions = []
    for r in found:
        text = label_box(r.polygon.as_array(), labels.regions)
        if text is not None:
            regions.append(dataclasses.replace(r, text=text, provenance="manual"))
    return dataclasses.replace(labels, regions=tuple(regions))


def write_detected_split(det: Path, split: Path, out: Path, device: str = "cpu",
                         limit_side: int | None = None, box_thresh: float | None = None
                         ) -> dict[str, Any]:
    """Run the detector over a photo split and write `out/{images,gt}` (images linked,
    ICDAR 2015 labels of the kept boxes). `limit_side` and `box_thresh` override the
    card's (the fast preset's input; the candidates the recognizer's check reads).
    Returns the counts."""
    from ocrstudio.core.images import read_image
    from ocrstudio.engine.detection.predictor import DetectionPredictor
    from ocrstudio.formats import write_labels
    from ocrstudio.training.api import load_folder
    from recipes.splits import link_file

    detector = DetectionPredictor.from_checkpoint(
        det, device=device, limit_side=limit_side,
        postprocess=DetectionPredictor.card_postprocess(det, box_thresh, limit_side))
    pages, words, joined, boxes = [], 0, 0, 0
    for p in load_folder(split):
        found = detector.predict(read_image(p.image_path))
        page = detected_page(p.labels, found)
        name = Path(p.image_path).name
        link_file(Path(p.image_path), out / "images" / name)
        pages.append(dataclasses.replace(page, image=name))
        boxes += len(found)
        words += len(page.regions)
        joined += sum(" " in r.text for r in page.regions)
    write_labels("icdar2015", pages, out / "gt")
    return {"photos": len(pages), "boxes": boxes, "kept": words, "joined": joined,
            "out": str(out)}
