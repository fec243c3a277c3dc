"""What the format modules share: the error type, the write report, reading text files
line by line, number formatting, and finding the image a label file belongs to."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from ocrstudio.core.errors import InputError
from ocrstudio.core.types import PageLabels

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
_EXIF_ORIENTATION = 0x0112


class FormatError(InputError):
    """A label file that does not follow its format (names the file and line)."""


@dataclass
class WriteReport:
    """What a writer did. `reduced` counts polygons of more than (or fewer than) 4 points
    written as their minimum-area quad; `boxed` those written as their axis-aligned box."""

    files: list[Path] = field(default_factory=list)
    regions: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    reduced: int = 0
    boxed: int = 0

    def skip(self, what: str, why: str) -> None:
        self.skipped.append((what, why))


def read_text(path: Path) -> str:
    """A whole UTF-8 file, BOM dropped; unreadable or undecodable files become FormatError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", path) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError("not UTF-8 text", path, line) from exc


def load_json(path: Path) -> Any:
    """A JSON file; syntax errors become FormatError with the line."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) for each non-blank line. Splits on LF only (CRLF
    tolerated), so a transcription may hold any other character."""
    for n, line in enumerate(read_text(path).split("\n"), 1):
        line = line.removesuffix("\r")
        if line.strip():
            yield n, line


def write_text(path: Path, lines: Sequence[str], report: WriteReport) -> None:
    """UTF-8 without BOM, LF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8", newline="\n")
    report.files.append(path)


def fmt_num(v: float) -> str:
    """Shortest text that reads back as exactly the same float (integers without '.0')."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def json_num(v: float) -> int | float:
    """Integral floats as JSON integers (shorter files, same value read back)."""
    return int(v) if float(v).is_integer() else float(v)


def parse_num(text: str, path: Path, line: int) -> float:
    try:
        v = float(text)
    except ValueError:
        raise FormatError(f"not a number: {text.strip()!r}", path, line) from None
    if v != v or v in (float("inf"), float("-inf")):
        raise FormatError(f"not a finite number: {text.strip()!r}", path, line)
    return v


def natural_key(path: Path | str) -> tuple:
    """Sort img_2 before img_10."""
    parts = re.split(r"(\d+)", str(path))
    return tuple(int(p) if p.isdigit() else p for p in parts)


def label_files(labels: Path, suffix: str) -> list[Path]:
    """The label files of a folder (sorted naturally) or the one file given."""
    if labels.is_dir():
        return sorted((p for p in labels.iterdir() if p.suffix.lower() == suffix), key=natural_key)
    if labels.is_file():
        return [labels]
    raise FormatError("no such file or folder", labels)


def image_size(path: Path) -> tuple[int | None, int | None]:
    """(width, height) from the image header, EXIF orientation applied; (None, None) when
    the file is not a readable image."""
    try:
        with Image.open(path) as im:
            w, h = im.size
            orientation = im.getexif().get(_EXIF_ORIENTATION, 1)
    except (OSError, UnidentifiedImageError, ValueError):
        return None, None
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


class ImageIndex:
    """Finds images under a folder by stem or relative path, listing the folder once."""

    def __init__(self, root: Path):
        self.root = root
        self._by_stem: dict[str, Path] = {}
        for p in sorted(root.rglob("*"), key=natural_key):
            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file():
                self._by_stem.setdefault(p.stem, p)

    def by_stem(self, *stems: str) -> Path | None:
        for s in stems:
            if s in self._by_stem:
                return self._by_stem[s]
        return None

    def relative(self, p: Path) -> str:
        return Path(os.path.relpath(p, self.root)).as_posix()


def resolve_image(
    ref: str, images: Path | None, label_file: Path, line: int | None = None
) -> tuple[str, int | None, int | None]:
    """Turn an image reference found in a label file into (image, width, height).

    With `images`, the reference is tried as given (absolute, relative to `images`, then
    relative to the label file's folder), then by file name under `images`; the result is
    relative to `images`, and a miss is a FormatError. Without `images`, the reference is
    kept as written and the size looked up only when the file is found."""
    candidates = [Path(ref)] if Path(ref).is_absolute() else []
    if images is not None:
        candidates += [images / ref, label_file.parent / ref, images / Path(ref).name]
    else:
        candidates += [label_file.parent / ref]
    found = next((c for c in candidates if c.is_file()), None)
    if images is None:
        w, h = image_size(found) if found else (None, None)
        return ref, w, h
    if found is None:
        raise FormatError(f"image not found: {ref} (looked under {images})", label_file, line)
    return relative_to(found, images), *image_size(found)


def relative_to(path: Path, root: Path) -> str:
    """Posix path of `path` relative to `root` (with '..' where it lies outside)."""
    return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()


def image_ref_for_output(page: PageLabels, images_root: Path | None, out_dir: Path) -> str:
    """How a writer names an image: relative to the output folder when the image can be
    located through `images_root`, otherwise as the page gives it."""
    if images_root is None:
        return page.image
    return relative_to(images_root / page.image, out_dir)


def check_unique_stems(pages: Sequence[PageLabels], report: WriteReport) -> list[PageLabels]:
    """Keep the first page per image stem: one-file-per-image formats name files by stem and
    must not overwrite one page with another."""
    seen: set[str] = set()
    kept = []
    for page in pages:
        stem = Path(page.image).stem
        if stem in seen:
            report.skip(page.image, f"another image already has the stem {stem!r}")
            continue
        seen.add(stem)
        kept.append(page)
    return kept
