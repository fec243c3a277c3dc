"""Team projects: create one on a PostgreSQL server, move a project in and out, and the
rules of working at once: leases on images and on training, version-checked edits, the
review stages with a reviewer role, and who did what. No Qt; SQL stays in `store`.

Stages: a labeller submits an image (open -> labelled, its regions verified); a reviewer
marks it reviewed, then accepted, or sends it back to open with a note at any of those
stages. Reviewers are listed in the project settings (`team.reviewers`); while the list
is empty everyone may review (a team of one).
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ocrstudio import store
from ocrstudio.core.cancel import CancelToken
from ocrstudio.core.errors import InputError, OcrStudioError
from ocrstudio.core.types import Region
from ocrstudio.services.jobs import JobProgressCallback
from ocrstudio.services.project import (
    MODELS_DIR,
    PROJECT_DB,
    ProjectHandle,
    SplitSettings,
    add_image_folder,
    is_project,
    stored_path,
)
from ocrstudio.services.team_file import TeamFile, read_team_file, write_team_file
from ocrstudio.store import copy as store_copy
from ocrstudio.store import edits, leases
from ocrstudio.store import team as team_rows
from ocrstudio.store.leases import LeaseRecord
from ocrstudio.store.records import RegionRecord, Stage
from ocrstudio.store.team import EditConflict, PersonCounts, StageError

log = logging.getLogger(__name__)

IMAGE_LEASE_S = 120.0  # renewed every IMAGE_LEASE_S / 4 while the image is open
TRAINING_LEASE_S = 300.0

__all__ = [
    "EditConflict",
    "ImageLeased",
    "LeaseRecord",
    "PersonCounts",
    "Stage",
    "StageError",
    "TrainingBusy",
    "copy_project",
    "create_team_project",
    "edit_regions_checked",
    "hold_image",
    "next_free_image",
    "person_counts",
    "release_image",
    "review",
    "send_back",
    "set_reviewer",
    "submit",
    "accept",
    "training_lease",
]


class ImageLeased(OcrStudioError):
    """Another member holds the image."""

    def __init__(self, lease: LeaseRecord) -> None:
        super().__init__(
            f"{lease.holder} is working on this image (until "
            f"{lease.expires:%H:%M:%S} UTC unless they keep at it)"
        )
        self.lease = lease


class TrainingBusy(OcrStudioError):
    """One training run at a time per project: another member's is running."""


def create_team_project(
    folder: Path | str,
    url: str,
    images_dir: Path | str | None = None,
    name: str | None = None,
    progress: JobProgressCallback | None = None,
    cancel: CancelToken | None = None,
    split: SplitSettings | None = None,
) -> ProjectHandle:
    """A team project: schema and project row on the server (an empty database), then
    the images, then `folder/team.json`; a failure drops what this call made. The CLI's
    `project new --db` and the window's New project both make one here."""
    folder = Path(folder)
    if is_project(folder):
        raise InputError("a project already exists here", folder)
    if images_dir is not None and not Path(images_dir).is_dir():
        raise InputError("image folder not found", images_dir)
    where = store.public_url(store.server_url(url))
    made = [d for d in (folder, folder / MODELS_DIR) if not d.exists()]
    (folder / MODELS_DIR).mkdir(parents=True, exist_ok=True)
    engine = store.server_engine(url)
    try:
        with store.database_errors(where):
            store.create_server_project(
                engine,
                name or folder.resolve().name,
                {"split": asdict(split or SplitSettings())},
                where,
            )
        try:
            with ProjectHandle(folder, url=url) as handle:
                if images_dir is not None:
                    _warn_outside(folder, Path(images_dir))
                    add_image_folder(handle, Path(images_dir), progress, cancel)
            write_team_file(folder, TeamFile(url))
        except BaseException:
            store.drop_project(engine)
            for d in reversed(made):
                shutil.rmtree(d, ignore_errors=True)
            raise
    finally:
        engine.dispose()
    return ProjectHandle(folder, url=url)


def _warn_outside(folder: Path, images: Path) -> None:
    if not images.resolve().is_relative_to(folder.resolve().parent):
        log.warning(
            "the photos in %s lie outside the project's folder: they are stored by "
            "their absolute path, which every member must then mount alike",
            images,
        )


