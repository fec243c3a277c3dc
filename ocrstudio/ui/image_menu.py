"""The image list's context menu: change the split, pre-label again, open the file's
folder, remove from the project (the files stay; a question first: their labels go)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMenu, QMessageBox

from ocrstudio.services import image_ops
from ocrstudio.services.prelabel import PrelabelJob

if TYPE_CHECKING:
    from ocrstudio.ui.window_parts import WindowParts


def image_menu(window: WindowParts, ids: list[int]) -> QMenu:
    menu = QMenu(window.window())
    n = f"{len(ids)} images" if len(ids) > 1 else "this image"
    split = menu.addMenu(f"Split of {n}")
    for name in ("train", "val", "test"):
        split.addAction(name, lambda s=name: set_split(window, ids, s))
    menu.addAction(f"Pre-label {n} again", lambda: prelabel_again(window, ids))
    menu.addAction("Open the file's folder", lambda: open_folder(window, ids[0]))
    menu.addSeparator()
    menu.addAction(f"Remove {n} from the project…", lambda: remove(window, ids))
    return menu


def show(window: WindowParts, ids: list[int], where: QPoint) -> None:
    image_menu(window, ids).popup(where)


def set_split(window: WindowParts, ids: list[int], split: str) -> None:
    if window.project is not None:
        image_ops.set_split(window.project, ids, split)
        window.jobs.reload_all()
        window.runner.notify(f"{len(ids)} image(s) moved to the {split} split")


def prelabel_again(window: WindowParts, ids: list[int]) -> None:
    from ocrstudio.ui.prelabel_ui import keep_all, on_landed, prelabel_done, preset

    jobs = window.jobs
    if jobs.project is None:
        return
    job = PrelabelJob(
        jobs.project.folder,
        image_ids=tuple(ids),
        preset=preset(jobs),
        keep_all=keep_all(jobs),
        predictors=jobs.predictors,
    )
    worker = jobs.start(
        job.run,
        f"Pre-labeling {len(ids)} image(s) again",
        lambda r: prelabel_done(jobs, r, "Pre-label image", job.project),
    )
    worker.progress_reported.connect(lambda p: on_landed(jobs, p, job.project))


def open_folder(window: WindowParts, image_id: int) -> None:
    rec = next((r for r in window.editor.images.records if r.id == image_id), None)
    if rec is not None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(rec.file.parent)))


def remove(window: WindowParts, ids: list[int]) -> None:
    if window.project is None:
        return
    answer = QMessageBox.question(
        window.window(),
        "Remove from the project",
        f"Remove {len(ids)} image(s) and their regions from the project? The files stay "
        "where they are; this cannot be undone.",
    )
    if answer != QMessageBox.StandardButton.Yes:
        return
    open_id = window.editor.image.id if window.editor.image else None
    n = image_ops.remove_images(window.project, ids)
    if open_id in ids:
        window.editor.undo_stack.clear()
        window.editor.set_project(window.project)  # the open image is gone
        first = window.image_panel.first_id()
        if first is not None:
            window.editor.open_image(first)
    else:
        window.jobs.reload_all()
    window.runner.notify(f"{n} image(s) removed from the project (the files stay)")
