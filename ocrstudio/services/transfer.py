"""Import annotation files into a project and export a project's labels. No Qt.

An import is one transaction: labels are parsed and matched to images first, then every
row is written in one go; a bad file, a missing image or a cancel leaves the project as it
was. Image paths in label files that lead outside the chosen image folder are refused
unless `allow_outside`.

An export appears complete or not at all: it is written into a scratch folder beside the
target, which is renamed to the target when the writer has finished (a target that
already holds files gets them linked into the scratch first, then the two folders swap by
two renames; an export killed between them is rolled back by the next one). Scratch left
by a killed export is removed by the next export to the same target.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ocrstudio import store
from ocrstudio.core.cancel import CancelToken, check_cancel
from ocrstudio.core.errors import InputError
from ocrstudio.core.geometry import quarter_turn, turned_size
from ocrstudio.core.types import PageLabels, Region
from ocrstudio.services.jobs import JobProgressCallback
from ocrstudio.services.jobs import report as report_progress
from ocrstudio.services.project import (
    ProjectAppearedError,
    ProjectHandle,
    add_prepared,
    image_files,
    opened,
    prepare_files,
)
from ocrstudio.store import Session
from ocrstudio.store.files import process_alive


def format_names(reading: bool | None = None) -> tuple[str, ...]:
    """The label formats an import (`reading`) or an export (not `reading`) takes; None:
    every one (`formats.FORMAT_NAMES`)."""
    from ocrstudio.formats import FORMAT_NAMES, READ_ONLY, WRITE_ONLY

    skip = () if reading is None else WRITE_ONLY if reading else READ_ONLY
    return tuple(f for f in FORMAT_NAMES if f not in skip)


IMPORT_PROVENANCE = "import"  # pre-labels from a file: no model version made them
SPLITS = ("train", "val", "test", "all")
SCRATCH_MARK = ".export-"  # .OUT.export-PID-RAND: an export being written
REPLACED_MARK = ".replaced-"  # .OUT.replaced-PID-RAND: the previous OUT, during the swap


@dataclass(frozen=True)
class ImportReport:
    images_added: int  # new image rows
    images_labelled: int  # images whose labels came from the files
    regions: int  # regions written
    skipped: tuple[str, ...] = ()  # pre-labels not applied (a person verified or edited)

    def as_dict(self) -> dict[str, object]:
        return {
            "images_added": self.images_added,
            "images_labelled": self.images_labelled,
            "regions": self.regions,
            "skipped": list(self.skipped),
        }


@dataclass(frozen=True)
class ExportReport:
    out: Path
    images: int
    regions: int
    files: int
    reduced: int = 0  # polygons written as their minimum-area quad
    boxed: int = 0  # polygons written as their axis-aligned box
    skipped: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    rounded: int = 0  # regions whose coordinates became whole pixels (ICDAR)
    crops: int = 0  # word images cut out beside the labels (PaddleOCR's crop_img/)
    # what a re-import would read differently: region texts (a line break become a
    # space, an ignored region's text become ###), and images with no region, which an
    # import takes as verified and empty
    texts_changed: int = 0
    empty: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "out": str(self.out),
            "images": self.images,
            "regions": self.regions,
            "files": self.files,
            "reduced": self.reduced,
            "boxed": self.boxed,
            "rounded": self.rounded,
            "crops": self.crops,
            "texts_changed": self.texts_changed,
            "empty": self.empty,
            "skipped": [list(s) for s in self.skipped],
        }

    def notes(self) -> list[str]:
        """What the format changed or left out, a line each (the CLI and the dialog)."""
        counted = (
            (self.crops, "word crops written (rec_gt.txt + crop_img/)"),
            (
                self.rounded,
                "regions with coordinates rounded to whole pixels, as the format's integers",
            ),
            (self.reduced, "polygons written as their minimum-area quad"),
            (self.boxed, "polygons written as their axis-aligned box"),
            (
                self.texts_changed,
                "region texts the format cannot hold as they are "
                "(line breaks, ignored regions' text): a re-import "
                "reads them otherwise",
            ),
            (self.empty, "images with no region: a re-import takes them as verified and empty"),
        )
        return [f"{n} {what}" for n, what in counted if n]


def _page_files(
    pages: Sequence[PageLabels], images_dir: Path, labels: Path, allow_outside: bool = False
) -> list[tuple[Path, list[Region]]]:
    """Each page's image file with its regions; pages naming the same image are merged."""
    merged: dict[Path, list[Region]] = {}
    base = images_dir.resolve()
    for page in pages:
        file = Path(os.path.normpath(base / page.image))  # an absolute `image` stays as is
        if not allow_outside and not file.is_relative_to(base):
            raise InputError(
                f"image path outside the image folder: {page.image[:200]} "
                f"(allow it with --allow-outside)",
                labels,
            )
        if not file.is_file():
            raise InputError(f"image not found: {page.image} (looked under {images_dir})", labels)
        merged.setdefault(file, []).extend(page.regions)
    return list(merged.items())