def copy_project(source: ProjectHandle, dest: Path | str, url: str | None = None) -> Path:
    """`source` copied whole into a new project at `dest`: a project file, or with `url` a
    team project on that (empty) database. Image paths are rewritten for `dest`'s folder
    and the model files copied beside it. Returns the new project's folder."""
    dest = Path(dest)
    if is_project(dest):
        raise InputError("a project already exists here", dest)
    dest.mkdir(parents=True, exist_ok=True)
    root, new_root = source.folder, dest.resolve()

    def rebase(path: str) -> str:
        return path if root == new_root else stored_path(new_root, store.resolve(root, path))

    if url is not None:
        where = store.public_url(store.server_url(url))
        engine = store.server_engine(url)
        try:
            with store.database_errors(where):
                store_copy.copy_project(source.engine, engine, where, rebase)
            write_team_file(dest, TeamFile(url))
        finally:
            engine.dispose()
    else:
        _copy_to_file(source, dest, rebase)
    if source.models_dir.is_dir() and source.models_dir.resolve() != (dest / MODELS_DIR).resolve():
        shutil.copytree(source.models_dir, dest / MODELS_DIR, dirs_exist_ok=True)
    (dest / MODELS_DIR).mkdir(exist_ok=True)
    return dest


def _copy_to_file(source: ProjectHandle, dest: Path, rebase: Any) -> None:
    private = store.private_file(dest / PROJECT_DB)
    engine = store.make_engine(private)
    try:
        store_copy.copy_project(source.engine, engine, str(dest / PROJECT_DB), rebase)
        engine.dispose()
        store.publish(private, dest / PROJECT_DB)
    except BaseException:
        engine.dispose()
        store.remove_database(private)
        raise


def read_team_url(folder: Path | str) -> str:
    """The server URL a team project folder names."""
    return read_team_file(Path(folder)).url


# --- leases ---------------------------------------------------------------------------


def hold_image(project: ProjectHandle, image_id: int, ttl_s: float = IMAGE_LEASE_S) -> LeaseRecord:
    """Take (or renew) this process's lease on an image; `ImageLeased` when another holds it."""
    with project.write() as s:
        lease = leases.acquire(
            s, leases.image_resource(image_id), project.author, project.token, ttl_s
        )
    if not lease.held_by(project.token):
        raise ImageLeased(lease)
    return lease


def release_image(project: ProjectHandle, image_id: int) -> bool:
    with project.write() as s:
        return leases.release(s, leases.image_resource(image_id), project.token)


def image_leases(project: ProjectHandle) -> dict[int, LeaseRecord]:
    """Images others hold now, with who and until when."""
    with project.session() as s:
        return leases.leased_images(s, except_token=project.token)


def all_leases(project: ProjectHandle) -> list[LeaseRecord]:
    """Every live lease (images and training), for `ocrstudio team leases`."""
    with project.session() as s:
        return leases.live_leases(s)


def find_image(project: ProjectHandle, key: str) -> int:
    """An image by its id or its stored path (as `project info` and exports name it)."""
    with project.session() as s:
        found = store.image_ids_by_path(s)
        if key in found:
            return found[key]
        if key.isdigit() and store.get_image(s, int(key)) is not None:
            return int(key)
    raise InputError("no such image in the project (give its id or stored path)", key)


def next_free_image(project: ProjectHandle, order: Sequence[int], after: int | None) -> int | None:
    """The next image in `order` after `after` that nobody else holds (wrapping round)."""
    with project.session() as s:
        return leases.free_after(s, order, after, project.token)


_holding: dict[str, int] = {}  # handle token -> nesting depth of its training lease


@contextmanager
def training_lease(project: ProjectHandle, ttl_s: float = TRAINING_LEASE_S) -> Iterator[None]:
    """In a team project, hold the project's one training lease for the block, renewed in
    the background; `TrainingBusy` when another member's run holds it. Nested blocks of
    one handle (improve's two runs) share it. A project file needs none."""
    if not project.is_team or _holding.get(project.token):
        _holding[project.token] = _holding.get(project.token, 0) + 1
        try:
            yield
        finally:
            _holding[project.token] -= 1
        return
    with _held_lease(project, ttl_s):
        _holding[project.token] = 1
        try:
            yield
        finally:
            _holding.pop(project.token, None)


