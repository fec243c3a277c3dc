"""The main window: it assembles the parts (start page, canvas, panels, actions, jobs,
dialogs, the status line, the team part), wires them together, and opens and closes
projects, telling every part. What the actions do lives in `window_commands.py`, the
dialogs it keeps in `window_dialogs.py`, the editing logic in `editor.py`, the
project-wide commands in `controllers.py`, a team project's leases in `team_ui.py`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
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
from ocrstudio.ui.canvas.view import Canvas
from ocrstudio.ui.controllers import Jobs
from ocrstudio.ui.editor import Editor
from ocrstudio.ui.jobs import JobRunner, JobsBar
from ocrstudio.ui.models import ImageTableModel, RegionTableModel
from ocrstudio.ui.panels.images import ImageListPanel
from ocrstudio.ui.panels.models import ModelsPanel
from ocrstudio.ui.panels.regions import RegionPanel
from ocrstudio.ui.prelabel_ui import CHECK_KEY
from ocrstudio.ui.start_page import StartPage, remember_project
from ocrstudio.ui.status_line import MESSAGE_MS, StatusLine
from ocrstudio.ui.team_ui import TeamPart
from ocrstudio.ui.thumbnails import ThumbnailCache
from ocrstudio.ui.window_commands import TOOLS, WindowCommands
from ocrstudio.ui.window_dialogs import WindowDialogs
from ocrstudio.ui.workers import WorkerPools

PROJECT_DIR_NAME = "ocrstudio_project"
DEFAULT_SIZE = (1400, 860)
DOCK_MIN_WIDTH = 160


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or QSettings()
        self.project: projects.ProjectHandle | None = None
        self.pools = WorkerPools()
        self.setWindowTitle("ocrstudio")
        self.resize(*session.fit_screen(DEFAULT_SIZE))
        self.setAcceptDrops(True)
        self.thumbnails = ThumbnailCache(self.pools.thumbnails, parent=self)
        self.canvas = Canvas()
        self.editor = Editor(
            self.canvas,
            ImageTableModel(self.thumbnails),
            RegionTableModel(),
            self,
            prefetch_pool=self.pools.thumbnails,
        )
        self.image_panel = ImageListPanel(self.editor.images)
        self.region_panel = RegionPanel(self.editor)
        self.start_page = StartPage(self.settings)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_page)
        self.stack.addWidget(self.canvas)
        self.setCentralWidget(self.stack)
        self.jobs_bar = JobsBar()
        self.status_label = StatusLine()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.jobs_bar)
        self.runner = JobRunner(self.pools, self.jobs_bar, self.notify, self)
        self.jobs = Jobs(self.runner, self.editor, self.settings, self)
        self.models_panel = ModelsPanel(self.runner)
        # the unsure rule comes from the active recognizer's card
        self.models_panel.active_changed.connect(self.editor.update_rule)
        self.team = TeamPart(self, self.editor, self.status_label.show_message)
        self.dialogs = WindowDialogs(self)
        self.commands = WindowCommands(self)
        self.docks = {
            name: self._dock(title, widget, area)
            for name, title, widget, area in (
                ("images", "Images", self.image_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
                ("regions", "Regions", self.region_panel, Qt.DockWidgetArea.RightDockWidgetArea),
                ("models", "Models", self.models_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            )
        }
        self.tabifyDockWidget(self.docks["regions"], self.docks["models"])
        self.docks["regions"].raise_()
        self.resizeDocks(
            [self.docks["images"], self.docks["regions"]], [370, 400], Qt.Orientation.Horizontal
        )
        self.actions_ = build_actions(self, self.commands.handlers())
        self._build_menus()
        self._wire()
        self._set_project_ui(False)

    # ---- assembly ------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        widget.setMinimumWidth(DOCK_MIN_WIDTH)  # a small or scaled screen still fits
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        menus: dict[str, QMenu] = {}
        for spec in ACTIONS:
            if spec.menu not in menus:
                menus[spec.menu] = self.menuBar().addMenu(f"&{spec.menu}")
            menus[spec.menu].addAction(self.actions_[spec.name])
        group = QActionGroup(self)
        toolbar = self.addToolBar("Tools")
        toolbar.setObjectName("toolbar_tools")
        for name in TOOLS:
            group.addAction(self.actions_[name])
            toolbar.addAction(self.actions_[name])
        self.actions_["tool_edit"].setChecked(True)
        toolbar.addSeparator()
        for name in (
            "undo",
            "redo",
            "fit",
            "toggle_text",
            "verify_next",
            "prelabel_image",
            "train",
        ):
            toolbar.addAction(self.actions_[name])
        self.actions_["toggle_text"].setChecked(True)
        for name, key in (("read_drawn", "read_drawn"), ("check_unsure", CHECK_KEY)):
            self.actions_[name].setChecked(bool(self.settings.value(key, True, type=bool)))

    def _wire(self) -> None:
        e, c = self.editor, self.commands
        self.start_page.open_requested.connect(lambda p: self.open_project(Path(p)))
        self.start_page.browse_requested.connect(c.ask_open_project)
        self.start_page.new_requested.connect(c.ask_new_project)
        self.start_page.demo_requested.connect(c.ask_demo_project)
        self.image_panel.image_chosen.connect(self._image_chosen)
        self.image_panel.context_requested.connect(
            lambda ids, where: image_menu.show(self, ids, where)
        )
        e.next_image_id = self.image_panel.neighbour
        e.image_opened.connect(self._image_opened)
        e.message.connect(self.status_label.show_message)
        e.undo_stack.cleanChanged.connect(lambda _c: self._update_title())
        self.canvas.step_requested.connect(self.region_panel.step)
        # Tab from the image list goes to the regions (the canvas picks the first)
        QWidget.setTabOrder(self.image_panel.view, self.canvas)
        self.canvas.region_activated.connect(self.region_panel.focus_text)
        # a region just drawn is selected (the editor's slot ran first): type its text now
        self.canvas.region_drawn.connect(lambda _poly: self.region_panel.focus_text())
        self.canvas.region_drawn.connect(lambda _poly: c.read_drawn())
        self.canvas.context_requested.connect(c.context_menu)
        for name, signal, label in (
            ("undo", e.undo_stack.undoTextChanged, "&Undo"),
            ("redo", e.undo_stack.redoTextChanged, "&Redo"),
        ):
            signal.connect(
                lambda text, n=name, lb=label: self.actions_[n].setText(
                    f"{lb} {text}" if text else lb
                )
            )

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
        self.team.project_opened(handle)
        first = self.image_panel.first_id()
        if first is not None:
            self.editor.open_image(first)
        self._update_title()
        if rescan:
            self.jobs.rescan(quiet=True)
        return True

    def close_project(self) -> None:
        if self.project is None:
            return
        self.jobs.cancel_all()
        self.team.project_closed()
        self.editor.set_project(None)
        self.jobs.set_project(None)
        self.models_panel.set_project(None)
        self.project.close()
        self.project = None
        self._set_project_ui(False)
        self.start_page.refresh()
        self._update_title()

    def create_project(
        self,
        images: Path,
        folder: Path | None = None,
        split: projects.SplitSettings | None = None,
        url: str | None = None,
    ) -> None:
        """Create a project from a folder of images in the background, then open it
        (`url`: a team project on that PostgreSQL server)."""
        folder = folder or images / PROJECT_DIR_NAME
        if projects.is_project(folder):
            self.open_project(folder)  # and rescan: photos added since become images
            return
        self.jobs.run_create_project(
            images, folder, on_done=lambda f: self._created(f, images), split=split, url=url
        )

    def _created(self, folder: Path, images: Path) -> None:
        with projects.open_project(folder) as handle:
            remember_folder(handle, images)
        self.open_project(folder, rescan=False)

    def restore_session(self) -> bool:
        """Where the last session ended: window size and layout, and its project."""
        return session.restore(self)

    # ---- what the parts say --------------------------------------------------------
    def notify(self, text: str, failure: bool = False) -> None:
        """The runner's callback: a line in the status bar; a failure also in a box."""
        self.status_label.show_message(text, 2 * MESSAGE_MS if failure else MESSAGE_MS)
        if failure:
            title, _, message = text.partition(" failed: ")
            self.jobs.notify(
                f"{title} failed" if message else "Failed",
                message or text,
                QMessageBox.Icon.Warning,
            )

    def _image_chosen(self, image_id: int) -> None:
        self.region_panel.commit_text()
        self.editor.open_image(image_id)

    def _image_opened(self, image_id: int) -> None:
        self.image_panel.show_image(image_id)
        if self.editor.image is not None:
            self.status_label.show_image(self.editor.image)

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

    # ---- Qt's events ---------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """Photos or folders dropped: into the open project, else one photo is read."""
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        session.drop(self, paths)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.region_panel.commit_text()
        session.save(self)
        self.close_project()
        self.pools.shutdown()
        super().closeEvent(event)
