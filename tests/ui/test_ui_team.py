"""Two windows on one team project (a real PostgreSQL server): the image one member shows
is leased to them and the other is told; an edit in one window appears in the other
without a restart; an edit made on a stale view is refused, said, and replaced by the
other member's version; the region list names who wrote each region; the Team menu moves
an image through the stages."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services import team
from ocrstudio.services.demo import write_demo_images
from ocrstudio.store.records import Stage
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.models import RegionTableModel
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def folder(tmp_path: Path, pg_url: str) -> Path:
    write_demo_images(tmp_path / "P" / "photos", count=3, verified=0)
    with team.create_team_project(tmp_path / "P", pg_url, tmp_path / "P" / "photos") as h:
        for img in an.list_images(h):
            an.add_regions(
                h,
                img.id,
                [
                    Region(Polygon.from_box(10, 10, 100, 50), "first"),
                    Region(Polygon.from_box(10, 60, 100, 90), "second"),
                ],
            )
    return tmp_path / "P"


def _window(make_window: MakeWindow, folder: Path, name: str) -> MainWindow:
    """`name`'s window on the team project."""
    w = make_window(folder, user=name, size=(1100, 750), rescan=False)
    assert w.team.session is not None
    return w


def _record(w: MainWindow, text: str) -> an.RegionRecord:
    return next(r for r in w.editor.records.values() if r.text == text)


def test_two_windows_lease_see_each_other_and_never_overwrite(
    make_window: MakeWindow, folder: Path
) -> None:
    alice = _window(make_window, folder, "alice")
    bob = _window(make_window, folder, "bob")
    first = alice.editor.image.id
    assert alice.team.session.held == first  # alice leased it first
    assert bob.team.session.held is None
    assert "alice is working on this image" in bob.status_label.text()
    bob.team.session.poll()
    assert bob.editor.next_image_id(first, +1) != first  # bob's next skips nothing of his
    # alice's edit reaches bob's window without a restart
    rec = _record(alice, "first")
    stale = _record(bob, "first")
    alice.editor.edit_regions([(rec.id, rec.to_region().with_(text="FIRST"))], "Set text")
    assert _record(alice, "FIRST").author == "alice"
    # bob, before his window polled, edits the same region from his stale view
    bob.editor.edit_regions([(stale.id, stale.to_region().with_(text="fist"))], "Set text")
    assert "changed by alice" in bob.status_label.text()
    assert _record(bob, "FIRST").author == "alice"  # shown alice's version, not his
    assert bob.editor.undo_stack.count() == 0  # nothing of his to undo: nothing was saved
    assert [r.text for r in an.regions_of_image(alice.project, first)] == ["FIRST", "second"]
    # a second change by alice is picked up by bob's polling
    rec = _record(alice, "second")
    alice.editor.edit_regions([(rec.id, rec.to_region().with_(text="SECOND"))], "Set text")
    bob.team.session.poll()
    assert _record(bob, "SECOND").author == "alice"
    model = bob.editor.region_model
    row = model.row_of(_record(bob, "SECOND").id)
    assert model.index(row, RegionTableModel.AUTHOR).data() == "alice"
    # stages from the Team menu
    alice.team.session.submit()
    assert an.get_image(alice.project, first).stage == Stage.LABELLED
    # alice moves on: her lease goes, bob may take the image
    alice.editor.open_image(alice.editor.next_image_id(first, +1))
    bob.editor.open_image(bob.editor.next_image_id(first, +1))
    bob.editor.open_image(first)
    assert bob.team.session.held == first
    alice.close_project()
    bob.close_project()
    with team.ProjectHandle(folder.resolve(), url=team.read_team_url(folder)) as h:
        assert team.all_leases(h) == []  # closing frees every lease
