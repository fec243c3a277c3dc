"""Issue 27, keyboard and text: a new box's field shows its reading, typed text survives
leaving the field, letters typed on the canvas edit the selected region instead of firing
shortcuts, a person's box is re-read when they ask, Tab from the image list, arrows nudge,
a shortcut for ignore, Backspace while drawing."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.project import create_project
from ocrstudio.ui.canvas.draft import Tool
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.testing import click, drag, view_point, wait_until
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WORD_BOX = (36.0, 26.0, 214.0, 84.0)  # around the word "SALE" drawn on each photo


def _photo(path: Path, word: str) -> None:
    img = Image.new("RGB", (480, 320), "white")
    font = ImageFont.truetype(FONT, 44) if Path(FONT).is_file() else ImageFont.load_default()
    ImageDraw.Draw(img).text((44, 30), word, fill="black", font=font)
    img.save(path)


@pytest.fixture
def window(make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    (tmp_path / "photos").mkdir()
    for k in range(2):
        _photo(tmp_path / "photos" / f"img_{k}.png", "SALE")
    with create_project(tmp_path / "proj", tmp_path / "photos") as handle:
        first, second = (r.id for r in an.list_images(handle))
        with handle.write() as s:
            store.write_model_regions(
                s,
                first,
                [
                    Region(
                        Polygon.from_box(300, 200, 400, 240), "TOTAL", score=0.97, det_score=0.9
                    ),
                    Region(Polygon.from_box(300, 250, 400, 290), "4.99", score=0.95, det_score=0.9),
                ],
                "rec_default",
            )
            store.write_model_regions(
                s,
                second,
                [Region(Polygon.from_box(10, 10, 100, 50), "z", score=0.1, det_score=0.9)],
                "rec_default",
            )
    return make_window(tmp_path / "proj")


def _stored(w: MainWindow) -> dict[str, an.RegionRecord]:
    return {r.text: r for r in an.regions_of_image(w.project, w.editor.image.id)}


def _select_first(w: MainWindow) -> int:
    w.canvas.setFocus()
    QTest.keyClick(w.canvas, Qt.Key.Key_Tab)
    (rid,) = w.canvas.selected_ids()
    return rid


def test_a_new_box_shows_its_reading_and_enter_saves_it(window: MainWindow) -> None:
    """Item 1: the reading of a box just drawn lands in the focused, untouched field, so
    Enter confirms that reading (it used to save an empty, verified text)."""
    w, field = window, window.region_panel.text
    w.actions_["read_drawn"].trigger()  # on (the tests' settings start with it off)
    w.commands.set_tool(Tool.RECT)
    drag(w.canvas, [WORD_BOX[:2], WORD_BOX[2:]])
    rid = w.canvas.selected_ids()[0]
    assert field.hasFocus() and field.text() == ""
    wait_until(lambda: w.editor.records[rid].score is not None, 90)
    reading = w.editor.records[rid].text
    assert reading and field.text() == reading
    QTest.keyClick(field, Qt.Key.Key_Return)
    stored = next(r for r in an.regions_of_image(w.project, w.editor.image.id) if r.id == rid)
    assert stored.verified and stored.text == reading


def test_typed_text_is_kept_when_the_focus_leaves(window: MainWindow) -> None:
    """Item 2: a correction typed and left by a click elsewhere on the canvas, or by
    Ctrl+R, is stored, not dropped."""
    w, field = window, window.region_panel.text
    rid = _select_first(w)
    QTest.keyClick(w.canvas, Qt.Key.Key_Return)  # into the field
    QTest.keyClicks(field, "TOTAI")
    x0, y0, x1, y1 = w.editor.records[w.editor.ordered_ids()[1]].polygon.bounds
    click(w.canvas, (x0 + x1) / 2, (y0 + y1) / 2)  # the other region
    assert w.canvas.selected_ids() == [w.editor.ordered_ids()[1]]
    assert w.editor.records[rid].text == "TOTAI" and w.editor.records[rid].edited
    first = w.editor.image.id
    QTest.keyClick(w.canvas, Qt.Key.Key_Return)
    QTest.keyClicks(field, "5.99")
    QTest.keyClick(field, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # review queue
    assert w.editor.image.id != first  # the queue's "z" is on the other image
    assert "5.99" in {r.text for r in an.regions_of_image(w.project, first)}
    w.editor.undo_stack.undo()  # a stored correction is one undoable step
    assert "4.99" in {r.text for r in an.regions_of_image(w.project, first)}


def test_letters_on_the_canvas_type_into_the_selected_region(window: MainWindow) -> None:
    """Item 3: with a region selected, "a", "t", "d" start its text (no previous image, no
    transcriptions toggled); with none selected the single-letter shortcuts still act."""
    w, field = window, window.region_panel.text
    first = w.editor.image.id
    rid = _select_first(w)
    QTest.keyClicks(w.canvas, "a")
    assert w.editor.image.id == first and field.hasFocus() and field.text() == "a"
    QTest.keyClicks(field, "td")
    assert w.actions_["toggle_text"].isChecked()
    QTest.keyClick(field, Qt.Key.Key_Return)
    rec = w.editor.records[rid]
    assert rec.text == "atd" and rec.verified and w.editor.image.id == first
    QTest.keyClick(field, Qt.Key.Key_Escape)  # back to the canvas
    QTest.keyClick(w.canvas, Qt.Key.Key_Escape)  # nothing selected
    QTest.keyClicks(w.canvas, "d")  # now "next image"
    assert w.editor.image.id != first


def test_rereading_a_persons_box_is_their_wish(window: MainWindow) -> None:
    """Item 4: Ctrl+Shift+R on a box the person corrected reads it again."""
    w = window
    w.commands.set_tool(Tool.RECT)
    drag(w.canvas, [WORD_BOX[:2], WORD_BOX[2:]])
    field = w.region_panel.text
    QTest.keyClicks(field, "zzz")
    QTest.keyClick(field, Qt.Key.Key_Return)  # a person's text, verified
    rid = next(r.id for r in _stored(w).values() if r.text == "zzz")
    w.commands.set_tool(Tool.EDIT)
    w.canvas.select([rid])
    w.actions_["rerecognize"].trigger()
    wait_until(lambda: w.editor.records[rid].text != "zzz", 90)
    rec = w.editor.records[rid]
    assert rec.score is not None and not rec.verified  # a new reading, to confirm again
    assert "left alone" not in w.runner.last_message
    w.editor.undo_stack.undo()
    assert w.editor.records[rid].text == "zzz"


def test_tab_from_the_image_list_walks_the_regions(window: MainWindow) -> None:
    """Item 8: after clicking an image in the list, Tab goes to its regions."""
    w = window
    view = w.image_panel.view
    QTest.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.visualRect(view.model().index(0, 0)).center(),
    )
    assert view.hasFocus()
    QTest.keyClick(view, Qt.Key.Key_Tab)
    assert w.canvas.hasFocus()
    assert w.canvas.selected_ids() == w.editor.ordered_ids()[:1]


def test_arrows_nudge_a_box_or_a_vertex(window: MainWindow) -> None:
    """Item 8: arrows move the selected box by a pixel (Shift: ten), or the vertex last
    clicked; each move is stored and undoable."""
    w = window
    rid = _select_first(w)
    x0, y0, _, _ = w.editor.records[rid].polygon.bounds
    QTest.keyClick(w.canvas, Qt.Key.Key_Right)
    QTest.keyClick(w.canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert w.editor.records[rid].polygon.bounds[:2] == (x0 + 1, y0 + 10)
    corner = w.editor.records[rid].polygon.points[0]
    QTest.mouseClick(
        w.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view_point(w.canvas, *corner)
    )
    QTest.keyClick(w.canvas, Qt.Key.Key_Left)
    points = w.editor.records[rid].polygon.points
    assert points[0] == (corner[0] - 1, corner[1])
    assert points[2] == (w.editor.records[rid].polygon.bounds[2], y0 + 10 + 40)  # unmoved
    w.editor.undo_stack.undo()
    assert w.editor.records[rid].polygon.points[0] == corner


def test_ignore_shortcut_and_backspace_while_drawing(window: MainWindow) -> None:
    """Item 8: Ctrl+Shift+I marks the selection don't-care (and back); Backspace while
    drawing a polygon removes its last point and deletes no region."""
    w = window
    rid = _select_first(w)
    QTest.keyClick(
        w.canvas,
        Qt.Key.Key_I,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert w.editor.records[rid].ignore
    assert w.actions_["toggle_ignore"].shortcut().toString() == "Ctrl+Shift+I"
    w.actions_["toggle_ignore"].trigger()
    assert not w.editor.records[rid].ignore
    count = len(w.editor.records)
    w.commands.set_tool(Tool.POLYGON)
    for x, y in ((20, 150), (120, 150), (120, 190)):
        click(w.canvas, x, y)
    assert len(w.canvas.draft.points) == 3
    QTest.keyClick(w.canvas, Qt.Key.Key_Backspace)
    assert len(w.canvas.draft.points) == 2 and len(w.editor.records) == count
