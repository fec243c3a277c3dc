"""labelme JSON: one `<image stem>.json` per image with `shapes` of type polygon or
rectangle (other shape types hold no text area and are skipped with a warning).

Transcription: the shape's `description` when it is non-empty, else its `label`. A shape
is don't-care when its label is `###` or its flags say `ignore` (or `difficult`). The
writer puts the transcription in both `label` and `description` (label `###` for ignored
regions, whose transcription stays in `description`) and sets flags.ignore.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ocrstudio.core.types import IGNORE_TEXT, PageLabels, Polygon, Region
from ocrstudio.formats.common import (
    IMAGE_SUFFIXES,
    FormatError,
    WriteReport,
    check_unique_stems,
    flag,
    image_ref_for_output,
    image_size,
    json_num,
    label_files,
    load_json,
    quote,
    real,
    resolve_image,
)

log = logging.getLogger(__name__)

LABELME_VERSION = "5.5.0"
_NO_AREA = ("point", "line", "linestrip", "circle", "points")


def read_labelme(
    labels: Path, images: Path | None = None, allow_outside: bool = False
) -> list[PageLabels]:
    return [_read_file(f, images, allow_outside) for f in label_files(labels, ".json")]


def _read_file(path: Path, images: Path | None, allow_outside: bool) -> PageLabels:
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("shapes"), list):
        raise FormatError("not a labelme file: no 'shapes' list", path)
    ref = doc.get("imagePath") or f"{path.stem}.jpg"
    if not isinstance(ref, str):
        raise FormatError("imagePath is not a string", path)
    if images is not None and not (path.parent / ref).is_file():
        found = _by_stem(images, path.stem)
        ref = str(found) if found is not None else ref
    image, w, h = resolve_image(ref, images, path, None, allow_outside)
    regions = []
    for k, shape in enumerate(doc["shapes"]):
        region = _shape(shape, path, k)
        if region is not None:
            regions.append(region)
    w = w if w is not None else _int_or_none(doc.get("imageWidth"))
    h = h if h is not None else _int_or_none(doc.get("imageHeight"))
    return PageLabels(image=image, regions=tuple(regions), width=w, height=h)


def _by_stem(images: Path, stem: str) -> Path | None:
    candidates = (images / f"{stem}{suffix}" for suffix in IMAGE_SUFFIXES)
    return next((c for c in candidates if c.is_file()), None)


def _int_or_none(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _shape(shape: Any, path: Path, k: int) -> Region | None:
    where = f"shape {k}: "
    if not isinstance(shape, dict):
        raise FormatError(where + "expected a JSON object", path)
    kind = shape.get("shape_type") or "polygon"
    if not isinstance(kind, str):
        raise FormatError(where + "shape_type is not a string", path)
    if kind in _NO_AREA:
        log.warning("%s: %s%s shape skipped (no area)", path, where, kind)
        return None
    points = shape.get("points")
    try:
        if not isinstance(points, list) or not all(
            isinstance(p, list) and len(p) == 2 for p in points
        ):
            raise ValueError("expected a list of [x, y] number pairs")
        pts = [(real(x), real(y)) for x, y in points]
        if kind == "rectangle":
            if len(pts) != 2:
                raise ValueError(f"a rectangle needs 2 points, got {len(pts)}")
            (x0, y0), (x1, y1) = pts
            polygon = Polygon.from_box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        elif kind == "polygon":
            polygon = Polygon(tuple(pts))
        else:
            raise ValueError(f"unknown shape_type {quote(kind)}")
    except (TypeError, ValueError) as exc:
        raise FormatError(where + f"bad points: {exc}", path) from None
    label, description = shape.get("label") or "", shape.get("description") or ""
    if not isinstance(label, str) or not isinstance(description, str):
        raise FormatError(where + "label and description must be strings", path)
    flags = shape.get("flags") or {}
    try:
        flagged = isinstance(flags, dict) and (
            flag(flags.get("ignore"), "flags.ignore")
            or flag(flags.get("difficult"), "flags.difficult")
        )
    except ValueError as exc:
        raise FormatError(where + str(exc), path) from None
    return Region(
        polygon=polygon,
        text=description or label,
        ignore=label == IGNORE_TEXT or flagged,
    )


def write_labelme(
    pages: Sequence[PageLabels], out: Path, images_root: Path | None = None
) -> WriteReport:
    report = WriteReport()
    out.mkdir(parents=True, exist_ok=True)
    for page in check_unique_stems(pages, report):
        w, h = page.width, page.height
        if (w is None or h is None) and images_root is not None:
            w, h = image_size(images_root / page.image)
        doc: dict[str, Any] = {
            "version": LABELME_VERSION,
            "flags": {},
            "shapes": [_shape_dict(r) for r in page.regions],
            "imagePath": image_ref_for_output(page, images_root, out),
            "imageData": None,
            "imageHeight": h,
            "imageWidth": w,
        }
        path = out / f"{Path(page.image).stem}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        report.files.append(path)
        report.regions += len(page.regions)
    return report


def _shape_dict(r: Region) -> dict[str, Any]:
    return {
        "label": IGNORE_TEXT if r.ignore else r.text,
        "points": [[json_num(x), json_num(y)] for x, y in r.polygon.points],
        "group_id": None,
        "description": r.text,
        "shape_type": "polygon",
        "flags": {"ignore": r.ignore},
    }
