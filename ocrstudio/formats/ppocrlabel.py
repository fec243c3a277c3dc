"""PPOCRLabel's own folder, which its "Open Dir" takes as it is: the images copied into the
folder, `Label.txt` beside them, and `fileState.txt` saying which images were checked.

PPOCRLabel keys `Label.txt` by the image's last two path parts (`FOLDER/img.jpg`, where
FOLDER is this folder's own name), reads each line's list with Python's `eval` after
turning `true`/`false` into `True`/`False`, and keys `fileState.txt` by the image's absolute
path (`/abs/FOLDER/img.jpg<TAB>1`). Its points are whole pixels. So the writer needs the
folder's final place (`final`; an export is written in a scratch folder first and renamed).

A page is marked checked when every region of it was verified by a person; a page without
regions is left unchecked (PPOCRLabel auto-labels only unchecked images, and an image
never labelled must stay among them). Word crops are not written: PPOCRLabel lists every
image under the folder, crops included; its own "Export Recognition Result" makes them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from ocrstudio.core.types import IGNORE_TEXT, PageLabels, Region
from ocrstudio.formats.common import FormatError, WriteReport, write_text
from ocrstudio.formats.paddleocr import LABEL_FILE, read_paddleocr

STATE_FILE = "fileState.txt"


def read_ppocrlabel(
    labels: Path, images: Path | None = None, allow_outside: bool = False
) -> list[PageLabels]:
    """The folder's `Label.txt`; its images are found in the folder itself by default."""
    folder = labels if labels.is_dir() else labels.parent
    return read_paddleocr(labels, images if images is not None else folder, allow_outside)


def write_ppocrlabel(
    pages: Sequence[PageLabels], out: Path, images_root: Path | None, final: Path | None = None
) -> WriteReport:
    """Copy each page's image into `out` and write `Label.txt` and `fileState.txt` for the
    folder's place `final` (default: `out`)."""
    if images_root is None:
        raise FormatError("PPOCRLabel's folder holds the images: they must be at hand", out)
    report = WriteReport()
    home = (final or out).resolve()
    labels, states = [], []
    names: set[str] = set()
    for page in pages:
        source = images_root / page.image
        name = _unique_name(page.image, names)
        if "\t" in name or "\n" in name:
            report.skip(page.image, "image name holds a tab or line break")
            continue
        if not source.is_file():
            report.skip(page.image, "image file not found")
            continue
        shutil.copy2(source, out / name)  # a copy: PPOCRLabel's rotate rewrites the file
        report.files.append(out / name)
        names.add(name)
        items = [_item(r, report) for r in page.regions]
        report.regions += len(items)
        labels.append(f"{home.name}/{name}\t{json.dumps(items, ensure_ascii=False)}")
        if page.regions and all(r.verified for r in page.regions):
            states.append(f"{home / name}\t1")
    write_text(out / LABEL_FILE, labels, report)
    write_text(out / STATE_FILE, states, report)
    return report


def _unique_name(image: str, taken: set[str]) -> str:
    """The image's file name, or its path joined by '_' when another image took it
    (the folder is flat: PPOCRLabel keys labels by the last two path parts)."""
    name = Path(image).name
    if name not in taken:
        return name
    flat = Path(image).as_posix().lstrip("./").replace("/", "_")
    stem, suffix, k = Path(flat).stem, Path(flat).suffix, 2
    while flat in taken:
        flat, k = f"{stem}-{k}{suffix}", k + 1
    return flat


def _item(region: Region, report: WriteReport) -> dict[str, object]:
    points = [[round(x), round(y)] for x, y in region.polygon.points]
    if any(
        float(x) != px or float(y) != py
        for (x, y), (px, py) in zip(region.polygon.points, points, strict=True)
    ):
        report.rounded += 1
    return {
        "transcription": IGNORE_TEXT if region.ignore else region.text,
        "points": points,
        "difficult": region.ignore,
    }