@contextmanager
def _held_lease(project: ProjectHandle, ttl_s: float) -> Iterator[None]:
    with project.write() as s:
        lease = leases.acquire(s, leases.TRAINING, project.author, project.token, ttl_s)
    if not lease.held_by(project.token):
        raise TrainingBusy(
            f"{lease.holder} is training this project's models (started "
            f"{lease.acquired:%H:%M} UTC); one training run at a time"
        )
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(ttl_s / 4):
            try:
                with project.write() as s:
                    leases.acquire(s, leases.TRAINING, project.author, project.token, ttl_s)
            except OcrStudioError as exc:  # the server away a moment: try again later
                log.warning("could not renew the training lease: %s", exc)

    keeper = threading.Thread(target=renew, name="training-lease", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()
        with project.write() as s:
            leases.release(s, leases.TRAINING, project.token)


# --- edits that check versions ---------------------------------------------------------


def edit_regions_checked(
    project: ProjectHandle, seen: Sequence[RegionRecord], changes: Sequence[tuple[int, Region]]
) -> list[RegionRecord]:
    """A person's change to regions as they saw them (`seen`): saved only when nobody
    changed them since, else `EditConflict` naming who changed what (nothing saved)."""
    with project.write() as s:
        team_rows.check_versions(s, seen)
        return edits.edit_regions(s, changes)


def restore_regions_checked(
    project: ProjectHandle, seen: Sequence[RegionRecord], snapshots: Sequence[RegionRecord]
) -> list[RegionRecord]:
    """Undo in a team project: the snapshots go back only over the regions as seen."""
    with project.write() as s:
        team_rows.check_versions(s, seen)
        return edits.restore_regions(s, snapshots)


def delete_regions_checked(
    project: ProjectHandle, seen: Sequence[RegionRecord]
) -> list[RegionRecord]:
    with project.write() as s:
        team_rows.check_versions(s, seen)
        return edits.delete_regions(s, [r.id for r in seen])


def image_stamp(project: ProjectHandle, image_id: int) -> team_rows.ChangeStamp:
    """Compare two of these to know whether someone changed the image meanwhile."""
    with project.session() as s:
        return team_rows.image_stamp(s, image_id)


def project_stamp(project: ProjectHandle) -> team_rows.ChangeStamp:
    with project.session() as s:
        return team_rows.project_stamp(s)


# --- stages ---------------------------------------------------------------------------


def reviewers(project: ProjectHandle) -> list[str]:
    with project.session() as s:
        team = store.get_settings(s).get("team", {})
    names = team.get("reviewers", []) if isinstance(team, dict) else []
    return [str(n) for n in names] if isinstance(names, list) else []


def set_reviewer(project: ProjectHandle, name: str, reviewer: bool = True) -> list[str]:
    with project.write() as s:
        team = dict(store.get_settings(s).get("team") or {})
        names = [n for n in team.get("reviewers", []) if n != name]
        team["reviewers"] = sorted([*names, name] if reviewer else names)
        store.update_settings(s, team=team)
    return team["reviewers"]


def _must_review(project: ProjectHandle) -> None:
    names = reviewers(project)
    if names and project.author not in names:
        raise StageError(
            f"{project.author} is not a reviewer of this project (reviewers: {', '.join(names)})"
        )


def submit(project: ProjectHandle, image_id: int) -> None:
    """The labeller is done: open -> labelled, the image and its regions verified."""
    with project.write() as s:
        team_rows.set_stage(s, image_id, Stage.LABELLED, project.author, {Stage.OPEN})
        edits.set_verified(s, image_id, True)


def review(project: ProjectHandle, image_id: int) -> None:
    _must_review(project)
    with project.write() as s:
        team_rows.set_stage(s, image_id, Stage.REVIEWED, project.author, {Stage.LABELLED})


def accept(project: ProjectHandle, image_id: int) -> None:
    _must_review(project)
    with project.write() as s:
        team_rows.set_stage(s, image_id, Stage.ACCEPTED, project.author, {Stage.REVIEWED})


def send_back(project: ProjectHandle, image_id: int, note: str) -> None:
    """A reviewer returns an image to its labeller with a note (it is unverified again)."""
    if not note.strip():
        raise StageError("say what to fix: sending an image back needs a note")
    _must_review(project)
    with project.write() as s:
        team_rows.set_stage(
            s,
            image_id,
            Stage.OPEN,
            project.author,
            {Stage.LABELLED, Stage.REVIEWED, Stage.ACCEPTED},
            note.strip(),
        )
        edits.set_verified(s, image_id, False)


def accepted_only(project: ProjectHandle) -> bool:
    """Whether training takes only the images a reviewer accepted (the setting
    `team.accepted_only`; `ocrstudio team accepted-only P on`)."""
    with project.session() as s:
        team = store.get_settings(s).get("team", {})
    return bool(isinstance(team, dict) and team.get("accepted_only", False))


def set_accepted_only(project: ProjectHandle, on: bool) -> None:
    with project.write() as s:
        team = dict(store.get_settings(s).get("team") or {})
        team["accepted_only"] = bool(on)
        store.update_settings(s, team=team)


def accepted_image_ids(project: ProjectHandle) -> list[int]:
    """What exports and training take when told to take only accepted images."""
    with project.session() as s:
        return team_rows.accepted_image_ids(s)


def person_counts(project: ProjectHandle) -> dict[str, PersonCounts]:
    with project.session() as s:
        return team_rows.per_person(s)


def stage_counts(project: ProjectHandle) -> dict[str, int]:
    with project.session() as s:
        return team_rows.stage_counts(s)
