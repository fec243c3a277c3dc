"""Projects on disk: create, open, add images, assign splits. No Qt.

A project is a folder holding `project.db` and `models/` (or, a team project, `team.json`
naming its PostgreSQL server: `services.team`); the open project is a `ProjectHandle`
(`services.handle`, where what a server adds lives). Images stay where they are and
are never modified or copied; the database refers to them by a path relative to the
project folder where that survives moving things together (see `stored_path`), and by
content hash, which finds a moved image again (`relink_images`).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ocrstudio import store
from ocrstudio.core.cancel import CancelToken, check_cancel
from ocrstudio.core.errors import InputError
from ocrstudio.core.images import (  # noqa: F401
    EXIF_ORIENTATION,
    IMAGE_SUFFIXES,
    image_info,
)
from ocrstudio.services.handle import (  # noqa: F401 (callers import them from here)
    MODELS_DIR,
    PROJECT_DB,
    ProjectHandle,
    SplitSettings,
)
from ocrstudio.services.jobs import JobProgressCallback, report
from ocrstudio.services.team_file import TEAM_FILE, is_team_folder, read_team_file
from ocrstudio.store import Session

log = logging.getLogger(__name__)


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


class ProjectAppearedError(InputError):
    """Another process created a project in the folder while this one was making its
    own; nothing of this one was kept, and the command may simply run again."""


def is_project(folder: Path) -> bool:
    return os.path.lexists(folder / PROJECT_DB) or is_team_folder(folder)


def _folder(path: Path | str) -> Path:
    p = Path(path)
    return p.parent if p.name in (PROJECT_DB, TEAM_FILE) else p


@contextmanager
def _fresh(
    folder: Path, name: str | None = None, split: SplitSettings | None = None
) -> Iterator[ProjectHandle]:
    """A new project built in a private database and published when the block ends
    without error; on error (or a kill) only what this call made is removed: its private
    file and the folders it created, when they are still empty."""
    if folder.exists() and not folder.is_dir():
        raise InputError("not a folder", folder)
    made = [d for d in (folder, folder / MODELS_DIR) if not d.exists()]
    (folder / MODELS_DIR).mkdir(parents=True, exist_ok=True)
    store.remove_stale(folder, PROJECT_DB)
    private = store.private_file(folder / PROJECT_DB)
    try:
        store.new_database(
            private, name or folder.resolve().name, {"split": asdict(split or SplitSettings())}
        )
        with ProjectHandle(folder, db_file=private) as handle:
            yield handle
        try:
            store.publish(private, folder / PROJECT_DB)
        except FileExistsError:
            raise ProjectAppearedError(
                "another process created a project here meanwhile; "
                "nothing of this command was kept, run it again",
                folder,
            ) from None
    except BaseException:
        store.remove_database(private)
        for d in reversed(made) if not is_project(folder) else ():
            with suppress(OSError):  # not empty: someone else has put things there
                d.rmdir()
        raise


def create_project(
    folder: Path | str,
    images_dir: Path | str | None = None,
    name: str | None = None,
    split: SplitSettings | None = None,
    progress: JobProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ProjectHandle:
    """A new project in `folder` (created if missing), with the images of `images_dir`;
    it appears complete or not at all."""
    folder = _folder(folder)
    if is_project(folder):
        raise InputError("a project already exists here", folder)
    if images_dir is not None and not Path(images_dir).is_dir():
        raise InputError("image folder not found", images_dir)
    with _fresh(folder, name, split) as handle:
        if images_dir is not None:
            add_image_folder(handle, Path(images_dir), progress, cancel)
    return ProjectHandle(folder)


def open_project(folder: Path | str, read_only: bool = False) -> ProjectHandle:
    """Open (and migrate, when the schema is older) the project in `folder`."""
    folder = _folder(folder)
    if not is_project(folder):
        raise InputError(f"not an ocrstudio project (no {PROJECT_DB} or {TEAM_FILE})", folder)
    if is_team_folder(folder):
        return ProjectHandle(folder, read_only=read_only, url=read_team_file(folder).url)
    return ProjectHandle(folder, read_only=read_only)


def image_files(folder: Path, skip: Path | None = None) -> list[Path]:
    """Image files under `folder`, recursively, sorted; hidden entries, `skip` (the
    project folder, when it lies inside) and anything not a regular file (a FIFO would
    block the import) are left out, and so is a name that is not valid UTF-8 (the
    database cannot store it), with a warning naming it."""
    folder = folder.resolve()
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (skip is None or here / d != skip)
        )
        out.extend(
            here / f
            for f in filenames
            if not f.startswith(".")
            and Path(f).suffix.lower() in IMAGE_SUFFIXES
            and (here / f).is_file()
            and _storable(here / f)
        )
    return sorted(out)


def _storable(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        log.warning(
            "left out %r: its name is not valid UTF-8 (rename the file to add it)",
            os.fsencode(path),
        )
        return False
    return True


def read_image_facts(path: Path) -> ImageFacts:
    """Size after EXIF orientation, the orientation tag and the content hash. Reads the
    header only (refusing images over the pixel limit), plus one hash pass."""
    info = image_info(path)
    try:
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(f"cannot read image: {exc.strerror or exc}", path) from exc
    return ImageFacts(info.width, info.height, info.orientation, digest)


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
    u = int.from_bytes(h[:8], "big") / 2.0**64
    if u < split.train:
        return "train"
    return "val" if u < split.train + split.val else "test"


@dataclass(frozen=True)
class PreparedFile:
    """An image file, the path the database names it by, and its facts (None when it
    was in the project already)."""

    file: Path
    key: str
    facts: ImageFacts | None


def prepare_files(
    handle: ProjectHandle,
    files: Sequence[Path],
    progress: JobProgressCallback | None,
    cancel: CancelToken | None,
) -> list[PreparedFile]:
    """Read the facts of the files not yet in the project, outside any write transaction
    (hashing a thousand photos must not hold the write lock others wait for)."""
    with handle.session() as s:
        known = store.image_ids_by_path(s)
    return _prepare(handle.folder, known, files, progress, cancel)


def _prepare(
    root: Path,
    known: dict[str, int],
    files: Sequence[Path],
    progress: JobProgressCallback | None,
    cancel: CancelToken | None,
) -> list[PreparedFile]:
    out: list[PreparedFile] = []
    files = unique(files)
    for k, f in enumerate(files):
        check_cancel(cancel)
        key = stored_path(root, f)
        out.append(PreparedFile(f, key, None if key in known else read_image_facts(f)))
        report(progress, k + 1, len(files), f"reading {f.name}")
    return out


def add_prepared(session: Session, prepared: Sequence[PreparedFile]) -> dict[Path, int]:
    """Rows for prepared files (those in the project by now are kept, as is a file that
    is the same file as an image already there, e.g. through a symbolic link); file ->
    image id. Runs in the caller's transaction."""
    split = SplitSettings.from_settings(store.get_settings(session))
    known = store.image_ids_by_path(session)
    ids: dict[Path, int] = {}
    pending: dict[str, list[Path]] = {}
    rows: list[store.NewImage] = []
    for p in prepared:
        if p.key in known:
            ids[p.file] = known[p.key]
            continue
        if p.key in pending:
            pending[p.key].append(p.file)
            continue
        facts = p.facts or read_image_facts(p.file)  # removed from the project meanwhile
        same = _same_file(session, p.file, facts.sha256)
        if same is not None:
            ids[p.file] = same
            continue
        pending[p.key] = [p.file]
        rows.append(
            store.NewImage(
                path=p.key,
                width=facts.width,
                height=facts.height,
                sha256=facts.sha256,
                split=store.Split(assign_split(facts.sha256, split)),
                orientation=facts.orientation,
                exif_applied=facts.orientation != 1,
            )
        )
    for files, image_id in zip(pending.values(), store.add_images(session, rows), strict=True):
        ids.update(dict.fromkeys(files, image_id))
    return ids


