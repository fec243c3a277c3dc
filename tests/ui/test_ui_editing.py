"""Issue 13, the annotation loop: moving through regions writes nothing, wheel zoom keeps
the point under the cursor, the Source and Text columns, copying text, natural sorting."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.project import create_project
from ocrstudio.ui.canvas.items import RegionState
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.models import RegionTableModel
from ocrstudio.ui.testing import click
from tests.support.ui import MakeWindow, region_id, three_readings_project

pytestmark = pytest.mark.gui


@pytest.fixture
def window(make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    return make_window(three_readings_project(tmp_path), size=(1200, 800))


def _stored(w: MainWindow) -> dict[int, an.RegionRecord]:
    return {r.id: r for r in an.regions_of_image(w.project, w.editor.image.id)}


def test_tab_through_regions_changes_nothing(window: MainWindow) -> None:
    """Defect 1: focus moving over regions (canvas and text field) never writes."""
    w = window
    before = _stored(w)
    low = region_id(w, "Cimamon")
    click(w.canvas, 50, 30)
    assert w.canvas.selected_ids() == [low]
    QTest.keyClick(w.canvas, Qt.Key.Key_Tab)
    QTest.keyClick(w.canvas, Qt.Key.Key_Tab)
    w.region_panel.focus_text()
    QTest.keyClick(w.region_panel.text, Qt.Key.Key_Tab)
    QTest.keyClick(w.region_panel.text, Qt.Key.Key_Backtab)
    assert _stored(w) == before
    assert w.editor.undo_stack.count() == 0
    assert w.canvas.items_by_id[low].state is RegionState.LOW
    row = w.editor.region_model.row_of(low)
    assert w.editor.region_model.index(row, 3).data() == "0.11"


def test_enter_confirms_and_keeps_the_score(window: MainWindow) -> None:
    """Defect 1: Enter on an unchanged text sets `verified` and keeps the model's score."""
    w = window
    low = region_id(w, "Cimamon")
    w.canvas.select([low])
    w.region_panel.focus_text()
    QTest.keyClick(w.region_panel.text, Qt.Key.Key_Return)
    rec = _stored(w)[low]
    assert rec.verified
    assert rec.score == pytest.approx(0.11) and rec.text == "Cimamon"


def _wheel(w: MainWindow, at: QPoint, steps: int) -> None:
    vp = w.canvas.viewport()
    ev = QWheelEvent(
        QPointF(at),
        QPointF(vp.mapToGlobal(at)),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, ev)


