"""The main window: it assembles the parts (start page, canvas, panels, actions, jobs),
builds the panels and dialogs and hands them the job runner and the editor, and opens and
closes projects. The editing logic lives in `editor.py`, the project-wide commands in
`controllers.py`, the dialogs in `dialogs/`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from ocrstudio.core.errors import OcrStudioError
from ocrstudio.services import project as projects
from ocrstudio.services.rescan import remember_folder
from ocrstudio.ui import image_menu, session
from ocrstudio.ui.actions import ACTIONS, build_actions

if TYPE_CHECKING:
    from ocrstudio.ui.dialogs.improve import ImproveDialog
    from ocrstudio.ui.dialogs.training import TrainingDialog
from ocrstudio.ui.canvas.draft import Tool
from ocrstudio.ui.canvas.view import Canvas
from ocrstudio.ui.controllers import Jobs
from ocrstudio.ui.dialogs.live_run import one_dialog
from ocrstudio.ui.dialogs.shortcuts import ShortcutsDialog
from ocrstudio.ui.editor import Editor
from ocrstudio.ui.jobs import JobRunner, JobsBar
from ocrstudio.ui.models import ImageTableModel, RegionTableModel
from ocrstudio.ui.panels.images import ImageListPanel
from ocrstudio.ui.panels.models import ModelsPanel
from ocrstudio.ui.panels.regions import RegionPanel
from ocrstudio.ui.prelabel_ui import CHECK_KEY
from ocrstudio.ui.start_page import StartPage, remember_project
from ocrstudio.ui.team_ui import TeamSession
from ocrstudio.ui.thumbnails import ThumbnailCache
from ocrstudio.ui.workers import WorkerPools

TOOLS = {"tool_edit": Tool.EDIT, "tool_rect": Tool.RECT, "tool_quad": Tool.QUAD,
         "tool_polygon": Tool.POLYGON}
PROJECT_DIR_NAME = "ocrstudio_project"
DEFAULT_SIZE = (1400, 860)
DOCK_MIN_WIDTH = 160
MESSAGE_MS = 10_000


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or QSettings()
        self.project: projects.ProjectHandle | None = None
        self.team: TeamSession | None = None  # leases, polling, stages of a team project
        self.pools = WorkerPools()
        self.setWindowTitle("ocrstudio")
        self.resize(*session.fit_screen(DEFAULT_SIZE))
        self.setAcceptDrops(True)
        self.thumbnails = ThumbnailCache(self.pools.thumbnails, parent=self)
        self.canvas = Canvas()
        self.editor = Editor(self.canvas, ImageTableModel(self.thumbnails), RegionTableModel(),
                             self, prefetch_pool=self.pools.thumbnails)
        self.image_panel = ImageListPanel(self.editor.images)
        self.region_panel = RegionPanel(self.editor)
        self.start_page = StartPage(self.settings)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_page)
        self.stack.addWidget(self.canvas)
        self.setCentralWidget(self.stack)
        self.jobs_bar = JobsBar()
        # One line of text in the status bar: the open image, or for a while a message
        # (QStatusBar's own temporary messages drew over it).
        self.status_label = QLabel()
        self.image_info = ""
        self._message_timer = QTimer(self, singleShot=True,
                                     timeout=lambda: self.status_label.setText(self.image_info))
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.jobs_bar)
        self.runner = JobRunner(self.pools, self.jobs_bar, self.notify, self)
        self.jobs = Jobs(self.runner, self.editor, self.settings, self)
        self.models_panel = ModelsPanel(self.runner)
        self.improve_dialog: ImproveDialog | None = None
        self.training_dialog: TrainingDialog | None = None
        self.models_panel.train_requested.connect(self.train)
        # the unsure rule comes from the active recognizer's card
        self.models_panel.active_changed.connect(self.editor.update_rule)
        self.docks = {name: self._dock(title, widget, area) for name, title, widget, area in (
            ("images", "Images", self.image_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("regions", "Regions", self.region_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            ("models", "Models", self.models_panel, Qt.DockWidgetArea.RightDockWidgetArea),
        )}
        self.tabifyDockWidget(self.docks["regions"], self.docks["models"])
        self.docks["regions"].raise_()
        self.resizeDocks([self.docks["images"], self.docks["regions"]], [370, 400],
                         Qt.Orientation.Horizontal)
        self.actions_ = build_actions(self, self._handlers())
        self._build_menus()
        self._wire()
        self._set_project_ui(False)

    # ---- assembly ------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        widget.setMinimumWidth(DOCK_MIN_WIDTH)  # a small or scaled screen still fits
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _handlers(self) -> dict[str, object]:
        e, c = self.editor, self.canvas
        handlers = {
            "new_project": self.ask_new_project, "open_project": self.ask_open_project,
            "demo_project": self.ask_demo_project, "close_project": self.close_project,
            "quit": self.close, "undo": e.undo_stack.undo, "redo": e.undo_stack.redo,
            "copy": self._copy, "paste": self._paste, "delete": e.delete_selected,
            "select_all": lambda: c.select(e.ordered_ids()),
            "toggle_ignore": lambda: (self.region_panel.commit_text(), e.toggle_ignore()),
            "fit": c.fit, "zoom_in": lambda: c.zoom_by(1.25), "zoom_out": lambda: c.zoom_by(0.8),
            "toggle_text": lambda: c.set_show_text(self.actions_["toggle_text"].isChecked()),
            "show_order": lambda: c.set_show_order(self.actions_["show_order"].isChecked()),
            "renumber": self._renumber, "auto_order": e.automatic_order,
            "rotate_cw": lambda: e.rotate(1), "rotate_ccw": lambda: e.rotate(-1),
            "labels_selected": lambda: c.set_labels_selected_only(
                self.actions_["labels_selected"].isChecked()),
            "edit_text": lambda: self.region_panel.focus_text(),
            "next_image": lambda: e.step_image(+1), "prev_image": lambda: e.step_image(-1),
            "verify_next": self.verify_and_next, "shortcuts": self.show_shortcuts,
        }
        handlers.update({name: (lambda t=tool: self.set_tool(t)) for name, tool in TOOLS.items()})
        handlers.update(self._job_handlers())
        missing = {a.name for a in ACTIONS} - set(handlers)
        assert not missing, f"actions without a handler: {missing}"
        return handlers  # type: ignore[return-value]

    def _build_menus(self) -> None:
        menus: dict[str, object] = {}
        for spec in ACTIONS:
            if spec.menu not in menus:
                menus[spec.menu] = self.menuBar().addMenu(f"&{spec.menu}")
            menus[spec.menu].addAction(self.actions_[spec.name])  # type: ignore[attr-defined]
        group = QActionGroup(self)
        toolbar = self.addToolBar("Tools")
        toolbar.setObjectName("toolbar_tools")
        for name in TOOLS:
            group.addAction(self.actions_[name])
            toolbar.addAction(self.actions_[name])
        self.actions_["tool_edit"].setChecked(True)
        toolbar.addSeparator()
        for name in ("undo", "redo", "fit", "toggle_text", "verify_next", "prelabel_image",
                     "train"):
            toolbar.addAction(self.actions_[name])
        self.actions_["toggle_text"].setChecked(True)
        self.actions_["read_drawn"].setChecked(
            self.settings.value("read_drawn", True, type=bool))  # type: ignore[call-overload]
        self.actions_["check_unsure"].setChecked(
            self.settings.value(CHECK_KEY, True, type=bool))  # type: ignore[call-overload]

    def _wire(self) -> None:
        e = self.editor
        self.start_page.open_requested.connect(lambda p: self.open_project(Path(p)))
        self.start_page.browse_requested.connect(self.ask_open_project)
        self.start_page.new_requested.connect(self.ask_new_project)
        self.start_page.demo_requested.connect(self.ask_demo_project)
        self.image_panel.image_chosen.connect(self._image_chosen)
        self.image_panel.context_requested.connect(
            lambda ids, where: image_menu.show(self, ids, where))
        e.next_image_id = self.image_panel.neighbour
        e.image_opened.connect(self._image_opened)
        e.message.connect(self.show_message)
        e.undo_stack.cleanChanged.connect(lambda _c: self._update_title())
        self.canvas.step_requested.connect(self.region_panel.step)
        # Tab from the image list goes to the regions (the canvas picks the first)
        QWidget.setTabOrder(self.image_panel.view, self.canvas)
        self.canvas.region_activated.connect(self.region_panel.focus_text)
        # a region just drawn is selected (the editor's slot ran first): type its text now
        self.canvas.region_drawn.connect(lambda _poly: self.region_panel.focus_text())
        self.canvas.region_drawn.connect(lambda _poly: self._read_drawn())
        self.canvas.context_requested.connect(self._context_menu)
        for name, signal, label in (("undo", e.undo_stack.undoTextChanged, "&Undo"),
                                    ("redo", e.undo_stack.redoTextChanged, "&Redo")):
            signal.connect(lambda text, n=name, lb=label: self.actions_[n].setText(
                f"{lb} {text}" if text else lb))

    # ---- projects ------------------------------------------------------------------
    def open_project(self, folder: Path, rescan: bool = True) -> bool:
        """Open the project in `folder`; `rescan` looks for photos added to its image
        folder since (in the background)."""
        try:
            handle = projects.open_project(folder)
        except OcrStudioError as exc:
            QMessageBox.warning(self, "Cannot open project", str(exc))
            return False
        self.close_project()
        self.project = handle
        self.thumbnails.clear()  # image ids start again in another project
        self.editor.set_project(handle)
        self.jobs.set_project(handle)
        self.models_panel.set_project(handle)
        remember_project(self.settings, handle.folder)
        self._set_project_ui(True)
        if handle.is_team:
            self.team = TeamSession(self, handle, self.editor, self.show_message)
        first = self.image_panel.first_id()
        if first is not None:
            self.editor.open_image(first)
        self._update_title()
        if rescan:
            self.rescan(quiet=True)
        return True

    def close_project(self) -> None:
        if self.project is None:
            return
        self.jobs.cancel_all()
        if self.team is not None:
            self.team.stop()
            self.team = None
        self.editor.set_project(None)
        self.jobs.set_project(None)
        self.models_panel.set_project(None)
        self.project.close()
        self.project = None
        self._set_project_ui(False)
        self.start_page.refresh()
        self._update_title()

    def create_project(self, images: Path, folder: Path | None = None,
                       split: projects.SplitSettings | None = None,
                       url: str | None = None) -> None:
        """Create a project from a folder of images in the background, then open it
        (`url`: a team project on that PostgreSQL server)."""
        folder = folder or images / PROJECT_DIR_NAME
        if projects.is_project(folder):
            self.open_project(folder)  # and rescan: photos added since become images
            return
        self.jobs.run_create_project(images, folder, on_done=lambda f: self._created(f, images),
                                     split=split, url=url)

    def _created(self, folder: Path, images: Path) -> None:
        with projects.open_project(folder) as handle:
            remember_folder(handle, images)
        self.open_project(folder, rescan=False)

    def ask_new_project(self) -> None:
        from ocrstudio.ui.dialogs.new_project import NewProjectDialog

        dialog = NewProjectDialog(self, self.settings)
        if dialog.exec() and (images := dialog.images()) and (folder := dialog.project_folder()):
            self.create_project(images, folder, split=dialog.split(), url=dialog.server_url())

    def ask_open_project(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Project folder (holds project.db)")
        if folder:
            self.open_project(Path(folder))

    def demo_folder(self) -> Path:
        """Where the demo project lives: Documents/ocrstudio-demo unless set otherwise."""
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        default = Path(docs or Path.home()) / "ocrstudio-demo"
        return Path(str(self.settings.value("demo_folder", str(default))))

    def ask_demo_project(self) -> None:
        """Open the demo project, making it first (no questions: a newcomer clicks once)."""
        folder = self.demo_folder()
        if projects.is_project(folder):
            self.open_project(folder)
        elif folder.exists() and any(folder.iterdir()):
            QMessageBox.warning(self, "Demo project", f"{folder} exists and is not a project; "
                                "set another place with File > New project.")
        else:
            self.show_message(f"Creating the demo project in {folder}")
            self.jobs.run_create_demo(folder, on_done=self.open_project)

    # ---- jobs, dialogs and messages ------------------------------------------------
    def _job_handlers(self) -> dict[str, object]:
        from ocrstudio.ui import review
        from ocrstudio.ui.dialogs.transfer import ExportDialog, ImportDialog

        return {
            "prelabel_image": lambda: self.jobs.prelabel(current_only=True),
            "prelabel_all": lambda: self.jobs.prelabel(current_only=False),
            "prelabel_again": lambda: self.jobs.prelabel(current_only=False, only_new=False),
            "read_drawn": lambda: self.settings.setValue(
                "read_drawn", self.actions_["read_drawn"].isChecked()),
            "check_unsure": lambda: self.settings.setValue(
                CHECK_KEY, self.actions_["check_unsure"].isChecked()),
            # what is being typed is stored first: the re-read is of the person's box
            "rerecognize": lambda: (self.region_panel.commit_text(), self.jobs.rerecognize()),
            "train": self.train,
            "improve": self.improve,
            "import_labels": lambda: self.project and ImportDialog(self.jobs, self).exec(),
            "export_labels": lambda: self.project and ExportDialog(self.jobs, self).exec(),
            "find": lambda: review.FindDialog(self.editor, self.jobs, self).show(),
            "review_next": self.region_panel.review.next,
            "rescan": self.rescan,
            "quick_ocr": self.quick_ocr,
        }

    def train(self) -> TrainingDialog | None:
        """One dialog for the window's life: reopened during a run, it shows that run."""
        from ocrstudio.ui.dialogs.training import TrainingDialog

        return None if self.project is None else one_dialog(  # type: ignore[return-value]
            self, "training_dialog", lambda: TrainingDialog(self.jobs, self.models_panel, self))

    def improve(self) -> ImproveDialog | None:
        """One dialog for the window's life: reopened during a run, it shows that run."""
        from ocrstudio.ui.dialogs.improve import ImproveDialog

        return None if self.project is None else one_dialog(  # type: ignore[return-value]
            self, "improve_dialog", lambda: ImproveDialog(self.jobs, self.models_panel, self))

    def quick_ocr(self, file: Path | None = None) -> None:
        from ocrstudio.ui.quick_ocr import QuickOcrDialog

        QuickOcrDialog.open_for(self, file)

    def show_message(self, text: str, ms: int = MESSAGE_MS) -> None:
        self.status_label.setText(text)
        self._message_timer.start(ms)

    def notify(self, text: str, failure: bool = False) -> None:
        """The runner's callback: a line in the status bar; a failure also in a box."""
        self.show_message(text, 2 * MESSAGE_MS if failure else MESSAGE_MS)
        if failure:
            title, _, message = text.partition(" failed: ")
            self.jobs.notify(f"{title} failed" if message else "Failed", message or text,
                             QMessageBox.Icon.Warning)

    def rescan(self, quiet: bool = False) -> None:
        self.jobs.rescan(quiet)

    def _read_drawn(self) -> None:
        if self.actions_["read_drawn"].isChecked():
            self.jobs.read_drawn()

    def restore_session(self) -> bool:
        """Where the last session ended: window size and layout, and its project."""
        return session.restore(self)

    # ---- editing glue --------------------------------------------------------------
    def set_tool(self, tool: Tool) -> None:
        self.canvas.set_tool(tool)
        name = next(n for n, t in TOOLS.items() if t is tool)
        self.actions_[name].setChecked(True)

    def _copy(self) -> None:
        n = self.editor.copy()
        self.show_message(f"Copied {n} region(s) and their text")

    def _renumber(self) -> None:
        self.set_tool(Tool.EDIT)
        self.canvas.setFocus()
        self.canvas.start_renumber()
        self.show_message("Click the regions in reading order; Enter ends, Esc drops it")

    def _paste(self) -> None:
        """Regions copied here paste as regions; an image on the clipboard is read."""
        from ocrstudio.ui.quick_ocr import QuickOcrDialog, clipboard_pixels

        pixels = None if self.editor.clipboard else clipboard_pixels()
        if pixels is not None:
            QuickOcrDialog.open_for(self, pixels=pixels)
        else:
            self.editor.paste()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """Photos or folders dropped: into the open project, else one photo is read."""
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        session.drop(self, paths)

    def _context_menu(self, where: QPoint, vertex: tuple[int, int] | None) -> None:
        menu = QMenu(self)
        if vertex is not None:
            menu.addAction("Delete this vertex", lambda: self.editor.delete_vertex(*vertex))
            menu.addSeparator()
        for name in ("edit_text", "copy", "paste", "delete", "rerecognize", "select_all"):
            menu.addAction(self.actions_[name])
        menu.popup(where)

    def verify_and_next(self) -> None:
        self.region_panel.commit_text()
        self.editor.verify_and_next()

    def _image_chosen(self, image_id: int) -> None:
        self.region_panel.commit_text()
        self.editor.open_image(image_id)

    def _image_opened(self, image_id: int) -> None:
        self.image_panel.show_image(image_id)
        rec = self.editor.image
        if rec is not None:
            self.image_info = f"{rec.path}   {rec.width} x {rec.height}   {rec.split.value}"
            if not self._message_timer.isActive():
                self.status_label.setText(self.image_info)

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).exec()

    def _set_project_ui(self, has_project: bool) -> None:
        self.stack.setCurrentWidget(self.canvas if has_project else self.start_page)
        for dock in self.docks.values():
            dock.setVisible(has_project)
        for spec in ACTIONS:
            if spec.menu not in ("File", "Help"):
                self.actions_[spec.name].setEnabled(has_project)
        for name in ("import_labels", "export_labels", "close_project"):
            self.actions_[name].setEnabled(has_project)

    def _update_title(self) -> None:
        name = self.project.folder.name if self.project else ""
        self.setWindowTitle(f"{name} — ocrstudio" if name else "ocrstudio")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.region_panel.commit_text()
        session.save(self)
        self.close_project()
        self.pools.shutdown()
        super().closeEvent(event)

