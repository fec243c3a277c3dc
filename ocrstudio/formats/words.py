"""Word crops for recognition, two layouts:

- a folder with `images/K.<ext>` and `labels/K.txt` (the transcription, one line);
- a list file of `image path<TAB>text` lines (`rec_gt.txt`, as the `crops` export and
  PaddleOCR recognition write it); paths relative to the list file's folder.

Each crop reads as a page with one region covering the whole image. The writer makes the
list form (`rec_gt.txt`) from pages holding exactly one legible region.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.formats.common import (
    FormatError,
    ImageIndex,
    WriteReport,
    image_ref_for_output,
    image_size,
    natural_key,
    read_text,
    relative_to,
    resolve_image,
    text_lines,
    write_text,
)

LIST_FILE = "rec_gt.txt"


def words_root(labels: Path) -> Path | None:
    """The folder holding `images/` and `labels/` when `labels` is such a folder (or its
    `labels/` sub-folder); None for a list file."""
    for root in (labels, labels.parent):
        if (root / "labels").is_dir() and (root / "images").is_dir() and labels.is_dir():
            return root
    return None


def list_path(labels: Path) -> Path:
    return labels / LIST_FILE if labels.is_dir() else labels


def read_word_texts(labels: Path) -> list[tuple[str, str, Path, int | None]]:
    """(image reference, text, source file, line) for every crop, without opening images.
    Folder layout: the reference is `images/<stem>` (no extension, it is not looked up)."""
    root = words_root(labels)
    out: list[tuple[str, str, Path, int | None]] = []
    if root is not None:
        for f in sorted((root / "labels").glob("*.txt"), key=natural_key):
            out.append((f"images/{f.stem}", _label_file_text(f), f, None))
        return out
    path = list_path(labels)
    if not path.is_file():
        raise FormatError("no word list file (image path<TAB>text) here", path)
    for n, line in text_lines(path):
        ref, sep, text = line.partition("\t")
        if not sep:
            raise FormatError("expected image path<TAB>text", path, n)
        out.append((ref, text, path, n))
    return out


def _label_file_text(f: Path) -> str:
    lines = read_text(f).split("\n")
    extra = next((k for k, l in enumerate(lines[1:], 2) if l.strip()), None)
    if extra is not None:
        raise FormatError("a word label file holds one line", f, extra)
    return lines[0].removesuffix("\r")


def read_words(
    labels: Path, images: Path | None = None, allow_outside: bool = False
) -> list[PageLabels]:
    root = words_root(labels)
    pages = []
    if root is not None:
        index = ImageIndex(root / "images")
        base = images if images is not None else root
        for _, text, f, _ in read_word_texts(labels):
            found = index.by_stem(f.stem)
            if found is None:
                raise FormatError(f"no image images/{f.stem}.* for this label file", f)
            pages.append(_page(relative_to(found, base), text, *image_size(found), f, None))
        return pages
    for ref, text, f, n in read_word_texts(labels):
        image, w, h = resolve_image(ref, images, f, n, allow_outside)
        pages.append(_page(image, text, w, h, f, n))
    return pages


def _page(image: str, text: str, w: int | None, h: int | None, f: Path, n: int | None):
    if w is None or h is None:
        raise FormatError(f"cannot read the size of image {image}", f, n)
    region = Region(polygon=Polygon.from_box(0, 0, w, h), text=text)
    return PageLabels(image=image, regions=(region,), width=w, height=h)


def write_words(
    pages: Sequence[PageLabels], out: Path, images_root: Path | None = None
) -> WriteReport:
    report = WriteReport()
    path = out if out.suffix.lower() == ".txt" else out / LIST_FILE
    lines = []
    for page in pages:
        legible = page.legible
        if len(legible) != 1:
            report.skip(page.image, f"{len(legible)} legible regions, a word crop needs 1")
            continue
        ref = image_ref_for_output(page, images_root, path.parent)
        if "\t" in ref or "\n" in ref:
            report.skip(page.image, "image path holds a tab or line break")
            continue
        lines.append(f"{ref}\t{clean_text(legible[0].text)}")
        report.regions += 1
    write_text(path, lines, report)
    return report


def clean_text(text: str) -> str:
    """Tabs and line breaks would break a `path<TAB>text` line: they become spaces."""
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