def test_wheel_zoom_keeps_the_point_under_the_cursor(window: MainWindow) -> None:
    """Defect 2: at zoom in and out, the scene point under the cursor does not move."""
    c = window.canvas
    c.fit()
    vp = c.viewport().rect()
    for at in (
        QPoint(vp.width() // 5, vp.height() // 4),
        QPoint(4 * vp.width() // 5, 3 * vp.height() // 4),
    ):
        for steps in (1, 1, 1, -1, -1, -1, -1, -1):
            fixed = c.mapToScene(at)
            zoom = c.zoom()
            _wheel(window, at, steps)
            assert c.zoom() != pytest.approx(zoom)
            moved = c.mapToScene(at) - fixed
            tol = 1.5 / min(zoom, c.zoom())  # one screen pixel of rounding
            assert abs(moved.x()) <= tol and abs(moved.y()) <= tol, (steps, moved)


def test_source_says_edited_and_text_is_widest(window: MainWindow) -> None:
    """Defect 6: a person's edit shows in Source with what made the region first."""
    w = window
    low = region_id(w, "Cimamon")
    w.canvas.select([low])
    w.region_panel.focus_text()
    QTest.keyClicks(w.region_panel.text, "Cinnamon")
    QTest.keyClick(w.region_panel.text, Qt.Key.Key_Return)
    model = w.editor.region_model
    source = model.index(model.row_of(low), 4).data()
    assert "edited" in source and "det_default+rec_default" in source
    high = region_id(w, "open")
    assert model.index(model.row_of(high), 4).data() == "det_default+rec_default"
    header = w.region_panel.table.horizontalHeader()
    widths = [header.sectionSize(c) for c in range(model.columnCount())]
    assert widths[RegionTableModel.TEXT] == max(widths)


def test_ctrl_c_copies_the_selected_text(window: MainWindow) -> None:
    """Feature: Ctrl+C puts the selected regions' text, in reading order, on the clipboard."""
    w = window
    w.canvas.select([region_id(w, "open"), region_id(w, "Cimamon")])
    w.canvas.setFocus()
    QTest.keyClick(w.canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "Cimamon\nopen"
    assert len(w.editor.clipboard) == 2  # the regions themselves still paste


def test_labels_on_a_dense_sign_cover_neither_each_other_nor_words(
    make_window: MakeWindow, tmp_path: Path
) -> None:
    """Defect 7: rows of words 2 px apart; the plates shown overlap nothing, the others
    appear on hover or selection; a toggle shows only those."""
    write_demo_images(tmp_path / "photos", count=1, verified=0)
    dense = [
        Region(
            Polygon.from_box(20 + 130 * c, 20 + 32 * r, 140 + 130 * c, 50 + 32 * r),
            f"word{r}{c}",
            score=0.9,
            det_score=0.9,
        )
        for r in range(8)
        for c in range(3)
    ]
    with create_project(tmp_path / "proj", tmp_path / "photos") as handle, handle.write() as s:
        store.write_model_regions(s, an.list_images(handle)[0].id, dense, "m")
    w = make_window(tmp_path / "proj", size=(1200, 800))
    w.canvas.zoom_by(3.0)
    items = list(w.canvas.items_by_id.values())
    plates = [
        (it.rid, it._label.sceneBoundingRect())
        for it in items
        if it._label is not None and it._label.isVisible()
    ]
    assert plates, "no transcription shown at all"
    for k, (rid, a) in enumerate(plates):
        inner = a.adjusted(0.5, 0.5, -0.5, -0.5)
        assert not any(inner.intersects(b) for _, b in plates[k + 1 :])
        assert not any(inner.intersects(it.sceneBoundingRect()) for it in items if it.rid != rid)
    hidden = next(it for it in items if it.placement is None)
    w.canvas.select([hidden.rid])
    assert hidden._label is not None and hidden._label.isVisible()
    w.actions_["labels_selected"].trigger()
    shown = [it.rid for it in items if it._label is not None and it._label.isVisible()]
    assert shown == [hidden.rid]


def test_reading_order_numbers_and_renumber_by_clicking(window: MainWindow) -> None:
    """Feature: the numbers show on the canvas; clicking regions in sequence stores a
    person's order (undoable)."""
    w = window
    assert [r.text for r in w.editor.region_model.records] == ["Cimamon", "Street", "open"]
    w.actions_["show_order"].trigger()
    badges = {
        w.editor.records[rid].text: item.badge.number
        for rid, item in w.canvas.items_by_id.items()
        if item.badge.isVisible()
    }
    assert badges == {"Cimamon": 1, "Street": 2, "open": 3}
    w.actions_["renumber"].trigger()
    for x, y in ((450, 320), (350, 37)):  # "open", then "Street"
        click(w.canvas, x, y)
    QTest.keyClick(w.canvas, Qt.Key.Key_Return)
    assert [r.text for r in an.regions_of_image(w.project, w.editor.image.id)] == [
        "open",
        "Street",
        "Cimamon",
    ]
    assert [r.text for r in w.editor.region_model.records] == ["open", "Street", "Cimamon"]
    assert w.canvas.items_by_id[region_id(w, "open")].badge.number == 1
    w.editor.undo_stack.undo()
    assert [r.text for r in an.regions_of_image(w.project, w.editor.image.id)] == [
        "Cimamon",
        "Street",
        "open",
    ]
