"""Canvas gestures with real mouse events: vertex drag, insert and delete, moving and
deleting a multi-selection, copy and paste across images; each one undoable and stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.project import create_project
from ocrstudio.ui.canvas.draft import Tool
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.testing import click, double_click, drag, view_point
from tests.support.ui import MakeWindow, region_id

pytestmark = pytest.mark.gui
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    write_demo_images(tmp_path / "photos", count=2, verified=0)
    with create_project(tmp_path / "proj", tmp_path / "photos") as handle:
        first = an.list_images(handle)[0].id
        an.add_regions(
            handle,
            first,
            [
                Region(Polygon.from_box(100, 100, 300, 160), text="left"),
                Region(Polygon.from_box(400, 100, 600, 160), text="right"),
                Region(Polygon.from_box(100, 300, 300, 360), text="below"),
            ],
        )
    return make_window(tmp_path / "proj")


def _stored(w: MainWindow) -> dict[str, Region]:
    return {r.text: r.to_region() for r in an.regions_of_image(w.project, w.editor.image.id)}


def test_drag_insert_and_delete_vertices(window: MainWindow) -> None:
    w, c = window, window.canvas
    click(c, 200, 130)  # select "left"
    assert c.selected_ids() == [region_id(w, "left")]
    drag(c, [(300, 160), (320, 175), (340, 190)])  # its bottom-right corner
    assert _stored(w)["left"].polygon.points[2] == pytest.approx((340, 190), abs=2.0)
    drag(c, [(200, 100), (200, 90), (200, 80)])  # press on the top edge: a new vertex
    pts = _stored(w)["left"].polygon.points
    assert len(pts) == 5 and pts[1] == pytest.approx((200, 80), abs=2.0)
    click(c, 200, 80, SHIFT)  # Shift+click deletes it again
    assert len(_stored(w)["left"].polygon) == 4
    for _ in range(3):
        w.editor.undo_stack.undo()
    assert _stored(w)["left"].polygon == Polygon.from_box(100, 100, 300, 160)
    assert w.editor.records[region_id(w, "left")].edited  # drawn by a person in the first place


def test_rubber_band_move_and_delete_with_undo(window: MainWindow) -> None:
    w, c = window, window.canvas
    drag(c, [(50, 50), (400, 200), (650, 200)])  # rectangle over the top two regions
    assert sorted(c.selected_ids()) == sorted([region_id(w, "left"), region_id(w, "right")])
    drag(c, [(200, 130), (210, 140), (220, 150)])  # move both at once
    moved = _stored(w)
    assert moved["left"].polygon.bounds == pytest.approx((120, 120, 320, 180), abs=2.0)
    assert moved["right"].polygon.bounds == pytest.approx((420, 120, 620, 180), abs=2.0)
    assert moved["below"].polygon.bounds == (100, 300, 300, 360)
    click(c, 200, 330, CTRL)  # add "below" to the selection
    assert len(c.selected_ids()) == 3
    ids_before = sorted(w.editor.records)
    w.actions_["delete"].trigger()
    assert _stored(w) == {} and c.items_by_id == {}
    w.editor.undo_stack.undo()
    assert sorted(w.editor.records) == ids_before  # the same rows, with their ids
    w.editor.undo_stack.undo()
    assert _stored(w)["left"].polygon == Polygon.from_box(100, 100, 300, 160)


def test_copy_paste_across_images_and_draw_tools(window: MainWindow) -> None:
    w, c = window, window.canvas
    first = w.editor.image.id
    click(c, 500, 130)
    w.actions_["copy"].trigger()
    w.actions_["next_image"].trigger()
    second = w.editor.image.id
    assert second != first and w.editor.records == {}
    w.actions_["paste"].trigger()
    (pasted,) = w.editor.records.values()
    assert (pasted.text, pasted.provenance, pasted.polygon) == (
        "right",
        "manual",
        Polygon.from_box(400, 100, 600, 160),
    )
    w.commands.set_tool(Tool.RECT)
    drag(c, [(50, 400), (120, 450), (200, 500)])
    w.commands.set_tool(Tool.POLYGON)
    for x, y in [(300, 400), (400, 390), (420, 480)]:
        click(c, x, y)
    click(c, 330, 500)  # a double-click is a press and release, then the double-click
    double_click(c, 330, 500)  # which closes the polygon without adding a point
    polys = sorted(len(r.polygon) for r in an.regions_of_image(w.project, second))
    assert polys == [4, 4, 4]
    w.editor.undo_stack.undo()
    w.editor.undo_stack.undo()
    w.editor.undo_stack.undo()
    assert an.regions_of_image(w.project, second) == []
    assert len(an.regions_of_image(w.project, first)) == 3


def test_context_menu_deletes_a_vertex_and_undo_names_the_step(window: MainWindow) -> None:
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QMenu

    w, c = window, window.canvas
    rid = region_id(w, "below")
    click(c, 200, 330)
    w.editor.edit_regions(
        [
            (
                rid,
                w.editor.records[rid]
                .to_region()
                .with_(
                    polygon=Polygon(((100, 300), (200, 290), (300, 300), (300, 360), (100, 360)))
                ),
            )
        ],
        "Edit region shape",
    )
    assert w.actions_["undo"].text() == "&Undo Edit region shape"
    seen = []
    c.context_requested.connect(lambda _where, vertex: seen.append(vertex))
    pos = view_point(c, 200, 290)
    c.contextMenuEvent(
        QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, c.viewport().mapToGlobal(pos))
    )
    assert seen == [(rid, 1)]
    menu = next(m for m in w.findChildren(QMenu) if m.isVisible())
    delete = next(a for a in menu.actions() if a.text() == "Delete this vertex")
    delete.trigger()
    menu.close()
    assert len(_stored(w)["below"].polygon) == 4
    assert w.actions_["undo"].text() == "&Undo Delete vertex"