def _human_labels(session: Session, labelled: dict[int, list[Region]]) -> int:
    """Labels from files a person made: they replace the images' regions, verified."""
    verified = {
        i: [r.with_(provenance="manual", verified=True, score=None, det_score=None) for r in rs]
        for i, rs in labelled.items()
    }
    n = store.replace_regions(session, verified, edited=False)
    store.set_images_status(session, list(labelled), store.ImageStatus.VERIFIED)
    return n


def _prelabels(session: Session, image_id: int, regions: Sequence[Region]) -> int | None:
    """Pre-labels from a file: written as a model's proposal would be (never over what a
    person verified or edited). None when the image was left alone."""
    img = store.get_image(session, image_id)
    if img is not None and img.status is store.ImageStatus.VERIFIED:
        return None
    rows = [r.with_(order=k, verified=False) for k, r in enumerate(regions)]
    return store.write_model_regions(session, image_id, rows, provenance=IMPORT_PROVENANCE)


def import_into(
    folder: Path | str,
    fmt: str,
    images_dir: Path | str,
    labels: Path | str | None = None,
    prelabels: bool = False,
    allow_outside: bool = False,
    progress: JobProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """`import_labels` into the project in `folder`, made when missing. When another
    process creates the project at the same moment, the import goes into that one."""
    for attempt in range(3):
        try:
            with opened(folder, create=True) as handle:
                return import_labels(
                    handle, fmt, images_dir, labels, prelabels, progress, cancel, allow_outside
                )
        except ProjectAppearedError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def import_labels(
    handle: ProjectHandle,
    fmt: str,
    images_dir: Path | str,
    labels: Path | str | None = None,
    prelabels: bool = False,
    progress: JobProgressCallback | None = None,
    cancel: CancelToken | None = None,
    allow_outside: bool = False,
) -> ImportReport:
    """Add the images under `images_dir` and the labels of `labels` (default: the image
    folder itself, where formats such as labelme keep them), all or nothing. Image
    facts are read before the write transaction, which then holds the lock briefly."""
    from ocrstudio.formats import read_labels

    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise InputError("image folder not found", images_dir)
    labels = images_dir if labels is None else Path(labels)
    if not labels.exists():
        raise InputError("label file or folder not found", labels)
    pages = read_labels(fmt, labels, images_dir, allow_outside=allow_outside)
    labelled = _page_files(pages, images_dir, labels, allow_outside)
    files = image_files(images_dir, skip=handle.folder) + [f for f, _ in labelled]
    prepared = prepare_files(handle, files, progress, cancel)
    check_cancel(cancel)
    with handle.write() as s:
        before = store.count_images(s)
        ids = add_prepared(s, prepared)
        added = store.count_images(s) - before
        check_cancel(cancel)
        report_progress(progress, 0, len(labelled), "writing labels")
        written, skipped = 0, []
        by_id = _stored_frame(s, {ids[f]: regions for f, regions in labelled})
        if not prelabels:
            written = _human_labels(s, by_id)
        for k, (file, _) in enumerate(labelled if prelabels else ()):
            check_cancel(cancel)
            n = _prelabels(s, ids[file], by_id[ids[file]])
            if n is None:
                skipped.append(str(file))
            written += n or 0
            report_progress(progress, k + 1, len(labelled), f"pre-labels of {file.name}")
    return ImportReport(
        images_added=added,
        images_labelled=len(labelled) - len(skipped),
        regions=written,
        skipped=tuple(skipped),
    )


def pages_for_export(
    session: Session, split: str = "all", verified_only: bool = False, accepted_only: bool = False
) -> tuple[list[PageLabels], Path | None]:
    """The pages to export with image names relative to the folder all images share
    (returned too): writers that name images (Label.txt, labelme) refer to it.
    `accepted_only`: the images a team's reviewer accepted."""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    images = store.list_images(
        session,
        split=None if split == "all" else split,
        status=store.ImageStatus.VERIFIED if verified_only else None,
        stage=store.Stage.ACCEPTED if accepted_only else None,
    )
    if not images:
        return [], None
    try:
        root: Path | None = Path(os.path.commonpath([str(r.file.parent) for r in images]))
    except ValueError:  # different drives (Windows): name images by absolute path
        root = None
    regions = store.regions_of_images(session, [r.id for r in images])
    pages = [
        _file_frame(
            r,
            PageLabels(
                image=r.file.as_posix()
                if root is None
                else Path(os.path.relpath(r.file, root)).as_posix(),
                regions=tuple(x.to_region() for x in regions[r.id]),
                width=r.width,
                height=r.height,
            ),
        )
        for r in images
    ]
    return pages, root


def _file_frame(image: store.ImageRecord, page: PageLabels) -> PageLabels:
    """Labels of an image a person turned in the project, in the frame of the file as it
    is on disk (what the exported label file refers to); points keep their order, so
    crops cut from the file come out upright all the same."""
    turns = image.rotation % 4
    if not turns:
        return page
    regions = tuple(
        r.with_(polygon=quarter_turn(r.polygon, -turns, image.width, image.height))
        for r in page.regions
    )
    width, height = turned_size(image.width, image.height, turns)
    return PageLabels(page.image, regions, width, height)


def _stored_frame(session: Session, labelled: dict[int, list[Region]]) -> dict[int, list[Region]]:
    """Imported labels (in the file's frame) turned into the frame of images a person
    rotated in the project."""
    turned = store.turned_images(session)
    out = dict(labelled)
    for image_id in set(labelled) & set(turned):
        turns, w, h = turned[image_id]
        w, h = turned_size(w, h, turns)  # the file's size
        out[image_id] = [
            r.with_(polygon=quarter_turn(r.polygon, turns, w, h)) for r in labelled[image_id]
        ]
    return out


def export_labels(
    handle: ProjectHandle,
    fmt: str,
    out: Path | str,
    split: str = "all",
    verified_only: bool = False,
    progress: JobProgressCallback | None = None,
    cancel: CancelToken | None = None,
    accepted_only: bool = False,
) -> ExportReport:
    """Write the project's labels in `fmt` into the folder `out`. `verified_only` keeps
    the images a person marked verified (partly checked images would teach wrong
    negatives). Files already in `out` with other names are left alone."""
    from ocrstudio.formats import write_labels

    out = Path(out)
    if out.is_symlink():  # a link to a folder: the export goes where it points
        out = out.resolve()
    if out.exists() and not out.is_dir():
        raise InputError("the export target must be a folder", out)
    with handle.session() as s:
        pages, root = pages_for_export(s, split, verified_only, accepted_only)
    check_cancel(cancel)
    report_progress(progress, 0, len(pages), f"writing {len(pages)} images as {fmt}")
    out.parent.mkdir(parents=True, exist_ok=True)
    recover_export(out)
    # an (empty) mount point cannot be renamed away ("device busy"), nor a scratch folder
    # beside it renamed into it (another file system): the scratch goes inside it
    mount = out.is_dir() and os.path.ismount(out)
    scratch = out / _sibling(out, SCRATCH_MARK).name if mount else _sibling(out, SCRATCH_MARK)
    scratch.mkdir()
    try:
        report = write_labels(fmt, pages, scratch, root, final=out)
        check_cancel(cancel)
        files = sum(1 for p in scratch.rglob("*") if p.is_file())
        left_out = {what for what, _ in report.skipped}  # said already, with why
        changed = _texts_read_back_otherwise(
            fmt, [p for p in pages if p.image not in left_out], scratch
        )
        if mount:
            _move_into(scratch, out)
        else:
            _swap_in(scratch, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report_progress(progress, len(pages), len(pages), "done")
    return ExportReport(
        out=out,
        images=len(pages),
        regions=report.regions,
        files=files,
        reduced=report.reduced,
        boxed=report.boxed,
        skipped=tuple(report.skipped),
        rounded=report.rounded,
        crops=report.crops,
        texts_changed=changed,
        empty=sum(1 for p in pages if not p.regions),
    )


def _texts_read_back_otherwise(fmt: str, pages: Sequence[PageLabels], written: Path) -> int:
    """How many region texts a re-import of the export just `written` would read
    otherwise, found by reading it back (each format's own losses, as they are)."""
    from collections import Counter

    from ocrstudio.formats import WRITE_ONLY, read_labels

    if fmt in WRITE_ONLY:
        return 0
    back = {Path(p.image).stem: p for p in read_labels(fmt, written)}
    changed = 0
    for page in pages:
        got = back.get(Path(page.image).stem)
        theirs = Counter(_as_read(r) for r in got.regions) if got else Counter()
        changed += sum((Counter(_as_read(r) for r in page.regions) - theirs).values())
    return changed


def _as_read(region: Region) -> tuple[str, bool]:
    """A region's text as labels compare it: an ignored region without a text of its own
    is `###` in every format."""
    text = region.text if not (region.ignore and region.text in ("", "###")) else "###"
    return text, region.ignore


NAME_MAX = 255  # bytes in one file name, on the file systems people export to
_TAIL = 20  # a sibling's PID, dash and random hex after its mark, with room to spare


def _stem(out: Path, mark: str) -> str:
    """How the names of `out`'s scratch and replaced siblings start: its own name, cut so
    the whole name stays within NAME_MAX bytes (a 240-character folder name is legal)."""
    name, room = out.name, NAME_MAX - 1 - len(mark.encode()) - _TAIL
    while len(name.encode()) > room:
        name = name[:-1]
    return f".{name}{mark}"


def _sibling(out: Path, mark: str) -> Path:
    return out.parent / f"{_stem(out, mark)}{os.getpid()}-{secrets.token_hex(4)}"


def _move_into(scratch: Path, out: Path) -> None:
    """Put the finished `scratch` (inside `out`) into `out` file by file, each file
    replaced in one step (for a mount point, which cannot be swapped whole)."""
    for src in sorted(p for p in scratch.rglob("*") if not p.is_dir()):
        dst = out / src.relative_to(scratch)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)


def _swap_in(scratch: Path, out: Path) -> None:
    """Make the finished `scratch` the folder `out` in one rename (two, when `out`
    already exists: its other files are linked into the scratch first, so they stay)."""
    if not out.exists():
        os.rename(scratch, out)
        return
    for src in sorted(out.rglob("*")):
        dst = scratch / src.relative_to(out)
        if dst.exists() or dst.is_symlink():
            continue  # the new export's file wins
        if src.is_dir() and not src.is_symlink():
            dst.mkdir(parents=True, exist_ok=True)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:  # no hard links here: a copy (symbolic links stay links)
            shutil.copy2(src, dst, follow_symlinks=False)
    replaced = _sibling(out, REPLACED_MARK)
    os.rename(out, replaced)
    os.rename(scratch, out)
    shutil.rmtree(replaced, ignore_errors=True)


def recover_export(out: Path) -> None:
    """Finish what a killed export to `out` left: its previous folder is put back when
    the swap was cut between its renames, and scratch folders are removed."""
    for mark in (REPLACED_MARK, SCRATCH_MARK):
        stem = _stem(out, mark)
        inside = sorted(out.glob(f"{glob.escape(stem)}*")) if out.is_dir() else []
        for d in [*sorted(out.parent.glob(f"{glob.escape(stem)}*")), *inside]:
            pid = d.name[len(stem) :].split("-", 1)[0]
            if not d.is_dir() or not pid.isdigit() or process_alive(int(pid)):
                continue
            if mark == REPLACED_MARK and not out.exists():
                os.rename(d, out)
            else:
                shutil.rmtree(d, ignore_errors=True)