def _same_file(session: Session, file: Path, sha256: str) -> int | None:
    for rec in store.images_by_hash(session, sha256):
        with suppress(OSError):
            if os.path.samefile(rec.file, file):
                return rec.id
    return None


def add_files(
    session: Session,
    root: Path,
    files: Sequence[Path],
    progress: JobProgressCallback | None,
    cancel: CancelToken | None,
) -> dict[Path, int]:
    """Rows for `files` inside the caller's transaction (facts read there too)."""
    known = store.image_ids_by_path(session)
    return add_prepared(session, _prepare(root, known, files, progress, cancel))


def add_image_folder(
    handle: ProjectHandle,
    folder: Path,
    progress: JobProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> AddReport:
    """Add every image under `folder` in one transaction (all or nothing)."""
    if not folder.is_dir():
        raise InputError("image folder not found", folder)
    files = image_files(folder, skip=handle.folder)
    prepared = prepare_files(handle, files, progress, cancel)
    with handle.write() as s:
        before = store.count_images(s)
        add_prepared(s, prepared)
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


def project_info(handle: ProjectHandle) -> dict[str, Any]:
    """Counts for `ocrstudio project info` and the GUI's overview, as plain JSON data."""
    with handle.session() as s:
        info = store.project_info(s)
    return {
        "name": info.name,
        "folder": str(handle.folder),
        "created": info.created.isoformat(),
        "images": info.images,
        "regions": info.regions,
        "verified": info.verified_regions,
        "verified_images": info.per_status.get("verified", 0),
        "status": info.per_status,
        "splits": {k: asdict(v) for k, v in info.per_split.items()},
        "model_versions": info.model_versions,
        "training_runs": info.training_runs,
        "settings": info.settings,
        "database": str(handle.db_file),
        "stages": info.per_stage,
        "people": {k: asdict(v) for k, v in info.per_person.items()},
    }


@contextmanager
def opened(
    folder: Path | str, create: bool = False, read_only: bool = False
) -> Iterator[ProjectHandle]:
    """An open project, closed afterwards. With `create`, a missing project is made in a
    private file and published when the block succeeds, so a failed first import leaves
    no project (`ProjectAppearedError` if another process made one meanwhile)."""
    folder = _folder(folder)
    if create and not is_project(folder):
        with _fresh(folder) as handle:
            yield handle
        return
    with open_project(folder, read_only=read_only) as handle:
        yield handle


def unique(files: Iterable[Path]) -> list[Path]:
    """Files in first-seen order without repeats."""
    return list(dict.fromkeys(files))
