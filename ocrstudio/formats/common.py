"""What the format modules share: the error type, the write report, reading text files
line by line, number formatting, and finding the image a label file belongs to."""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocrstudio.core.errors import InputError
from ocrstudio.core.images import IMAGE_SUFFIXES, image_info
from ocrstudio.core.types import PageLabels

MAX_MESSAGE = 300  # a 10 MB bad line must not be printed whole
QUOTE_CHARS = 60
COORD_LIMIT = 1_000_000.0  # no image under the pixel limit is this wide


class FormatError(InputError):
    """A label file that does not follow its format (names the file and line); the
    message is cut to a readable length, whatever a parser quoted into it."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + "..."
        super().__init__(message, path, line)


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """`repr` of a piece of input, cut to `limit` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def real(v: Any) -> float:
    """A JSON number as a finite float; booleans, strings, huge or infinite values are
    refused with ValueError (a 400-digit integer overflows float())."""
    if not isinstance(v, int | float) or isinstance(v, bool):
        raise ValueError(f"not a number: {quote(str(v))}")
    try:
        f = float(v)
    except OverflowError:
        raise ValueError("a number too large for a coordinate") from None
    if not math.isfinite(f) or abs(f) > COORD_LIMIT:
        raise ValueError(f"a coordinate out of range: {quote(str(f))}")
    return f


def flag(v: Any, what: str) -> bool:
    """A JSON boolean; the strings "true"/"false" and the numbers 0/1 some tools write
    count as what they say. Anything else is refused (bool("false") would be True)."""
    if isinstance(v, bool):
        return v
    if v is None:
        return False
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise ValueError(f"{what} is not a boolean: {quote(str(v))}")


@dataclass
class WriteReport:
    """What a writer did. `reduced` counts polygons of more than (or fewer than) 4 points
    written as their minimum-area quad; `boxed` those written as their axis-aligned box;
    `rounded` regions whose coordinates became whole pixels (the ICDAR formats are integer);
    `crops` word images cut out beside the labels (PaddleOCR's `crop_img/`)."""

    files: list[Path] = field(default_factory=list)
    regions: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    reduced: int = 0
    boxed: int = 0
    rounded: int = 0
    crops: int = 0

    def skip(self, what: str, why: str) -> None:
        self.skipped.append((what, why))


def read_text(path: Path) -> str:
    """A whole UTF-8 file, BOM dropped; unreadable or undecodable files become FormatError
    (as does anything not a regular file: reading a FIFO would block)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise FormatError("not a regular file", path)
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
    return parse_json(read_text(path), path)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(text: str, path: Path, line: int | None = None) -> Any:
    """JSON text; bad syntax, NaN/Infinity, integers too long to convert and nesting too
    deep for the parser all become FormatError."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        at = line if line is not None else exc.lineno
        raise FormatError(f"invalid JSON: {exc.msg}", path, at) from None
    except RecursionError:
        raise FormatError("invalid JSON: nested too deeply", path, line) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise FormatError(f"invalid JSON: {exc}", path, line) from None


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
        raise FormatError(f"not a number: {quote(text.strip())}", path, line) from None
    if not math.isfinite(v) or abs(v) > COORD_LIMIT:
        raise FormatError(f"a coordinate out of range: {quote(text.strip())}", path, line)
    return v


def natural_key(path: Path | str) -> tuple:
    """Sort img_2 before img_10."""
    parts = re.split(r"(\d+)", str(path))
    return tuple(int(p) if p.isdigit() else p for p in parts)


def label_files(labels: Path, suffix: str) -> list[Path]:
    """The label files of a folder (sorted naturally) or the one file given."""
    if labels.is_dir():
        return sorted(
            (p for p in labels.iterdir() if p.suffix.lower() == suffix and p.is_file()),
            key=natural_key,
        )
    if labels.is_file():
        return [labels]
    raise FormatError("no such file or folder", labels)


def image_size(path: Path) -> tuple[int | None, int | None]:
    """(width, height) from the image header, EXIF orientation applied; (None, None) when
    the file is not a readable image."""
    try:
        info = image_info(path)
    except InputError:
        return None, None
    return info.width, info.height


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


def inside(path: Path, root: Path) -> bool:
    """Whether `path` lies under `root`, judged from the names alone (`..` and absolute
    paths can leave; nothing is opened, so a refusal tells nothing about other files)."""
    full = Path(os.path.normpath(os.path.abspath(path)))
    return full.is_relative_to(Path(os.path.normpath(os.path.abspath(root))))


def resolve_image(
    ref: str,
    images: Path | None,
    label_file: Path,
    line: int | None = None,
    allow_outside: bool = False,
) -> tuple[str, int | None, int | None]:
    """Turn an image reference found in a label file into (image, width, height).

    With `images`, the reference is tried as given (absolute, relative to `images`, then
    relative to the label file's folder), then by file name under `images`; the result is
    relative to `images`, and a miss is a FormatError. Candidates outside `images` are
    refused before anything is looked up, unless `allow_outside`. Without `images`, the
    reference is kept as written and the size looked up only when the file is found."""
    candidates = [Path(ref)] if Path(ref).is_absolute() else []
    if images is not None:
        written = [*candidates, images / ref]  # where the reference itself leads
        candidates = [*written, label_file.parent / ref, images / Path(ref).name]
        leaving = [] if allow_outside else [c for c in candidates if not inside(c, images)]
        candidates = [c for c in candidates if c not in leaving]
        # a label file kept outside the image folder is no reason to suggest
        # --allow-outside for a photo that is simply missing: only a reference that
        # itself leads outside is
        outside = [c for c in leaving if c in written]
    else:
        outside, candidates = [], [label_file.parent / ref]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None and outside:  # said without looking: no hint whether the file exists
        raise FormatError(
            f"image path outside the image folder: {quote(ref, 200)} "
            f"(allow it with --allow-outside)",
            label_file,
            line,
        )
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
