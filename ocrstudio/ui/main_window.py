"""The main window: it assembles the parts (start page, canvas, panels, actions, jobs) and
opens and closes projects. The editing logic lives in `editor.py`, the long jobs in
`controllers.py`, the dialogs in `dialogs/`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QSettings, QStandardPaths, Qt
from PySide6.QtGui import QActionGroup, QCloseEvent
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
from ocrstudio.ui.actions import ACTIONS, build_actions
from ocrstudio.ui.canvas.draft import Tool
from ocrstudio.ui.canvas.view import Canvas
from ocrstudio.ui.controllers import Jobs
from ocrstudio.ui.dialogs.shortcuts import ShortcutsDialog
from ocrstudio.ui.editor import Editor
from ocrstudio.ui.jobs import JobsBar
from ocrstudio.ui.models import ImageTableModel, RegionTableModel
from ocrstudio.ui.panels.images import ImageListPanel
from ocrstudio.ui.panels.regions import RegionPanel
from ocrstudio.ui.start_page import StartPage, remember_project
from ocrstudio.ui.thumbnails import ThumbnailCache
from ocrstudio.ui.workers import WorkerPools

TOOLS = {"tool_edit": Tool.EDIT, "tool_rect": Tool.RECT, "tool_quad": Tool.QUAD,
         "tool_polygon": Tool.POLYGON}
PROJECT_DIR_NAME = "ocrstudio_project"


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or QSettings()
        self.project: projects.ProjectHandle | None = None
        self.pools = WorkerPools()
        self.setWindowTitle("ocrstudio")
        self.resize(1400, 860)
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
        self.status_label = QLabel()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.jobs_bar)
        self.jobs = Jobs(self)
        self.docks = {name: self._dock(title, widget, area) for name, title, widget, area in (
            ("images", "Images", self.image_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("regions", "Regions", self.region_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            ("models", "Models", self.jobs.models_panel, Qt.DockWidgetArea.RightDockWidgetArea),
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
            "copy": self._copy, "paste": e.paste, "delete": e.delete_selected,
            "select_all": lambda: c.select(e.ordered_ids()),
            "fit": c.fit, "zoom_in": lambda: c.zoom_by(1.25), "zoom_out": lambda: c.zoom_by(0.8),
            "toggle_text": lambda: c.set_show_text(self.actions_["toggle_text"].isChecked()),
            "edit_text": lambda: self.region_panel.focus_text(),
            "next_image": lambda: e.step_image(+1), "prev_image": lambda: e.step_image(-1),
            "verify_next": self.verify_and_next, "shortcuts": self.show_shortcuts,
        }
        handlers.update({name: (lambda t=tool: self.set_tool(t)) for name, tool in TOOLS.items()})
        handlers.update(self.jobs.handlers())
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

    def _wire(self) -> None:
        e = self.editor
        self.start_page.open_requested.connect(lambda p: self.open_project(Path(p)))
        self.start_page.browse_requested.connect(self.ask_open_project)
        self.start_page.new_requested.connect(self.ask_new_project)
        self.start_page.demo_requested.connect(self.ask_demo_project)
        self.image_panel.image_chosen.connect(self._image_chosen)
        e.next_image_id = self.image_panel.neighbour
        e.image_opened.connect(self._image_opened)
        e.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        e.undo_stack.cleanChanged.connect(lambda _c: self._update_title())
        self.canvas.step_requested.connect(self.region_panel.step)
        self.canvas.region_activated.connect(self.region_panel.focus_text)
        # a region just drawn is selected (the editor's slot ran first): type its text now
        self.canvas.region_drawn.connect(lambda _poly: self.region_panel.focus_text())
        self.canvas.context_requested.connect(self._context_menu)
        for name, signal, label in (("undo", e.undo_stack.undoTextChanged, "&Undo"),
                                    ("redo", e.undo_stack.redoTextChanged, "&Redo")):
            signal.connect(lambda text, n=name, lb=label: self.actions_[n].setText(
                f"{lb} {text}" if text else lb))

    # ---- projects ------------------------------------------------------------------
    def open_project(self, folder: Path) -> bool:
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
        remember_project(self.settings, handle.folder)
        self._set_project_ui(True)
        first = self.image_panel.first_id()
        if first is not None:
            self.editor.open_image(first)
        self._update_title()
        return True

    def close_project(self) -> None:
        if self.project is None:
            return
        self.jobs.cancel_all()
        self.editor.set_project(None)
        self.jobs.set_project(None)
        self.project.close()
        self.project = None
        self._set_project_ui(False)
        self.start_page.refresh()
        self._update_title()

    def create_project(self, images: Path, folder: Path | None = None) -> None:
        """Create a project from a folder of images in the background, then open it."""
        folder = folder or images / PROJECT_DIR_NAME
        if projects.is_project(folder):
            self.open_project(folder)
            return
        self.jobs.run_create_project(images, folder, on_done=self.open_project)

    def ask_new_project(self) -> None:
        images = QFileDialog.getExistingDirectory(self, "Folder of images")
        if images:
            self.create_project(Path(images))

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
            self.statusBar().showMessage(f"Creating the demo project in {folder}", 10000)
            self.jobs.run_create_demo(folder, on_done=self.open_project)

    # ---- editing glue --------------------------------------------------------------
    def set_tool(self, tool: Tool) -> None:
        self.canvas.set_tool(tool)
        name = next(n for n, t in TOOLS.items() if t is tool)
        self.actions_[name].setChecked(True)

    def _copy(self) -> None:
        n = self.editor.copy()
        self.statusBar().showMessage(f"Copied {n} region(s)", 3000)

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
            self.status_label.setText(f"{rec.path}   {rec.width} x {rec.height}   "
                                      f"{rec.split.value}")

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
        self.close_project()
        self.pools.shutdown()
        super().closeEvent(event)
