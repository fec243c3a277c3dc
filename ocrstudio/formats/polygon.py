"""Polygon text files (Total-Text / CTW1500 style): one `<image stem>.txt` per image (a
`gt_` prefix is accepted on reading), one region per line, any number of points.

Line syntax, as written:  `x1,y1,x2,y2,...,xn,yn,####text`  (n >= 3). The `,####` marker
(CTW1500's convention) ends the coordinates, so the text may hold anything, commas and
digits included; `###` as the text marks a don't-care region (`,#######`).

Also read, for files from elsewhere: `x1,y1,...,xn,yn,text` without the marker. There the
coordinates are the leading comma-separated numbers: an even count of them when text
follows; when the count is odd the last number belongs to the text (a numeric word); a
line of numbers alone has no text. A purely numeric text holding a comma cannot be told
from coordinates in this form, which is why the writer always uses the marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ocrstudio.core.types import IGNORE_TEXT, PageLabels, Polygon, Region
from ocrstudio.formats.common import (
    FormatError,
    WriteReport,
    check_unique_stems,
    fmt_num,
    parse_num,
    write_text,
)
from ocrstudio.formats.icdar import one_line, read_per_image, text_region

TEXT_MARK = ",####"


def _is_num(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def parse_polygon_line(line: str, path: Path, n: int) -> Region:
    if TEXT_MARK in line:
        head, text = line.split(TEXT_MARK, 1)
        coords = head.split(",")
    else:
        tokens = line.split(",")
        k = 0
        while k < len(tokens) and _is_num(tokens[k]):
            k += 1
        if k % 2:
            k -= 1
        coords, text = tokens[:k], ",".join(tokens[k:])
    if len(coords) < 6 or len(coords) % 2:
        raise FormatError(
            f"expected at least 3 points (an even count of numbers), got {len(coords)} numbers",
            path,
            n,
        )
    return text_region(Polygon.from_flat(parse_num(v, path, n) for v in coords), text)


def read_polygon(labels: Path, images: Path | None = None) -> list[PageLabels]:
    return read_per_image(labels, images, parse_polygon_line)


def format_polygon_line(region: Region) -> str:
    text = IGNORE_TEXT if region.ignore else one_line(region.text)
    return ",".join(fmt_num(v) for v in region.polygon.flat()) + TEXT_MARK + text


def write_polygon(pages: Sequence[PageLabels], out: Path) -> WriteReport:
    report = WriteReport()
    for page in check_unique_stems(pages, report):
        lines = [format_polygon_line(r) for r in page.regions]
        report.regions += len(lines)
        write_text(out / f"{Path(page.image).stem}.txt", lines, report)
    return report
