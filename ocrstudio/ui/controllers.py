"""The window's project-wide commands: creating projects, pre-labeling, re-recognising and
reloading what a job changed. They start Qt-free service callables through the
`JobRunner` and update the editor; they know neither the window nor its status bar (the
window builds this object, its panels and its dialogs, and hands each what it needs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ocrstudio.services import demo
from ocrstudio.services import project as projects
from ocrstudio.services.jobs import JobProgressCallback
from ocrstudio.services.ocr import PredictorCache
from ocrstudio.services.rescan import RescanReport, rescan
from ocrstudio.ui.editor import Editor
from ocrstudio.ui.jobs import JobRunner
from ocrstudio.ui.workers import Job, Worker


class Jobs(QObject):
    def __init__(self, runner: JobRunner, editor: Editor, settings: QSettings, parent: QWidget):
        super().__init__(parent)
        self.runner, self.editor, self.settings = runner, editor, settings
        self.dialog_parent = parent
        self.project: projects.ProjectHandle | None = None
        # the models loaded for this session, shared by every job that reads photos
        self.predictors = PredictorCache()

    def set_project(self, project: projects.ProjectHandle | None) -> None:
        self.project = project

    # ---- plumbing ------------------------------------------------------------------
    def start(
        self,
        job: Job,
        title: str,
        on_done: Callable[[Any], object] | None = None,
        training: bool = False,
    ) -> Worker:
        return self.runner.start(job, title, on_done, training)

    @property
    def last_error(self) -> str:
        return self.runner.last_error

    @property
    def last_message(self) -> str:
        return self.runner.last_message

    def notify(
        self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Information
    ) -> QMessageBox:
        """A non-modal message: a job's end never blocks the window (or a test)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.dialog_parent)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.runner.last_message = text
        return box

    def cancel_all(self) -> None:
        self.runner.cancel_all()

    # ---- projects ------------------------------------------------------------------
    def run_create_project(
        self,
        images: Path,
        folder: Path,
        on_done: Callable[[Path], object],
        split: projects.SplitSettings | None = None,
        url: str | None = None,
    ) -> Worker:
        """A project file, or with `url` a team project on that server (the service
        `ocrstudio project new --db` uses)."""

        def job(progress: JobProgressCallback, cancel: Any) -> Path:
            if url is not None:
                from ocrstudio.services.team import create_team_project

                create_team_project(
                    folder, url, images, split=split, progress=progress, cancel=cancel
                ).close()
                return folder
            projects.create_project(
                folder, images, split=split, progress=progress, cancel=cancel
            ).close()
            return folder

        return self.start(job, f"Creating project from {images.name}", on_done)

    def run_create_demo(self, folder: Path, on_done: Callable[[Path], object]) -> Worker:
        def job(progress: JobProgressCallback, cancel: Any) -> Path:
            return demo.create_demo_project(folder, progress=progress, cancel=cancel)

        return self.start(job, "Creating the demo project", on_done)

    # ---- models ----------------------------------------------------------------------
    def prelabel(self, current_only: bool, only_new: bool = True) -> None:
        from ocrstudio.ui.prelabel_ui import start_prelabel

        start_prelabel(self, current_only, only_new)

    def rerecognize(self) -> None:
        from ocrstudio.ui.prelabel_ui import start_rerecognize

        start_rerecognize(self)

    def second_opinion(self) -> None:
        """Read the unchecked model readings again with rec_conclr (services.
        second_opinion): the one rule then flags where the two recognizers disagree."""
        from ocrstudio.services.second_opinion import SecondOpinionJob

        if self.project is None:
            return
        job = SecondOpinionJob(self.project.folder, predictors=self.predictors)

        def done(n: int) -> None:
            self.editor.update_rule()
            self.runner.notify(
                f"Second opinion on {n} reading(s): the regions it reads "
                "differently are flagged for review"
            )

        self.start(job.run, "Second opinion (rec_conclr)", done)

    def rescan(self, quiet: bool = False) -> None:
        """Add photos put in the project's image folder since, list the missing ones
        (`quiet`: say nothing when nothing changed)."""
        if self.project is None:
            return
        folder = self.project.folder

        def job(progress: JobProgressCallback, cancel: Any) -> RescanReport:
            with projects.open_project(folder) as handle:
                return rescan(handle, progress, cancel)

        def done(report: RescanReport) -> None:
            if self.project is None or self.project.folder != folder:
                return
            if report.added:
                self.reload_all()
            if report.added or report.missing or not quiet:
                self.runner.notify(report.summary())

        self.start(job, "Rescanning the image folder", done)

    def read_drawn(self) -> None:
        """Read the region just drawn (PPOCRLabel does) in the background."""
        from ocrstudio.ui.commands import AddRegions
        from ocrstudio.ui.prelabel_ui import start_rerecognize

        stack = self.editor.undo_stack
        cmd = stack.command(stack.index() - 1)
        if isinstance(cmd, AddRegions):
            start_rerecognize(self, region_ids=tuple(cmd.ids), undoable=False)

    def reload_all(self, clear_undo: bool = False) -> None:
        """After a job changed many images: the list, and the open image if it changed.
        `clear_undo` when the job rewrote regions that older undo steps refer to."""
        ed = self.editor
        if self.project is None:
            return
        if clear_undo:
            ed.undo_stack.clear()
        from ocrstudio.services import annotation as an

        ed.images.set_records(an.list_images(self.project))
        if ed.image is not None:
            ed.refresh_image(ed.image.id, ed.canvas.selected_ids())
