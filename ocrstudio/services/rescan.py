"""Keep a project in step with its image folder (no Qt): photos added to the folder later
become images of the project, an image whose file was moved or renamed inside the folder
is found again by its content (`relink_images`), and the ones still missing are reported
(never deleted: their labels stay).

The folder is the one the project was made from (kept in the project's settings under
`image_folder`), else the folder holding the project folder, else the folder all its
images share."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ocrstudio import store
from ocrstudio.core.cancel import CancelToken
from ocrstudio.services.jobs import JobProgressCallback, report
from ocrstudio.services.project import ProjectHandle, add_image_folder, relink_images

SETTING = "image_folder"


@dataclass(frozen=True)
class RescanReport:
    folder: Path | None
    added: int
    missing: tuple[str, ...]  # stored paths whose file is not there
    relinked: int = 0  # images found again under another name

    def summary(self) -> str:
        if self.folder is None:
            return "no image folder known for this project"
        parts = [f"{self.added} new image(s) added from {self.folder}"]
        if self.relinked:
            parts.append(f"{self.relinked} moved image(s) found again")
        if self.missing:
            names = ", ".join(Path(m).name for m in self.missing[:5])
            more = f" and {len(self.missing) - 5} more" if len(self.missing) > 5 else ""
            parts.append(f"{len(self.missing)} missing: {names}{more}")
        return "; ".join(parts)


def remember_folder(handle: ProjectHandle, folder: Path) -> None:
    with handle.write() as s:
        store.update_settings(s, **{SETTING: str(folder.resolve())})


def image_folder(handle: ProjectHandle) -> Path | None:
    with handle.session() as s:
        kept = store.get_settings(s).get(SETTING)
        files = [r.file for r in store.list_images(s)]
    if kept and Path(kept).is_dir():
        return Path(kept)
    inside = [f for f in files if f.is_relative_to(handle.folder.parent)]
    if files and len(inside) == len(files):
        return handle.folder.parent
    if files:
        common = Path(os.path.commonpath([str(f.parent) for f in files]))
        return common if common.is_dir() else None
    return None


def rescan(
    handle: ProjectHandle,
    progress: JobProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> RescanReport:
    """Relink moved images, add the folder's new ones (one transaction), list the missing."""
    folder = image_folder(handle)
    if folder is None:
        return RescanReport(None, 0, ())
    # first, so a renamed file becomes its old image again rather than a new one
    relinked = relink_images(handle, folder)
    report(progress, 0, 0, f"looking for new images in {folder.name}")
    added = add_image_folder(handle, folder, progress, cancel).added
    with handle.session() as s:
        missing = tuple(r.path for r in store.list_images(s) if not r.file.is_file())
    return RescanReport(folder, added, missing, relinked)
