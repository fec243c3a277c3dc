"""Projects on disk: create, open, add images, assign splits. No Qt.

A project is a folder holding `project.db` and `models/`. Images stay where they are and
are never modified or copied; the database refers to them by a path relative to the
project folder where that survives moving things together (see `stored_path`), and by
content hash, which finds a moved image again (`relink_images`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ocrstudio import store
from ocrstudio.core.errors import CancelledError, InputError

PROJECT_DB = "project.db"
MODELS_DIR = "models"
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
EXIF_ORIENTATION = 0x0112

Progress = Callable[[int, int, str], None]


class CancelToken(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class SplitSettings:
    """Fractions of images per split and the seed of the assignment."""

    train: float = 0.8
    val: float = 0.1
    test: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        parts = (self.train, self.val, self.test)
        if min(parts) < 0 or abs(sum(parts) - 1.0) > 1e-6:
            raise InputError(f"split fractions must be >= 0 and sum to 1, got {parts}")

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> SplitSettings:
        return cls(**settings.get("split", {}))


@dataclass(frozen=True)
class ImageFacts:
    """What an import reads from an image file (its pixels are not decoded)."""

    width: int  # after the EXIF orientation, as every viewer shows the image
    height: int
    orientation: int
    sha256: str


@dataclass(frozen=True)
class AddReport:
    added: int
    already_present: int


class ProjectHandle:
    """An open project: its folder, engine and session factory. Close it when done
    (or use it as a context manager)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.engine = store.open_engine(self.folder / PROJECT_DB)
        self.sessions = store.session_factory(self.engine, self.folder)

    def session(self) -> Session:
        """A Session for reading (`with handle.session() as s:`); writes need `write()`."""
        return self.sessions()

    def write(self) -> AbstractContextManager[Session]:
        """A Session inside one transaction: committed when the block ends, rolled back
        when it raises (`with handle.write() as s:`)."""
        return self.sessions.begin()

    @property
    def models_dir(self) -> Path:
        return self.folder / MODELS_DIR

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ProjectHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_project(folder: Path) -> bool:
    return (folder / PROJECT_DB).is_file()


def _folder(path: Path | str) -> Path:
    p = Path(path)
    return p.parent if p.name == PROJECT_DB else p


def create_project(folder: Path | str, images_dir: Path | str | None = None,
                   name: str | None = None, split: SplitSettings | None = None,
                   progress: Progress | None = None,
                   cancel: CancelToken | None = None) -> ProjectHandle:
    """A new project in `folder` (created if missing), with the images of `images_dir`."""
    folder = _folder(folder)
    if is_project(folder):
        raise InputError("a project already exists here", folder)
    if folder.exists() and not folder.is_dir():
        raise InputError("not a folder", folder)
    if images_dir is not None and not Path(images_dir).is_dir():
        raise InputError("image folder not found", images_dir)
    folder_existed = folder.exists()
    (folder / MODELS_DIR).mkdir(parents=True, exist_ok=True)
    handle = ProjectHandle(folder)
    try:
        with handle.write() as s:
            store.init_project(s, name or folder.resolve().name,
                               {"split": asdict(split or SplitSettings())})
        if images_dir is not None:
            add_image_folder(handle, Path(images_dir), progress, cancel)
    except BaseException:  # a bad image or a cancel: no half-made project stays behind
        handle.close()
        _remove_project(folder, remove_folder=not folder_existed)
        raise
    return handle


def open_project(folder: Path | str) -> ProjectHandle:
    """Open (and migrate, when the schema is older) the project in `folder`."""
    folder = _folder(folder)
    if not is_project(folder):
        raise InputError(f"not an ocrstudio project (no {PROJECT_DB})", folder)
    return ProjectHandle(folder)


def open_or_create(folder: Path | str) -> ProjectHandle:
    folder = _folder(folder)
    return open_project(folder) if is_project(folder) else create_project(folder)


def check_cancel(cancel: CancelToken | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError("cancelled; nothing was changed")


def image_files(folder: Path, skip: Path | None = None) -> list[Path]:
    """Image files under `folder`, recursively, sorted; hidden entries and `skip` (the
    project folder, when it lies inside) are left out."""
    folder = folder.resolve()
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and (skip is None or here / d != skip))
        out.extend(here / f for f in filenames
                   if not f.startswith(".") and Path(f).suffix.lower() in IMAGE_SUFFIXES)
    return sorted(out)


