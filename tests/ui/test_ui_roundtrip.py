"""The whole labelling loop through the real window: create a project from a folder, draw
a quad with the mouse, type its text, undo and redo, close, reopen and find it all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ocrstudio.services import annotation as an
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.project import open_project
from ocrstudio.ui.canvas.draft import Tool
from ocrstudio.ui.main_window import PROJECT_DIR_NAME
from ocrstudio.ui.testing import click, wait_until
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui
QUAD = [(100.0, 100.0), (300.0, 110.0), (295.0, 170.0), (98.0, 160.0)]


@pytest.fixture
def images(tmp_path: Path) -> Path:
    write_demo_images(tmp_path / "photos", count=3, verified=0)
    return tmp_path / "photos"


def test_create_draw_type_undo_redo_reopen(make_window: MakeWindow, images: Path) -> None:
    w = make_window()
    w.create_project(images)
    wait_until(lambda: w.project is not None and w.editor.image is not None)
    assert w.editor.images.rowCount() == 3
    first = w.editor.image.id

    w.commands.set_tool(Tool.QUAD)
    for x, y in QUAD:
        click(w.canvas, x, y)
    assert len(w.editor.records) == 1
    ((rid, rec),) = w.editor.records.items()
    assert rec.polygon.as_array() == pytest.approx(np.array(QUAD), abs=2.0)
    assert w.canvas.selected_ids() == [rid]  # the new region is selected, ready for its text
    assert w.region_panel.text.hasFocus()
    QTest.keyClicks(w.region_panel.text, "oops")
    QTest.keyClick(w.region_panel.text, Qt.Key.Key_Escape)  # dropped, back to the canvas
    assert w.canvas.hasFocus() and w.region_panel.text.text() == ""

    # Enter on the canvas goes to the text field; the letters typed there are text, not
    # tool shortcuts (r = rectangle, v = edit, d = next image, q = quad).
    w.commands.set_tool(Tool.EDIT)
    QTest.keyClick(w.canvas, Qt.Key.Key_Return)
    assert w.region_panel.text.hasFocus()
    QTest.keyClicks(w.region_panel.text, "quad river")
    assert w.canvas.tool is Tool.EDIT and w.editor.image.id == first
    QTest.keyClick(w.region_panel.text, Qt.Key.Key_Return)  # confirm: text + verified
    stored = an.regions_of_image(w.project, first)
    assert [(r.text, r.verified, r.edited) for r in stored] == [("quad river", True, True)]

    w.editor.undo_stack.undo()  # the confirmation
    assert an.regions_of_image(w.project, first)[0].text == ""
    w.editor.undo_stack.undo()  # the drawing
    assert an.regions_of_image(w.project, first) == []
    assert w.editor.records == {}
    w.editor.undo_stack.redo()
    w.editor.undo_stack.redo()
    redone = an.regions_of_image(w.project, first)
    assert [(r.id, r.text, r.verified) for r in redone] == [(rid, "quad river", True)]

    # The same single letter does switch tools when the canvas has the focus and no
    # region is selected (with one selected, letters start typing its text).
    w.canvas.setFocus()
    QTest.keyClick(w.canvas, Qt.Key.Key_Escape)
    QTest.keyClick(w.canvas, Qt.Key.Key_R)
    assert w.canvas.tool is Tool.RECT

    folder = w.project.folder
    w.close()
    assert folder == (images / PROJECT_DIR_NAME).resolve()
    with open_project(folder) as handle:  # what is on disk, read without the GUI
        (r,) = an.regions_of_image(handle, first)
    assert (r.text, r.verified) == ("quad river", True)
    assert r.polygon.as_array() == pytest.approx(np.array(QUAD), abs=2.0)

    w2 = make_window()
    assert w2.start_page.recent.item(0).data(Qt.ItemDataRole.UserRole) == str(folder)
    assert w2.open_project(folder)
    assert w2.editor.image.id == first
    assert [x.text for x in w2.editor.records.values()] == ["quad river"]
    assert len(w2.canvas.items_by_id) == 1
    w2.close()
