"""The `crops` export (write-only): every legible, transcribed region cut out of its image
and straightened by `core.geometry.crop_polygon`, saved as `crops/<image stem>_<k>.png`
(k = the region's index in its page), plus `rec_gt.txt` with lines
`crops/<name>.png<TAB>text` (readable back with the `words` format). The PaddleOCR export
writes the same beside its `Label.txt` in PPOCRLabel's layout (`PADDLE_LAYOUT`:
`crop_img/<stem>_crop_<k>.png`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ocrstudio.core.errors import InputError
from ocrstudio.core.geometry import area, crop_polygon
from ocrstudio.core.images import read_image
from ocrstudio.core.types import PageLabels
from ocrstudio.formats.common import FormatError, WriteReport, check_unique_stems, write_text
from ocrstudio.formats.words import LIST_FILE, clean_text

CROPS_DIR = "crops"


@dataclass(frozen=True)
class CropLayout:
    """Where the crops go: a folder beside `rec_gt.txt`, and a file name per region."""

    folder: str = CROPS_DIR
    name: str = "{stem}_{k:03d}.png"


PADDLE_LAYOUT = CropLayout("crop_img", "{stem}_crop_{k}.png")  # as PPOCRLabel names them


def write_crops(
    pages: Sequence[PageLabels],
    out: Path,
    images_root: Path | None = None,
    layout: CropLayout = CropLayout(),
) -> WriteReport:
    report = WriteReport()
    folder = layout.folder
    (out / folder).mkdir(parents=True, exist_ok=True)
    lines = []
    for page in check_unique_stems(pages, report):
        wanted = [(k, r) for k, r in enumerate(page.regions) if _keep(page, k, r, report)]
        if not wanted:
            continue
        src = Path(page.image) if images_root is None else images_root / page.image
        if not src.exists():
            raise FormatError("image not found", src)
        try:  # EXIF orientation applied, as the project stores coordinates
            pixels = read_image(src)
        except InputError as exc:  # the export's input, named as a format error
            raise FormatError(exc.reason, src) from None
        for k, r in wanted:
            if not _within(r.polygon.as_array(), pixels.shape):
                report.skip(f"{page.image} region {k}", "coordinates far outside the image")
                continue
            name = layout.name.format(stem=Path(page.image).stem, k=k)
            Image.fromarray(crop_polygon(pixels, r.polygon)).save(out / folder / name)
            lines.append(f"{folder}/{name}\t{clean_text(r.text)}")
            report.files.append(out / folder / name)
            report.regions += 1
    write_text(out / LIST_FILE, lines, report)
    return report


def _within(points: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Finite and no further outside the image than its own size (a 1e300 would overflow
    the crop's arithmetic)."""
    h, w = shape[:2]
    xs, ys = points[:, 0], points[:, 1]
    return bool(
        np.isfinite(points).all()
        and xs.min() >= -w
        and xs.max() <= 2 * w
        and ys.min() >= -h
        and ys.max() <= 2 * h
    )


def _keep(page: PageLabels, k: int, region, report: WriteReport) -> bool:
    what = f"{page.image} region {k}"
    if region.ignore:
        report.skip(what, "don't-care")
    elif not region.text:
        report.skip(what, "no transcription")
    elif area(region.polygon) == 0.0:
        report.skip(what, "no area")
    else:
        return True
    return False
