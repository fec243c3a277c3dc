"""What the window's actions do (`actions.py` lists them, with their keys): the table of
handlers `build_actions` wires, and the handlers that are more than one call into a part
(tools, clipboard, renumbering, the canvas's menu, asking for a project)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from ocrstudio.services import project as projects
from ocrstudio.ui.actions import ACTIONS
from ocrstudio.ui.canvas.draft import Tool
from ocrstudio.ui.prelabel_ui import CHECK_KEY

if TYPE_CHECKING:  # the window imports this module; the reference back is for typing only
    from ocrstudio.ui.main_window import MainWindow

TOOLS = {
    "tool_edit": Tool.EDIT,
    "tool_rect": Tool.RECT,
    "tool_quad": Tool.QUAD,
    "tool_polygon": Tool.POLYGON,
}

Handlers = dict[str, Callable[[], object]]


class WindowCommands:
    """The action handlers of one `MainWindow`."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def checked(self, name: str) -> bool:
        return self.window.actions_[name].isChecked()

    def handlers(self) -> Handlers:
        """One handler per action (checked: every action has one)."""
        w = self.window
        e, c = w.editor, w.canvas
        handlers: Handlers = {
            "new_project": self.ask_new_project,
            "open_project": self.ask_open_project,
            "demo_project": self.ask_demo_project,
            "close_project": w.close_project,
            "quit": w.close,
            "undo": e.undo_stack.undo,
            "redo": e.undo_stack.redo,
            "copy": self.copy,
            "paste": self.paste,
            "delete": e.delete_selected,
            "select_all": lambda: c.select(e.ordered_ids()),
            "toggle_ignore": self.toggle_ignore,
            "fit": c.fit,
            "zoom_in": lambda: c.zoom_by(1.25),
            "zoom_out": lambda: c.zoom_by(0.8),
            "toggle_text": lambda: c.set_show_text(self.checked("toggle_text")),
            "show_order": lambda: c.set_show_order(self.checked("show_order")),
            "renumber": self.renumber,
            "auto_order": e.automatic_order,
            "rotate_cw": lambda: e.rotate(1),
            "rotate_ccw": lambda: e.rotate(-1),
            "labels_selected": lambda: c.set_labels_selected_only(self.checked("labels_selected")),
            "edit_text": lambda: w.region_panel.focus_text(),
            "next_image": lambda: e.step_image(+1),
            "prev_image": lambda: e.step_image(-1),
            "verify_next": self.verify_and_next,
            "shortcuts": w.dialogs.shortcuts,
        }
        handlers.update({name: partial(self.set_tool, tool) for name, tool in TOOLS.items()})
        handlers.update(self._job_handlers())
        missing = {a.name for a in ACTIONS} - set(handlers)
        assert not missing, f"actions without a handler: {missing}"
        return handlers

    def _job_handlers(self) -> Handlers:
        w = self.window
        jobs, d, settings = w.jobs, w.dialogs, w.settings
        return {
            "prelabel_image": lambda: jobs.prelabel(current_only=True),
            "prelabel_all": lambda: jobs.prelabel(current_only=False),
            "prelabel_again": lambda: jobs.prelabel(current_only=False, only_new=False),
            "read_drawn": lambda: settings.setValue("read_drawn", self.checked("read_drawn")),
            "check_unsure": lambda: settings.setValue(CHECK_KEY, self.checked("check_unsure")),
            "second_opinion": jobs.second_opinion,
            "review_by_disagreement": lambda: w.region_panel.review.set_order(
                self.checked("review_by_disagreement")
            ),
            "rerecognize": self.rerecognize,
            "train": d.train,
            "improve": d.improve,
            "import_labels": d.import_labels,
            "export_labels": d.export_labels,
            "find": d.find,
            "review_next": w.region_panel.review.next,
            "rescan": jobs.rescan,
            "quick_ocr": d.quick_ocr,
        }

    # ---- editing -------------------------------------------------------------------
    def set_tool(self, tool: Tool) -> None:
        self.window.canvas.set_tool(tool)
        name = next(n for n, t in TOOLS.items() if t is tool)
        self.window.actions_[name].setChecked(True)

    def copy(self) -> None:
        n = self.window.editor.copy()
        self.window.status_label.show_message(f"Copied {n} region(s) and their text")

    def paste(self) -> None:
        """Regions copied here paste as regions; an image on the clipboard is read."""
        from ocrstudio.ui.quick_ocr import clipboard_pixels

        w = self.window
        pixels = None if w.editor.clipboard else clipboard_pixels()
        if pixels is not None:
            w.dialogs.quick_ocr(pixels=pixels)
        else:
            w.editor.paste()

    def renumber(self) -> None:
        self.set_tool(Tool.EDIT)
        self.window.canvas.setFocus()
        self.window.canvas.start_renumber()
        self.window.status_label.show_message(
            "Click the regions in reading order; Enter ends, Esc drops it"
        )

    def toggle_ignore(self) -> None:
        self.window.region_panel.commit_text()
        self.window.editor.toggle_ignore()

    def rerecognize(self) -> None:
        # what is being typed is stored first: the re-read is of the person's box
        self.window.region_panel.commit_text()
        self.window.jobs.rerecognize()

    def verify_and_next(self) -> None:
        self.window.region_panel.commit_text()
        self.window.editor.verify_and_next()

    def read_drawn(self) -> None:
        """A region just drawn is read at once when Models > Read new regions is on."""
        if self.checked("read_drawn"):
            self.window.jobs.read_drawn()

    def context_menu(self, where: QPoint, vertex: tuple[int, int] | None) -> None:
        """The canvas's menu: the vertex under the mouse, then the region actions."""
        w = self.window
        menu = QMenu(w)
        if vertex is not None:
            menu.addAction("Delete this vertex", lambda: w.editor.delete_vertex(*vertex))
            menu.addSeparator()
        for name in ("edit_text", "copy", "paste", "delete", "rerecognize", "select_all"):
            menu.addAction(w.actions_[name])
        menu.popup(where)

    # ---- projects ------------------------------------------------------------------
    def ask_new_project(self) -> None:
        from ocrstudio.ui.dialogs.new_project import NewProjectDialog

        w = self.window
        dialog = NewProjectDialog(w, w.settings)
        if dialog.exec() and (images := dialog.images()) and (folder := dialog.project_folder()):
            w.create_project(images, folder, split=dialog.split(), url=dialog.server_url())

    def ask_open_project(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Project folder (holds project.db)")
        if folder:
            self.window.open_project(Path(folder))

    def demo_folder(self) -> Path:
        """Where the demo project lives: Documents/ocrstudio-demo unless set otherwise."""
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        default = Path(docs or Path.home()) / "ocrstudio-demo"
        return Path(str(self.window.settings.value("demo_folder", str(default))))

    def ask_demo_project(self) -> None:
        """Open the demo project, making it first (no questions: a newcomer clicks once)."""
        w = self.window
        folder = self.demo_folder()
        if projects.is_project(folder):
            w.open_project(folder)
        elif folder.exists() and any(folder.iterdir()):
            QMessageBox.warning(
                w,
                "Demo project",
                f"{folder} exists and is not a project; set another place with File > New project.",
            )
        else:
            w.status_label.show_message(f"Creating the demo project in {folder}")
            w.jobs.run_create_demo(folder, on_done=w.open_project)
