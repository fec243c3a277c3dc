"""A team project in the window: the shown image's lease, others' changes picked up
without a restart, and the review stages' actions.

`TeamPart` is the window's: it starts a `TeamSession` when a team project opens and stops
it when the project closes. Opening an image takes its lease
(`services.team.hold_image`), renewed every `RENEW_MS` and freed when another image opens
or the project closes; an image another member holds opens too, with a line saying who.
"Next image" steps over images others hold. Every `POLL_MS` it asks the server for the
shown image's change stamp (one small query) and redraws when someone else changed it;
the leases it reads then also feed the status line and the image list's Held column.
The Team menu moves the shown image through the stages (services.team: submit, review,
accept, send back with a note).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMenu, QMessageBox

from ocrstudio.core.errors import OcrStudioError
from ocrstudio.services import team
from ocrstudio.services.project import ProjectHandle

if TYPE_CHECKING:
    from ocrstudio.ui.editor import Editor

log = logging.getLogger(__name__)

POLL_MS = 3000
RENEW_MS = int(team.IMAGE_LEASE_S * 1000 / 4)


class TeamSession(QObject):
    """Leases, polling and stage actions for one open team project (`editor`: the
    window's `Editor`; `say`: a line in the status bar)."""

    def __init__(
        self,
        parent: QMainWindow,
        project: ProjectHandle,
        editor: Editor,
        say: Callable[[str], None],
    ) -> None:
        super().__init__(parent)
        self.project, self.editor, self.say = project, editor, say
        self.window = parent
        self.held: int | None = None
        self.others: dict[int, team.LeaseRecord] = {}
        self._stamp: object = None
        self._plain_next = editor.next_image_id
        editor.next_image_id = self.next_free
        editor.image_opened.connect(self.image_opened)
        editor.regions_changed.connect(self.restamp)  # this window's own writes
        self.menu = parent.menuBar().addMenu("&Team")
        self.add_menu(self.menu)
        self.poll_timer = QTimer(self, interval=POLL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self.renew_timer = QTimer(self, interval=RENEW_MS)
        self.renew_timer.timeout.connect(self.renew)
        self._read_leases()
        self.poll_timer.start()
        self.renew_timer.start()
        if editor.image is not None:
            self.image_opened(editor.image.id)

    # ---- leases ------------------------------------------------------------------
    def image_opened(self, image_id: int) -> None:
        if self.held is not None and self.held != image_id:
            self._quietly(team.release_image, self.project, self.held)
            self.held = None
        if not image_id:
            return
        try:
            team.hold_image(self.project, image_id)
            self.held = image_id
        except team.ImageLeased as exc:
            self.say(f"{exc} — your edits may conflict with theirs")
        except OcrStudioError as exc:
            self.say(f"could not lease this image: {exc}")
        self._stamp = self._quietly(team.image_stamp, self.project, image_id)
        self._show_note(image_id)

    def renew(self) -> None:
        if self.held is not None:
            self._quietly(team.hold_image, self.project, self.held)

    def next_free(self, image_id: int, step: int) -> int | None:
        """The neighbour `step` away in the list, stepping over images others hold."""
        nxt = self._plain_next(image_id, step)
        seen = 0
        while nxt is not None and nxt in self.others and seen < 10_000:
            nxt, seen = self._plain_next(nxt, step), seen + 1
        return nxt

    # ---- others' changes ----------------------------------------------------------
    def poll(self) -> None:
        image = self.editor.image
        self._read_leases()
        if image is None:
            return
        stamp = self._quietly(team.image_stamp, self.project, image.id)
        if stamp is not None and self._stamp is not None and stamp != self._stamp:
            self.editor.refresh_image(image.id)
            self.say("updated: another member changed this image")
        self._stamp = stamp
        holder = self.others.get(image.id)
        if holder is not None and self.held != image.id:
            self.say(f"{holder.holder} is working on this image")

    def _read_leases(self) -> None:
        """Who else holds which image: "next image" steps over them and the image list
        names the holder."""
        self.others = self._quietly(team.image_leases, self.project) or {}
        self.editor.images.set_leases(self.others)

    def restamp(self, _image_id: int = 0) -> None:
        """The editor reloaded (its own write, or after a poll): the stamp it shows."""
        if self.editor.image is not None:
            self._stamp = self._quietly(team.image_stamp, self.project, self.editor.image.id)

    # ---- stages ------------------------------------------------------------------
    def add_menu(self, menu: QMenu) -> None:
        for text, step in (
            ("Submit for review", self.submit),
            ("Mark reviewed", self.review),
            ("Accept", self.accept),
            ("Send back with a note…", self.send_back),
        ):
            menu.addAction(text, step)

    def _step(self, do: Callable[[ProjectHandle, int], None], done: str) -> None:
        image = self.editor.image
        if image is None:
            return
        try:
            do(self.project, image.id)
        except OcrStudioError as exc:
            QMessageBox.warning(self.window, "Team", str(exc))
            return
        self.editor.refresh_image(image.id)
        self.say(done)

    def submit(self) -> None:
        self._step(team.submit, "submitted for review")

    def review(self) -> None:
        self._step(team.review, "marked reviewed")

    def accept(self) -> None:
        self._step(team.accept, "accepted")

    def send_back(self) -> None:
        note, ok = QInputDialog.getText(self.window, "Send back", "What should be fixed?")
        if ok:
            self._step(lambda p, i: team.send_back(p, i, note), "sent back")

    def _show_note(self, image_id: int) -> None:
        image = self.editor.image
        if image is not None and image.id == image_id and image.stage_note:
            self.say(f"sent back by {image.stage_by}: {image.stage_note}")

    # ---- end ---------------------------------------------------------------------
    def stop(self) -> None:
        self.poll_timer.stop()
        self.renew_timer.stop()
        self.editor.next_image_id = self._plain_next
        self.editor.images.set_leases({})
        self.editor.image_opened.disconnect(self.image_opened)
        self.editor.regions_changed.disconnect(self.restamp)
        self.window.menuBar().removeAction(self.menu.menuAction())
        if self.held is not None:
            self._quietly(team.release_image, self.project, self.held)
            self.held = None

    def _quietly(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A background chore: a server away for a moment is logged, never a dialog."""
        try:
            return fn(*args)
        except OcrStudioError as exc:
            log.warning("team: %s", exc)
            return None


class TeamPart:
    """The window's team part: a `TeamSession` while a team project is open (`say`: a
    line in the status bar)."""

    def __init__(self, window: QMainWindow, editor: Editor, say: Callable[[str], None]):
        self.window, self.editor, self.say = window, editor, say
        self.session: TeamSession | None = None

    def project_opened(self, handle: ProjectHandle) -> None:
        if handle.is_team:
            self.session = TeamSession(self.window, handle, self.editor, self.say)

    def project_closed(self) -> None:
        if self.session is not None:
            self.session.stop()
            self.session = None
