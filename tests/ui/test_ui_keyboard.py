"""Keyboard-first labelling: Tab through regions in reading order, Enter confirms,
Ctrl+Return verifies the image and opens the next; the review queue; the shortcuts help."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.project import create_project
from ocrstudio.ui.actions import ACTIONS
from ocrstudio.ui.dialogs.shortcuts import ShortcutsDialog
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.review import FindDialog
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    write_demo_images(tmp_path / "photos", count=2, verified=0)
    with create_project(tmp_path / "proj", tmp_path / "photos") as handle:
        first, second = (r.id for r in an.list_images(handle))
        # model proposals, deliberately stored out of reading order
        with handle.write() as s:
            store.write_model_regions(
                s,
                first,
                [
                    Region(Polygon.from_box(400, 300, 500, 340), "c", score=0.9, det_score=0.9),
                    Region(Polygon.from_box(10, 10, 100, 50), "a", score=0.2, det_score=0.8),
                    Region(Polygon.from_box(300, 20, 400, 55), "b", score=0.5, det_score=0.9),
                ],
                "crnn-v1",
            )
            store.write_model_regions(
                s,
                second,
                [Region(Polygon.from_box(10, 10, 100, 50), "z", score=0.1, det_score=0.9)],
                "crnn-v1",
            )
    return make_window(tmp_path / "proj")


def _texts(w: MainWindow) -> list[str]:
    return [w.editor.records[rid].text for rid in w.canvas.selected_ids()]


def test_tab_enter_and_verify_next(window: MainWindow) -> None:
    w, text = window, window.region_panel.text
    assert [r.text for r in w.editor.region_model.records] == ["a", "b", "c"]
    w.canvas.setFocus()
    QTest.keyClick(w.canvas, Qt.Key.Key_Tab)
    assert _texts(w) == ["a"]
    QTest.keyClick(w.canvas, Qt.Key.Key_Tab)
    QTest.keyClick(w.canvas, Qt.Key.Key_Backtab)
    assert _texts(w) == ["a"]
    QTest.keyClick(w.canvas, Qt.Key.Key_Return)  # into the text field
    assert text.hasFocus() and text.text() == "a"
    QTest.keyClicks(text, "A")  # replaces the selected text
    QTest.keyClick(text, Qt.Key.Key_Tab)  # keeps what was typed, moves on
    assert _texts(w) == ["b"] and text.hasFocus()
    QTest.keyClick(text, Qt.Key.Key_Return)  # confirms "b" as it is
    stored = {r.text: r for r in an.regions_of_image(w.project, w.editor.image.id)}
    assert stored["A"].edited and not stored["A"].verified
    assert stored["b"].verified and stored["b"].edited
    assert not stored["c"].edited and stored["c"].score == 0.9  # untouched
    assert _texts(w) == ["c"]

    first = w.editor.image.id
    QTest.keyClick(text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert w.editor.image.id != first
    img = an.get_image(w.project, first)
    assert img.status == an.ImageStatus.VERIFIED and img.verified_count == 3
    w.editor.undo_stack.undo()  # the verification, and we are back on that image
    assert w.editor.image.id == first
    assert an.get_image(w.project, first).status == an.ImageStatus.PRELABELED
    assert [r.verified for r in w.editor.region_model.records] == [False, True, False]


def test_review_queue_holds_the_unsure_least_sure_first(window: MainWindow) -> None:
    """The queue is the readings the one rule finds unsure (below the recognizer card's
    0.9), least sure first: "c" at 0.9 is not in it."""
    w = window
    seen = []
    for _ in range(4):
        w.actions_["review_next"].trigger()
        (rid,) = w.canvas.selected_ids()
        seen.append(w.editor.records[rid].text)
    assert seen == ["z", "a", "b", "z"]  # walked to its end, it is taken again
    assert w.region_panel.text.hasFocus()


def test_find_replace_is_one_undoable_step(window: MainWindow) -> None:
    w = window
    dialog = FindDialog(w.editor, w.jobs, w)
    dialog.needle.setText("z")
    dialog.search()
    assert dialog.results.rowCount() == 1
    dialog.replace.setText("zz")
    dialog.replace_all()
    assert [r.text for r in an.search(w.project, "zz")] == ["zz"]
    stats = dict(an.char_stats(w.project))
    assert stats["z"] == 2 and stats["a"] == 1
    w.editor.undo_stack.undo()
    assert an.search(w.project, "zz") == []
    dialog.close()


def test_shortcuts_dialog_lists_every_action_with_keys(window: MainWindow) -> None:
    dialog = ShortcutsDialog(window)
    listed = {dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())}
    for spec in ACTIONS:
        if spec.shortcuts:
            assert spec.text.replace("&", "").rstrip("…") in listed
    keys = [spec.shortcuts for spec in ACTIONS]
    flat = [k for ks in keys for k in ks]
    assert len(flat) == len(set(flat)), "a key is bound twice"
