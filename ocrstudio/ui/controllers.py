"""The window's long-running and project-wide commands: creating projects, pre-labeling,
re-recognising, training, import/export, search and the review queue. Each job is a
Qt-free service callable run by `workers.Worker`; this module starts it, shows it in the
jobs bar and reloads what it changed when it ends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox

from ocrstudio.services import demo
from ocrstudio.services import project as projects
from ocrstudio.ui.workers import Worker

if TYPE_CHECKING:
    from ocrstudio.ui.main_window import MainWindow


class Jobs(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.project: projects.ProjectHandle | None = None
        self.last_error = ""
        self.last_message = ""
        from ocrstudio.ui.panels.models import ModelsPanel

        self.models_panel = ModelsPanel(self)

    def handlers(self) -> dict[str, Callable[[], object]]:
        from ocrstudio.ui import review

        return {
            "prelabel_image": lambda: self.prelabel(current_only=True),
            "prelabel_all": lambda: self.prelabel(current_only=False),
            "rerecognize": self.rerecognize,
            "train": self.train,
            "import_labels": self.import_labels,
            "export_labels": self.export_labels,
            "find": lambda: review.FindDialog(self.window).show(),
            "review_next": lambda: review.review_next(self.window),
        }

    def set_project(self, project: projects.ProjectHandle | None) -> None:
        self.project = project
        self.models_panel.set_project(project)

    # ---- plumbing ------------------------------------------------------------------
    def start(self, job: Callable[..., Any], title: str,
              on_done: Callable[[Any], None] | None = None, training: bool = False) -> Worker:
        worker = Worker(job, title)
        if on_done is not None:
            worker.finished_ok.connect(on_done)
        worker.failed.connect(lambda msg, _tb, t=title: self._failed(t, msg))
        worker.cancelled.connect(
            lambda t=title: self.window.statusBar().showMessage(f"{t}: cancelled", 5000))
        self.window.jobs_bar.add(worker, title)
        return self.window.pools.start(worker, training=training)

    def _failed(self, title: str, message: str) -> None:
        self.last_error = f"{title} failed: {message}"
        self.window.statusBar().showMessage(self.last_error, 15000)
        self.notify(f"{title} failed", message, QMessageBox.Icon.Warning)

    def notify(self, title: str, text: str,
               icon: QMessageBox.Icon = QMessageBox.Icon.Information) -> QMessageBox:
        """A non-modal message: a job's end never blocks the window (or a test)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.last_message = text
        return box

    def cancel_all(self) -> None:
        for w in self.window.pools.active():
            w.cancel()

    # ---- projects ------------------------------------------------------------------
    def run_create_project(self, images: Path, folder: Path,
                           on_done: Callable[[Path], object]) -> Worker:
        def job(progress: Callable[..., None], cancel: Any) -> Path:
            projects.create_project(folder, images, progress=progress, cancel=cancel).close()
            return folder

        return self.start(job, f"Creating project from {images.name}", on_done)

    def run_create_demo(self, folder: Path, on_done: Callable[[Path], object]) -> Worker:
        def job(progress: Callable[..., None], cancel: Any) -> Path:
            return demo.create_demo_project(folder, progress=progress, cancel=cancel)

        return self.start(job, "Creating the demo project", on_done)

    # ---- filled in by the model and transfer parts -----------------------------------
    def prelabel(self, current_only: bool) -> None:
        from ocrstudio.ui.prelabel_ui import start_prelabel

        start_prelabel(self, current_only)

    def rerecognize(self) -> None:
        from ocrstudio.ui.prelabel_ui import start_rerecognize

        start_rerecognize(self)

    def train(self) -> None:
        from ocrstudio.ui.dialogs.training import TrainingDialog

        if self.project is not None:
            TrainingDialog(self, self.window).show()

    def import_labels(self) -> None:
        from ocrstudio.ui.dialogs.transfer import ImportDialog

        if self.project is not None:
            ImportDialog(self, self.window).exec()

    def export_labels(self) -> None:
        from ocrstudio.ui.dialogs.transfer import ExportDialog

        if self.project is not None:
            ExportDialog(self, self.window).exec()

    def reload_all(self, clear_undo: bool = False) -> None:
        """After a job changed many images: the list, and the open image if it changed.
        `clear_undo` when the job rewrote regions that older undo steps refer to."""
        ed = self.window.editor
        if self.project is None:
            return
        if clear_undo:
            ed.undo_stack.clear()
        from ocrstudio.services import annotation as an

        ed.images.set_records(an.list_images(self.project))
        if ed.image is not None:
            ed.refresh_image(ed.image.id, ed.canvas.selected_ids())