def read_image_facts(path: Path) -> ImageFacts:
    """Size after EXIF orientation (as PIL's `ImageOps.exif_transpose` would give it),
    the orientation tag and the content hash. Reads the header only, plus one hash pass."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            width, height = im.size
            orientation = int(im.getexif().get(EXIF_ORIENTATION, 1) or 1)
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        raise InputError(f"cannot read image: {exc}", path) from exc
    if orientation not in range(1, 9):
        orientation = 1  # out-of-range tags are ignored, as exif_transpose does
    if orientation in (5, 6, 7, 8):  # the transposing orientations swap the axes
        width, height = height, width
    return ImageFacts(width, height, orientation, digest)


def stored_path(root: Path, file: Path) -> str:
    """How the database names `file` (`root`: the resolved project folder): relative to
    the project folder when the file lies inside the folder that holds the project (so
    project and images move together), absolute otherwise (so moving the project alone
    keeps finding shared images)."""
    file = Path(os.path.abspath(file))  # no resolve(): callers resolve the folders once
    if file.is_relative_to(root.parent):
        return Path(os.path.relpath(file, root)).as_posix()
    return file.as_posix()


def assign_split(sha256: str, split: SplitSettings) -> str:
    """Deterministic split of one image: a uniform number from its content hash and the
    seed, cut at the fractions. Independent of import order and of the other images."""
    h = hashlib.sha256(f"{split.seed}:{sha256}".encode()).digest()
    u = int.from_bytes(h[:8], "big") / 2.0 ** 64
    if u < split.train:
        return "train"
    return "val" if u < split.train + split.val else "test"


def add_files(session: Session, root: Path, files: Sequence[Path], progress: Progress | None,
              cancel: CancelToken | None) -> dict[Path, int]:
    """Rows for `files` (those already in the project are kept); file -> image id. Runs in
    the caller's transaction, so an error or a cancel leaves nothing behind."""
    split = SplitSettings.from_settings(store.get_settings(session))
    known = store.image_ids_by_path(session)
    ids: dict[Path, int] = {}
    pending: dict[str, Path] = {}
    rows: list[store.NewImage] = []
    for k, f in enumerate(unique(files)):
        check_cancel(cancel)
        key = stored_path(root, f)
        if key in known:
            ids[f] = known[key]
        elif key not in pending:
            facts = read_image_facts(f)
            pending[key] = f
            rows.append(store.NewImage(
                path=key, width=facts.width, height=facts.height, sha256=facts.sha256,
                split=store.Split(assign_split(facts.sha256, split)),
                orientation=facts.orientation, exif_applied=facts.orientation != 1))
        if progress is not None:
            progress(k + 1, len(files), f"reading {f.name}")
    ids.update(zip(pending.values(), store.add_images(session, rows), strict=True))
    return ids


def add_image_folder(handle: ProjectHandle, folder: Path, progress: Progress | None = None,
                     cancel: CancelToken | None = None) -> AddReport:
    """Add every image under `folder` in one transaction (all or nothing)."""
    if not folder.is_dir():
        raise InputError("image folder not found", folder)
    files = image_files(folder, skip=handle.folder)
    with handle.write() as s:
        before = store.count_images(s)
        add_files(s, handle.folder, files, progress, cancel)
        added = store.count_images(s) - before
    return AddReport(added=added, already_present=len(files) - added)


def set_split_settings(handle: ProjectHandle, split: SplitSettings) -> int:
    """New fractions or seed: every image's split is assigned again. Returns how many
    images changed split."""
    with handle.write() as s:
        store.update_settings(s, split=asdict(split))
        changes = {}
        for rec in store.list_images(s):
            new = store.Split(assign_split(rec.sha256, split))
            if new != rec.split:
                changes[rec.id] = new
        store.set_splits(s, changes)
    return len(changes)


def relink_images(handle: ProjectHandle, folder: Path) -> int:
    """Point images whose file went missing at files under `folder` with the same
    content. Returns how many were found again."""
    with handle.session() as s:
        missing = {r.sha256: r.id for r in store.list_images(s) if not r.file.is_file()}
    found: dict[int, str] = {}
    for f in image_files(folder) if missing else ():
        digest = read_image_facts(f).sha256
        if digest in missing and missing[digest] not in found:
            found[missing[digest]] = stored_path(handle.folder, f)
    with handle.write() as s:
        for image_id, path in found.items():
            store.set_image_path(s, image_id, path)
    return len(found)


def load_image(file: Path) -> Any:
    """The image as an RGB uint8 array (H, W, 3), EXIF orientation applied: the frame the
    stored width, height and polygons refer to."""
    import numpy as np
    from PIL import Image, ImageOps

    try:
        with Image.open(file) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read image: {exc}", file) from exc


def project_info(handle: ProjectHandle) -> dict[str, Any]:
    """Counts for `ocrstudio project info` and the GUI's overview, as plain JSON data."""
    with handle.session() as s:
        info = store.project_info(s)
    return {
        "name": info.name, "folder": str(handle.folder), "created": info.created.isoformat(),
        "images": info.images, "regions": info.regions, "verified": info.verified_regions,
        "verified_images": info.per_status.get("verified", 0), "status": info.per_status,
        "splits": {k: asdict(v) for k, v in info.per_split.items()},
        "model_versions": info.model_versions, "training_runs": info.training_runs,
        "settings": info.settings,
    }


@contextmanager
def opened(folder: Path | str, create: bool = False) -> Iterator[ProjectHandle]:
    """An open project, closed afterwards. With `create`, a missing project is made, and
    removed again when the block fails: a failed first import leaves no empty project."""
    folder = _folder(folder)
    fresh = create and not is_project(folder)
    folder_existed = folder.exists()
    handle = create_project(folder) if fresh else open_project(folder)
    try:
        yield handle
    except BaseException:
        handle.close()
        if fresh:
            _remove_project(folder, remove_folder=not folder_existed)
        raise
    handle.close()


def _remove_project(folder: Path, remove_folder: bool) -> None:
    """Delete what `create_project` made (the database files, an empty models/)."""
    for name in (PROJECT_DB, f"{PROJECT_DB}-wal", f"{PROJECT_DB}-shm"):
        (folder / name).unlink(missing_ok=True)
    for d in (folder / MODELS_DIR, folder) if remove_folder else (folder / MODELS_DIR,):
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()


def unique(files: Iterable[Path]) -> list[Path]:
    """Files in first-seen order without repeats."""
    return list(dict.fromkeys(files))
