"""The window's parts of a team project (issue 22), against the real PostgreSQL test server:
File > New project makes a team project (the URL without a password, as the command line
wants it); the review queue and the Find dialog name who wrote each region; the image
list names who else holds an image, kept current by the window's polling.

`OCRSTUDIO_SHOT_DIR` names a folder for the screenshots (docs/screenshots when they are
retaken); otherwise they go to the test's own folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWidget

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services import team
from ocrstudio.services.demo import write_demo_images
from ocrstudio.ui.dialogs.new_project import NewProjectDialog
from ocrstudio.ui.models import ImageTableModel
from ocrstudio.ui.review import FindDialog
from ocrstudio.ui.testing import answer_modal, wait_until
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui
WINDOW_SIZE = (1100, 750)


def _shot(widget: QWidget, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("OCRSTUDIO_SHOT_DIR", str(tmp_path)))
    QApplication.processEvents()
    path = folder / name
    assert widget.grab().save(str(path))
    return path


def _refusals(d: NewProjectDialog, pg_url: str, tmp_path: Path) -> None:
    """No URL, one with a password, one not postgresql://: each said, Ok refused."""
    ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
    d.server.setText("")
    assert not ok.isEnabled() and "URL" in d.target.text()
    d.server.setText(pg_url.replace("ocrstudio@", "ocrstudio:s3cret@"))
    assert not ok.isEnabled()
    assert "password" in d.target.text() and "s3cret" not in d.target.text()
    QApplication.processEvents()
    assert d.height() >= d.layout().minimumSize().height()  # rows never squeezed
    _shot(d, "new_project_team_password.png", tmp_path)
    d.server.setText("sqlite:///x.db")
    assert not ok.isEnabled() and "postgresql" in d.target.text()


def test_new_project_dialog_makes_a_team_project_and_refuses_a_password(
    make_window: MakeWindow, tmp_path: Path, pg_url: str
) -> None:
    photos = tmp_path / "shared" / "photos"
    write_demo_images(photos, count=2, verified=0)
    w = make_window(user="alice", size=WINDOW_SIZE)
    seen: list[str] = []

    def answer(d: NewProjectDialog) -> None:
        ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
        d.folder.setText(str(photos))
        d.name.setText("labels")
        d.location.setText(str(tmp_path / "shared"))
        assert ok.isEnabled() and not d.server.isEnabled()  # a project file, as before
        assert not d.server_help.isVisible()
        d.team.setChecked(True)
        assert d.server.isEnabled() and d.server_help.isVisible()
        assert "~/.pgpass" in d.server_help.text() and "PGPASSWORD" in d.server_help.text()
        _refusals(d, pg_url, tmp_path)
        d.server.setText(pg_url)
        assert ok.isEnabled(), d.target.text()
        seen.append(d.target.text())
        _shot(d, "new_project_team.png", tmp_path)
        ok.click()

    answer_modal(NewProjectDialog, answer)
    w.actions_["new_project"].trigger()
    assert seen, "the dialog was not answered"
    assert "team project" in seen[0] and pg_url in seen[0]
    wait_until(lambda: w.project is not None, 60)
    folder = tmp_path / "shared" / "labels"
    assert w.project.folder == folder.resolve()
    assert w.project.is_team and w.team.session is not None  # opened as a team project
    assert team.read_team_url(folder) == pg_url  # team.json, no password in it
    assert not (folder / "project.db").exists()
    assert w.editor.images.rowCount() == 2
    with team.ProjectHandle(folder.resolve(), url=pg_url) as h:
        assert len(an.list_images(h)) == 2  # on the server, for every member
        assert not Path(an.list_images(h)[0].path).is_absolute()  # each mount works
    w.close_project()


