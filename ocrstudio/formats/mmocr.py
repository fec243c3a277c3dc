"""MMOCR 1.x text detection / spotting annotations: one JSON file,

    {"metainfo": {"dataset_type": "TextDetDataset", "task_name": "textdet",
                  "category": [{"id": 0, "name": "text"}]},
     "data_list": [{"img_path": ..., "height": h, "width": w,
                    "instances": [{"polygon": [x1, y1, ...], "bbox": [x0, y0, x1, y1],
                                   "bbox_label": 0, "ignore": false, "text": "..."}]}]}

`polygon` is the region (`bbox` when there is no polygon), `ignore` the don't-care flag,
`text` the transcription (MMOCR's textspotting key; absent in pure textdet files).
The writer's default file name is `textdet.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.formats.common import (
    FormatError,
    WriteReport,
    flag,
    image_ref_for_output,
    json_num,
    load_json,
    real,
    resolve_image,
)

DEFAULT_FILE = "textdet.json"


def label_path(labels: Path) -> Path:
    if labels.is_dir():
        found = sorted(p for p in labels.glob("*.json"))
        if not found:
            raise FormatError("no MMOCR .json file in this folder", labels)
        return labels / DEFAULT_FILE if (labels / DEFAULT_FILE).is_file() else found[0]
    return labels


def read_mmocr(
    labels: Path, images: Path | None = None, allow_outside: bool = False
) -> list[PageLabels]:
    path = label_path(labels)
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("data_list"), list):
        raise FormatError("not an MMOCR 1.x file: no 'data_list' list", path)
    pages = []
    for k, entry in enumerate(doc["data_list"]):
        where = f"data_list[{k}]: "
        if not isinstance(entry, dict) or not isinstance(entry.get("img_path"), str):
            raise FormatError(where + "expected an object with 'img_path'", path)
        instances = entry.get("instances", [])
        if not isinstance(instances, list):
            raise FormatError(where + "'instances' is not a list", path)
        regions = tuple(
            _instance(inst, path, f"{where}instance {i}: ") for i, inst in enumerate(instances)
        )
        image, w, h = resolve_image(entry["img_path"], images, path, None, allow_outside)
        w = w if w is not None else _int(entry.get("width"))
        h = h if h is not None else _int(entry.get("height"))
        pages.append(PageLabels(image=image, regions=regions, width=w, height=h))
    return pages


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _instance(inst: Any, path: Path, where: str) -> Region:
    if not isinstance(inst, dict):
        raise FormatError(where + "expected a JSON object", path)
    try:
        if inst.get("polygon"):
            polygon = Polygon.from_flat(_reals(inst["polygon"]))
        elif inst.get("bbox"):
            polygon = Polygon.from_box(*_reals(inst["bbox"], 4))
        else:
            raise ValueError("neither 'polygon' nor 'bbox'")
        ignore = flag(inst.get("ignore", False), "'ignore'")
    except (TypeError, ValueError) as exc:
        raise FormatError(where + str(exc), path) from None
    text = inst.get("text", "")
    if not isinstance(text, str):
        raise FormatError(where + "'text' is not a string", path)
    return Region(polygon=polygon, text=text, ignore=ignore)


def _reals(values: Any, count: int | None = None) -> list[float]:
    if not isinstance(values, list):
        raise ValueError("expected a flat list of numbers")
    if count is not None and len(values) != count:
        raise ValueError(f"expected {count} numbers, got {len(values)}")
    return [real(v) for v in values]


def write_mmocr(
    pages: Sequence[PageLabels], out: Path, images_root: Path | None = None
) -> WriteReport:
    report = WriteReport()
    path = out if out.suffix.lower() == ".json" else out / DEFAULT_FILE
    data_list = []
    for page in pages:
        data_list.append(
            {
                "img_path": image_ref_for_output(page, images_root, path.parent),
                "height": page.height,
                "width": page.width,
                "instances": [_instance_dict(r) for r in page.regions],
            }
        )
        report.regions += len(page.regions)
    doc = {
        "metainfo": {
            "dataset_type": "TextDetDataset",
            "task_name": "textdet",
            "category": [{"id": 0, "name": "text"}],
        },
        "data_list": data_list,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    report.files.append(path)
    return report


def _instance_dict(r: Region) -> dict[str, Any]:
    return {
        "polygon": [json_num(v) for v in r.polygon.flat()],
        "bbox": [json_num(v) for v in r.polygon.bounds],
        "bbox_label": 0,
        "ignore": r.ignore,
        "text": r.text,
    }
