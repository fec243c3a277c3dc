"""Annotation formats: read and write `PageLabels` as free functions, one module per format.

The public API is this module's: `FORMAT_NAMES`, `read_labels`, `write_labels`,
`detect_format`, `WriteReport` and `FormatError` (an `InputError` naming file and line).
Points are kept exactly as a file gives them; a writer that cannot express a shape
reduces it and counts that in its report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ocrstudio.core.errors import InputError
from ocrstudio.core.types import PageLabels
from ocrstudio.formats.common import FormatError, WriteReport, load_json, natural_key, text_lines
from ocrstudio.formats.crops import write_crops
from ocrstudio.formats.funsd import is_funsd, read_funsd
from ocrstudio.formats.icdar import (
    LINE_2013,
    read_icdar2013,
    read_icdar2015,
    write_icdar2013,
    write_icdar2015,
)
from ocrstudio.formats.labelme import read_labelme, write_labelme
from ocrstudio.formats.mmocr import read_mmocr, write_mmocr
from ocrstudio.formats.paddleocr import LABEL_FILE, read_paddleocr, write_paddleocr
from ocrstudio.formats.polygon import TEXT_MARK, read_polygon, write_polygon
from ocrstudio.formats.ppocrlabel import STATE_FILE, read_ppocrlabel, write_ppocrlabel
from ocrstudio.formats.words import LIST_FILE, read_words, words_root, write_words

__all__ = [
    "FORMAT_NAMES",
    "READ_ONLY",
    "WRITE_ONLY",
    "FormatError",
    "WriteReport",
    "detect_format",
    "read_labels",
    "write_labels",
]

FORMAT_NAMES: tuple[str, ...] = (
    "icdar2015", "icdar2013", "polygon", "paddleocr", "ppocrlabel", "labelme", "mmocr",
    "words", "funsd", "crops",
)  # fmt: skip

WRITE_ONLY: tuple[str, ...] = ("crops",)
READ_ONLY: tuple[str, ...] = ("funsd",)

Reader = Callable[[Path, Path | None], list[PageLabels]]
# Readers of formats that name image paths: they take `allow_outside` too.
_PATH_READERS = frozenset({"paddleocr", "ppocrlabel", "labelme", "mmocr", "words"})
Writer = Callable[[Sequence[PageLabels], Path, Path | None], WriteReport]

_READERS: dict[str, Reader] = {
    "icdar2015": read_icdar2015,
    "icdar2013": read_icdar2013,
    "polygon": read_polygon,
    "paddleocr": read_paddleocr,
    "ppocrlabel": read_ppocrlabel,
    "labelme": read_labelme,
    "mmocr": read_mmocr,
    "words": read_words,
    "funsd": read_funsd,
}

_WRITERS: dict[str, Writer] = {
    "icdar2015": lambda pages, out, _root: write_icdar2015(pages, out),
    "icdar2013": lambda pages, out, _root: write_icdar2013(pages, out),
    "polygon": lambda pages, out, _root: write_polygon(pages, out),
    "paddleocr": write_paddleocr,
    "ppocrlabel": write_ppocrlabel,
    "labelme": write_labelme,
    "mmocr": write_mmocr,
    "words": write_words,
    "crops": write_crops,
}


def _check_name(fmt: str) -> None:
    if fmt not in FORMAT_NAMES:
        raise InputError(f"unknown format {fmt!r}; known: {', '.join(FORMAT_NAMES)}")


def read_labels(
    fmt: str, labels: Path, images: Path | None = None, allow_outside: bool = False
) -> list[PageLabels]:
    """Read a labels folder or file. With `images`, each page's image is found there and
    named relative to it (a label file without an image is a FormatError, and so is an
    image path that leads outside `images`, unless `allow_outside`); without, the image is
    named as the labels reference it."""
    _check_name(fmt)
    if fmt not in _READERS:
        raise InputError(f"{fmt} is an export-only format")
    labels, images = Path(labels), None if images is None else Path(images)
    if not labels.exists():
        raise FormatError("no such file or folder", labels)
    if images is not None and not images.is_dir():
        raise InputError("image folder not found", images)
    if fmt in _PATH_READERS:
        return _READERS[fmt](labels, images, allow_outside)  # type: ignore[call-arg]
    return _READERS[fmt](labels, images)


def write_labels(
    fmt: str,
    pages: Sequence[PageLabels],
    out: Path,
    images_root: Path | None = None,
    final: Path | None = None,
) -> WriteReport:
    """Write pages in a format under `out` (a folder; single-file formats also take a file
    path). `images_root` locates `PageLabels.image` (pixels for crops, relative paths for
    formats that store image paths). `final` is where `out` will be once renamed there
    (PPOCRLabel's folder names itself and its absolute paths inside)."""
    _check_name(fmt)
    if fmt not in _WRITERS:
        raise InputError(f"{fmt} is an import-only format")
    out = Path(out)
    if out.suffix == "":
        out.mkdir(parents=True, exist_ok=True)
    root = None if images_root is None else Path(images_root)
    if fmt == "ppocrlabel":
        return write_ppocrlabel(pages, out, root, None if final is None else Path(final))
    return _WRITERS[fmt](pages, out, root)


def detect_format(path: Path) -> str:
    """Guess the format of a labels folder or file from its names and first lines."""
    path = Path(path)
    if path.is_dir():
        if (path / LABEL_FILE).is_file():
            return "ppocrlabel" if (path / STATE_FILE).is_file() else "paddleocr"
        if words_root(path) is not None or (path / LIST_FILE).is_file():
            return "words"
        files = sorted((p for p in path.iterdir() if p.is_file()), key=natural_key)
        jsons = [p for p in files if p.suffix.lower() == ".json"]
        if jsons:
            return _json_kind(jsons[0])
        txts = [p for p in files if p.suffix.lower() == ".txt"]
        if txts:
            return _text_kind(txts[:20])
        raise FormatError("cannot tell the format: no .txt or .json label files", path)
    if not path.is_file():
        raise FormatError("no such file or folder", path)
    if path.suffix.lower() == ".json":
        return _json_kind(path)
    if path.name == LABEL_FILE:
        return "paddleocr"
    first = next((line for _, line in text_lines(path)), "")
    if "\t" in first:
        return "paddleocr" if first.partition("\t")[2].lstrip().startswith("[") else "words"
    return _text_kind([path])


def _json_kind(path: Path) -> str:
    doc = load_json(path)
    if isinstance(doc, dict) and "data_list" in doc:
        return "mmocr"
    if isinstance(doc, dict) and "shapes" in doc:
        return "labelme"
    if is_funsd(doc):
        return "funsd"
    raise FormatError("cannot tell the format: JSON is neither labelme, MMOCR nor FUNSD", path)


def _text_kind(files: Sequence[Path]) -> str:
    votes: dict[str, int] = {}
    ambiguous = 0
    for f in files:
        for _, line in list(text_lines(f))[:50]:
            kind = _line_kind(line)
            if kind == "polygon":
                return kind
            if kind == AMBIGUOUS:
                ambiguous += 1
            elif kind is not None:
                votes[kind] = votes.get(kind, 0) + 1
    if not votes:  # numbers alone: polygons without text; empty files: the common format
        return "polygon" if ambiguous else "icdar2015"
    return max(votes, key=lambda k: votes[k])


AMBIGUOUS = "ambiguous"  # a line either of two formats reads


def _line_kind(line: str) -> str | None:
    if TEXT_MARK in line:
        return "polygon"
    k = 0
    for token in line.split(","):
        try:
            float(token)
        except ValueError:
            break
        k += 1
    if k in (8, 9):
        return "icdar2015"
    if k > 9 and k == len(line.split(",")):
        return AMBIGUOUS  # an ICDAR 2015 line reading "40,257", or a polygon without text
    if k > 9 or k in (6, 7):
        return "polygon"
    if LINE_2013.match(line):
        return "icdar2013"
    return None
