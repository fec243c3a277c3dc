"""ICDAR 2015 (quads) and ICDAR 2013 (axis-aligned boxes): one `gt_<image stem>.txt` per
image.

ICDAR 2015 line: `x1,y1,x2,y2,x3,y3,x4,y4,transcription`, split on the first 8 commas only
(the text may hold commas); `###` marks a don't-care region; a line of 8 numbers alone
(a detection result file) has no text. ICDAR 2013 line: `xmin ymin xmax ymax "text"`, the
separators being spaces or commas (both occur in the official files); inside the quotes
`\\"` is a quote and `\\\\` a backslash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ocrstudio.core.geometry import min_area_quad
from ocrstudio.core.images import IMAGE_SUFFIXES
from ocrstudio.core.types import IGNORE_TEXT, PageLabels, Polygon, Region
from ocrstudio.formats.common import (
    FormatError,
    ImageIndex,
    WriteReport,
    check_unique_stems,
    image_size,
    label_files,
    parse_num,
    text_lines,
    write_text,
)

LABEL_PREFIXES = ("gt_", "res_")

LineParser = Callable[[str, Path, int], Region]


def image_stem(label_file: Path) -> str:
    """`gt_img_1.txt` -> `img_1` (also `res_`, the prefix of result files)."""
    stem = label_file.stem
    for prefix in LABEL_PREFIXES:
        if stem.startswith(prefix):
            return stem[len(prefix) :]
    return stem


def page_image(label_file: Path, index: ImageIndex | None) -> tuple[str, int | None, int | None]:
    """The image a per-image label file belongs to, found by stem under the image folder;
    without one, the bare stem (the file names no extension)."""
    stem = image_stem(label_file)
    if index is None:
        return stem, None, None
    found = index.by_stem(stem, label_file.stem)
    if found is None:
        raise FormatError(
            f"no image {stem}.({'|'.join(x[1:] for x in IMAGE_SUFFIXES)}) under {index.root} "
            "for this label file",
            label_file,
        )
    return index.relative(found), *image_size(found)


def read_per_image(
    labels: Path, images: Path | None, parse: LineParser, suffix: str = ".txt"
) -> list[PageLabels]:
    """Read every per-image label file of a folder (or the one file) with a line parser."""
    index = ImageIndex(images) if images is not None else None
    pages = []
    for f in label_files(labels, suffix):
        regions = tuple(parse(line, f, n) for n, line in text_lines(f))
        image, w, h = page_image(f, index)
        pages.append(PageLabels(image=image, regions=regions, width=w, height=h))
    return pages


def text_region(polygon: Polygon, text: str) -> Region:
    return Region(polygon=polygon, text=text, ignore=text == IGNORE_TEXT)


def one_line(text: str) -> str:
    """Line breaks cannot live inside a line-based format: they become spaces."""
    return text.replace("\r", " ").replace("\n", " ")


# --- ICDAR 2015 ----------------------------------------------------------------------------


def parse_icdar2015_line(line: str, path: Path, n: int) -> Region:
    parts = line.split(",", 8)
    if len(parts) < 8:
        raise FormatError(f"expected x1,y1,...,x4,y4[,text], got {len(parts)} fields", path, n)
    coords = [parse_num(v, path, n) for v in parts[:8]]
    return text_region(Polygon.from_flat(coords), parts[8] if len(parts) == 9 else "")


def read_icdar2015(labels: Path, images: Path | None = None) -> list[PageLabels]:
    return read_per_image(labels, images, parse_icdar2015_line)


def whole_pixels(values: np.ndarray, report: WriteReport) -> list[str]:
    """ICDAR's coordinates are integers (its evaluation scripts and tools read them so):
    round half to even, and count the regions that moved (`rounded`)."""
    ints = np.rint(values)
    report.rounded += bool((ints != values).any())
    return [str(int(v)) for v in ints.ravel()]


def write_icdar2015(pages: Sequence[PageLabels], out: Path) -> WriteReport:
    """`gt_<stem>.txt` per page (empty pages too), coordinates in whole pixels (`rounded`
    counts the regions that moved). Polygons of other than 4 points are written as their
    minimum-area quad (counted in `reduced`)."""
    report = WriteReport()
    for page in check_unique_stems(pages, report):
        lines = []
        for r in page.regions:
            pts = r.polygon.as_array()
            if len(pts) != 4:
                pts = min_area_quad(pts)
                report.reduced += 1
            text = IGNORE_TEXT if r.ignore else one_line(r.text)
            lines.append(",".join([*whole_pixels(pts, report), text]))
            report.regions += 1
        write_text(out / f"gt_{Path(page.image).stem}.txt", lines, report)
    return report


# --- ICDAR 2013 ----------------------------------------------------------------------------

_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_SEP = r"(?:\s*,\s*|\s+)"
LINE_2013 = re.compile(rf"^\s*{_NUM}{_SEP}{_NUM}{_SEP}{_NUM}{_SEP}{_NUM}(?:{_SEP}(.*))?$")
_UNESCAPE = re.compile(r'\\(["\\])')


def parse_icdar2013_line(line: str, path: Path, n: int) -> Region:
    m = LINE_2013.match(line)
    if m is None:
        raise FormatError('expected xmin ymin xmax ymax "text"', path, n)
    x0, y0, x1, y1 = (parse_num(v, path, n) for v in m.groups()[:4])
    text = (m.group(5) or "").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = _UNESCAPE.sub(r"\1", text[1:-1])
    return text_region(Polygon.from_box(x0, y0, x1, y1), text)


def read_icdar2013(labels: Path, images: Path | None = None) -> list[PageLabels]:
    return read_per_image(labels, images, parse_icdar2013_line)


def write_icdar2013(pages: Sequence[PageLabels], out: Path) -> WriteReport:
    """`gt_<stem>.txt` per page, `xmin, ymin, xmax, ymax, "text"` in whole pixels. Shapes
    that are not already that box (clockwise from top-left) are written as their bounds
    (`boxed`)."""
    report = WriteReport()
    for page in check_unique_stems(pages, report):
        lines = []
        for r in page.regions:
            box = Polygon.from_box(*r.polygon.bounds)
            report.boxed += box != r.polygon
            text = IGNORE_TEXT if r.ignore else one_line(r.text)
            quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
            bounds = np.asarray(r.polygon.bounds, dtype=np.float64)
            lines.append(", ".join([*whole_pixels(bounds, report), quoted]))
            report.regions += 1
        write_text(out / f"gt_{Path(page.image).stem}.txt", lines, report)
    return report
