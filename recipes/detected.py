"""Write a photo split whose regions are a detector's own boxes, labelled from the ground
truth (`ocrstudio.training.detected`: why, and which boxes are kept); `ocrstudio train
--data DIR@W` then cuts its crops as inference does."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ocrstudio.training.detected import detected_page, label_box

__all__ = ["detected_page", "label_box", "write_detected_split"]


def write_detected_split(
    det: Path,
    split: Path,
    out: Path,
    device: str = "cpu",
    limit_side: int | None = None,
    box_thresh: float | None = None,
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
        det,
        device=device,
        limit_side=limit_side,
        postprocess=DetectionPredictor.card_postprocess(det, box_thresh, limit_side),
    )
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
    return {"photos": len(pages), "boxes": boxes, "kept": words, "joined": joined, "out": str(out)}
