"""PaddleOCR detection labels: one `Label.txt` with a line per image,
`image path<TAB>[{"transcription": ..., "points": [[x, y], ...], "difficult": false}, ...]`.

The JSON is parsed with `json`, never evaluated. A region is don't-care when its
transcription is `###` or `difficult` is true; the writer sets both for ignored regions
(PaddleOCR's own training looks only at `###`, so an ignored region's text is not kept).
Image paths are written relative to the folder holding `Label.txt` when the images can be
located (PaddleOCR joins them with its `data_dir`). Written to a folder with the images at
hand, the export is PPOCRLabel's: `Label.txt`, plus the recognition set `rec_gt.txt` and
`crop_img/` (see `formats.crops`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ocrstudio.core.types import IGNORE_TEXT, PageLabels, Polygon, Region
from ocrstudio.formats.common import (
    FormatError,
    WriteReport,
    flag,
    image_ref_for_output,
    json_num,
    parse_json,
    real,
    resolve_image,
    text_lines,
    write_text,
)

LABEL_FILE = "Label.txt"


def label_path(labels: Path) -> Path:
    return labels / LABEL_FILE if labels.is_dir() else labels


def read_paddleocr(
    labels: Path, images: Path | None = None, allow_outside: bool = False
) -> list[PageLabels]:
    path = label_path(labels)
    if not path.is_file():
        raise FormatError(f"no {LABEL_FILE} here", path)
    pages = []
    for n, line in text_lines(path):
        ref, sep, payload = line.partition("\t")
        if not sep:
            raise FormatError("expected image path<TAB>JSON list", path, n)
        items = parse_json(payload, path, n)
        if not isinstance(items, list):
            raise FormatError("expected a JSON list of regions", path, n)
        regions = tuple(_region(item, path, n, k) for k, item in enumerate(items))
        image, w, h = resolve_image(ref, images, path, n, allow_outside)
        pages.append(PageLabels(image=image, regions=regions, width=w, height=h))
    return pages


def _region(item: Any, path: Path, n: int, k: int) -> Region:
    where = f"region {k}: "
    if not isinstance(item, dict):
        raise FormatError(where + "expected a JSON object", path, n)
    text = item.get("transcription", "")
    if not isinstance(text, str):
        raise FormatError(where + "transcription is not a string", path, n)
    try:
        polygon = Polygon.from_array(_numbers(item["points"]))
    except KeyError:
        raise FormatError(where + "no 'points'", path, n) from None
    except (TypeError, ValueError) as exc:
        raise FormatError(where + f"bad points: {exc}", path, n) from None
    try:
        ignore = text == IGNORE_TEXT or flag(item.get("difficult", False), "difficult")
    except ValueError as exc:
        raise FormatError(where + str(exc), path, n) from None
    return Region(polygon=polygon, text=text, ignore=ignore)


def _numbers(points: Any) -> list[list[float]]:
    """[[x, y], ...] as floats; booleans and strings are refused, not coerced."""
    if not isinstance(points, list) or not all(isinstance(p, list) and len(p) == 2 for p in points):
        raise ValueError("expected a list of [x, y] number pairs")
    return [[real(v) for v in p] for p in points]


def write_paddleocr(
    pages: Sequence[PageLabels], out: Path, images_root: Path | None = None
) -> WriteReport:
    report = WriteReport()
    path = out if out.suffix.lower() == ".txt" else out / LABEL_FILE
    lines = []
    for page in pages:
        ref = image_ref_for_output(page, images_root, path.parent)
        if "\t" in ref or "\n" in ref:
            report.skip(page.image, "image path holds a tab or line break")
            continue
        items = [
            {
                "transcription": IGNORE_TEXT if r.ignore else r.text,
                "points": [[json_num(x), json_num(y)] for x, y in r.polygon.points],
                "difficult": r.ignore,
            }
            for r in page.regions
        ]
        report.regions += len(items)
        lines.append(f"{ref}\t{json.dumps(items, ensure_ascii=False)}")
    write_text(path, lines, report)
    if images_root is not None and path.parent == out:
        from ocrstudio.formats.crops import PADDLE_LAYOUT, write_crops

        crops = write_crops(pages, out, images_root, PADDLE_LAYOUT)
        report.files += crops.files
        report.crops = crops.regions
        report.skipped += [
            (w, f"no crop: {why}")
            for w, why in crops.skipped
            if why not in ("don't-care", "no transcription")
        ]
    return report
