"""FUNSD (Jaume et al. 2019), read only: one JSON file per scanned form, `form` a list of
entities, each with its `words` ({"box": [x1, y1, x2, y2], "text"}). Each word becomes an
axis-aligned quad region; a word with an empty text (unreadable on the scan) is a
don't-care region, as `###` is in ICDAR files. The image is the JSON file's stem under
the image folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.formats.common import FormatError, ImageIndex, label_files, load_json, real
from ocrstudio.formats.icdar import page_image


def is_funsd(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("form"), list)


def read_funsd(labels: Path, images: Path | None = None) -> list[PageLabels]:
    index = ImageIndex(images) if images is not None else None
    pages = []
    for f in label_files(labels, ".json"):
        doc = load_json(f)
        if not is_funsd(doc):
            raise FormatError("not a FUNSD file: no 'form' list", f)
        regions = [
            _word(w, f, k) for k, entity in enumerate(doc["form"]) for w in _words(entity, f, k)
        ]
        image, w, h = page_image(f, index)
        pages.append(PageLabels(image=image, regions=tuple(regions), width=w, height=h))
    return pages


def _words(entity: Any, path: Path, k: int) -> list[Any]:
    if not isinstance(entity, dict) or not isinstance(entity.get("words", []), list):
        raise FormatError(f"entity {k} is not an object with a 'words' list", path)
    return list(entity.get("words", []))


def _word(word: Any, path: Path, k: int) -> Region:
    box = word.get("box") if isinstance(word, dict) else None
    text = word.get("text", "") if isinstance(word, dict) else None
    if not isinstance(box, list) or len(box) != 4 or not isinstance(text, str):
        raise FormatError(f"a word of entity {k} needs a 4-number 'box' and a 'text'", path)
    try:
        x0, y0, x1, y1 = (real(v) for v in box)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"a word box of entity {k}: {exc}", path) from None
    if x1 <= x0 or y1 <= y0:
        raise FormatError(f"a word box of entity {k} is empty: {box}", path)
    quad = Polygon.from_flat([x0, y0, x1, y0, x1, y1, x0, y1])
    return Region(polygon=quad, text=text, ignore=not text.strip())