@pytest.fixture
def folder(tmp_path: Path, pg_url: str) -> Path:
    """A team project whose first image carol pre-labelled (two unsure readings)."""
    write_demo_images(tmp_path / "P" / "photos", count=3, verified=0)
    team.create_team_project(tmp_path / "P", pg_url, tmp_path / "P" / "photos").close()
    with team.ProjectHandle((tmp_path / "P").resolve(), url=pg_url, author="carol") as h:
        first = an.list_images(h)[0].id
        with h.write() as s:
            store.write_model_regions(
                s,
                first,
                [
                    Region(Polygon.from_box(10, 10, 160, 36), "Coffee", score=0.5, det_score=0.9),
                    Region(Polygon.from_box(10, 40, 160, 66), "Tea", score=0.6, det_score=0.9),
                ],
                "rec_default",
            )
    return tmp_path / "P"


def test_review_queue_and_find_name_the_author(
    make_window: MakeWindow, tmp_path: Path, folder: Path
) -> None:
    w = make_window(folder, user="alice", size=WINDOW_SIZE, rescan=False)
    w.actions_["review_next"].trigger()  # Ctrl+R
    shown = w.editor.canvas.selected_ids()
    assert [w.editor.records[i].text for i in shown] == ["Coffee"]  # least sure first
    assert "(by carol)" in w.status_label.text(), w.status_label.text()
    # alice corrects Tea: the queue passes over it, and Find names her as its author
    tea = next(r for r in w.editor.records.values() if r.text == "Tea")
    w.editor.edit_regions([(tea.id, tea.to_region().with_(text="Tee"))], "Set text")
    w.actions_["find"].trigger()
    dialog = next(d for d in w.findChildren(FindDialog) if d.isVisible())
    dialog.needle.setText("e")
    dialog.search()
    rows = {
        dialog.results.item(r, 1).text(): dialog.results.item(r, 2).text()
        for r in range(dialog.results.rowCount())
    }
    assert rows == {"Coffee": "carol", "Tee": "alice"}
    assert not dialog.results.isColumnHidden(2)
    dialog.close()
    w.close_project()


def test_image_list_names_who_else_holds_an_image_and_follows_the_polling(
    make_window: MakeWindow, tmp_path: Path, folder: Path
) -> None:
    alice = make_window(folder, user="alice", size=WINDOW_SIZE, rescan=False)
    bob = make_window(folder, user="bob", size=WINDOW_SIZE, rescan=False)
    first = alice.editor.image.id
    assert alice.team.session.held == first
    model: ImageTableModel = bob.editor.images
    view = bob.image_panel.view

    def held(image_id: int) -> str:
        return model.index(model.row_of(image_id), ImageTableModel.HELD).data()

    assert held(first) == "alice"  # bob's list says who holds it
    assert not view.isColumnHidden(ImageTableModel.HELD)
    tip = model.index(model.row_of(first), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "alice is working on this image" in tip
    assert all(held(r.id) == "" for r in model.records if r.id != first)
    assert alice.editor.images.holder(first) == ""  # her own lease is not marked
    assert alice.image_panel.view.isColumnHidden(ImageTableModel.HELD)  # nobody else's
    last = model.records[-1].id
    bob.editor.open_image(last)  # bob works on the last one
    assert bob.team.session.held == last
    thumbs = bob.editor.images.thumbnails
    wait_until(lambda: all(thumbs.get(r.id, r.file) is not None for r in model.records), 15)
    bob.resize(1500, 750)  # room for whole names beside the Held column
    QApplication.processEvents()
    bob.resizeDocks([bob.docks["images"]], [440], Qt.Orientation.Horizontal)
    _shot(bob.image_panel, "image_list_leased.png", tmp_path)
    # alice moves on: bob's window sees it at its next poll (the timer, not a call)
    second = alice.editor.next_image_id(first, +1)
    assert second not in (first, last)
    alice.editor.open_image(second)
    wait_until(lambda: held(second) == "alice" and held(first) == "", 15)
    assert alice.editor.images.holder(last) == "bob"
    alice.close_project()
    wait_until(lambda: view.isColumnHidden(ImageTableModel.HELD), 15)  # nobody else holds one
    bob.close_project()
    assert model.leased == {}
