"""Issue 13, features: rotating an image by 90 degrees with its regions, stored in the
project, and a person's reading order that later edits keep (the store used to renumber
it away from the geometry on the next change)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ocrstudio.core.geometry import crop_polygon, quarter_turn
from ocrstudio.core.images import read_image
from ocrstudio.core.types import Polygon
from ocrstudio.services import annotation as an
from ocrstudio.services import transfer
from ocrstudio.services.project import open_project
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.testing import click
from tests.support.ui import MakeWindow, region_id, three_readings_project

pytestmark = pytest.mark.gui


@pytest.fixture
def window(make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    return make_window(three_readings_project(tmp_path), size=(1200, 800))


def _texts(w: MainWindow) -> list[str]:
    return [r.text for r in an.regions_of_image(w.project, w.editor.image.id)]


def _export(w: MainWindow, out: Path) -> dict[str, str]:
    transfer.export_labels(w.project, "icdar2015", out)
    return {f.name: f.read_text(encoding="utf-8") for f in sorted(out.glob("gt_*.txt"))}


def test_rotate_turns_image_and_regions_and_is_stored(
    window: MainWindow,  # noqa: F811
    tmp_path: Path,
) -> None:
    w = window
    image = w.editor.image
    width, height = image.width, image.height
    before = {r.id: r for r in an.regions_of_image(w.project, image.id)}
    pixels = w.editor.pixels.copy()
    exported = _export(w, tmp_path / "before")
    w.actions_["rotate_cw"].trigger()
    turned = w.editor.image
    assert (turned.rotation, turned.width, turned.height) == (1, height, width)
    assert w.editor.pixels.shape[:2] == (width, height)
    assert np.array_equal(w.editor.pixels, np.rot90(pixels, k=-1))
    shown = w.canvas._pixmap.pixmap()
    assert (shown.width(), shown.height()) == (height, width)
    after = {r.id: r for r in an.regions_of_image(w.project, image.id)}
    for rid, r in before.items():
        assert after[rid].polygon == quarter_turn(r.polygon, 1, width, height)
        assert (after[rid].text, after[rid].edited, after[rid].score) == (
            r.text,
            r.edited,
            r.score,
        )  # turning is not an edit
        upright = crop_polygon(pixels, r.polygon.as_array())
        again = crop_polygon(w.editor.pixels, after[rid].polygon.as_array())
        assert upright.shape == again.shape  # the word still reads left to right
        assert np.abs(upright.astype(int) - again.astype(int)).mean() < 3
    # the canvas shows the turned regions
    first = next(iter(after))
    item_rect = w.canvas.items_by_id[first].sceneBoundingRect()
    x0, y0, x1, y1 = after[first].polygon.bounds
    assert abs(item_rect.center().x() - (x0 + x1) / 2) < 3
    # exports refer to the file on disk: the same labels as before the turn
    assert _export(w, tmp_path / "after") == exported
    # stored: a new session (and the project reopened) sees it, pixels included
    with open_project(w.project.folder) as h:
        rec = an.get_image(h, image.id)
        assert rec.rotation == 1
        assert read_image(rec.file, turns=rec.rotation).shape[:2] == (width, height)
    QTest.keyClick(w.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.editor.image.rotation == 0 and w.editor.pixels.shape[:2] == (height, width)
    # as before, a version number apart: each write, the undo's too, counts one (the
    # team projects' check that no edit overwrites another silently)
    assert {r.id: _unversioned(r) for r in an.regions_of_image(w.project, image.id)} == {
        k: _unversioned(r) for k, r in before.items()
    }


def _unversioned(r: an.RegionRecord) -> an.RegionRecord:
    return dataclasses.replace(r, version=0)


def test_four_turns_and_counter_clockwise(window: MainWindow) -> None:  # noqa: F811
    w = window
    image = w.editor.image
    before = {r.id: r.polygon for r in an.regions_of_image(w.project, image.id)}
    w.actions_["rotate_ccw"].trigger()
    assert w.editor.image.rotation == 3
    for _ in range(3):
        w.actions_["rotate_ccw"].trigger()
    assert w.editor.image.rotation == 0
    for r in an.regions_of_image(w.project, image.id):
        assert np.allclose(r.polygon.as_array(), before[r.id].as_array(), atol=1e-6)


def test_a_persons_reading_order_survives_later_edits(window: MainWindow) -> None:  # noqa: F811
    w = window
    assert _texts(w) == ["Cimamon", "Street", "open"]
    w.actions_["renumber"].trigger()
    for x, y in ((450, 320), (350, 37)):  # "open", then "Street"
        click(w.canvas, x, y)
    QTest.keyClick(w.canvas, Qt.Key.Key_Return)
    assert _texts(w) == ["open", "Street", "Cimamon"]
    # moving a region, changing a text, drawing a new one: the order stays the person's
    low = region_id(w, "Cimamon")
    rec = w.editor.records[low]
    moved = Polygon(tuple((x + 5, y + 3) for x, y in rec.polygon.points))
    w.editor.edit_regions([(low, rec.to_region().with_(polygon=moved))], "Move")
    w.editor.edit_field(region_id(w, "Street"), "text", "Straße")
    an.add_regions(
        w.project,
        w.editor.image.id,
        [rec.to_region().with_(polygon=Polygon.from_box(5, 5, 40, 20), text="first on the page")],
    )
    w.editor.refresh_image(w.editor.image.id)
    assert _texts(w) == ["open", "Straße", "Cimamon", "first on the page"]
    assert [r.text for r in w.editor.region_model.records] == _texts(w)
    w.actions_["auto_order"].trigger()
    assert _texts(w) == ["first on the page", "Cimamon", "Straße", "open"]
    w.editor.undo_stack.undo()
    assert _texts(w) == ["open", "Straße", "Cimamon", "first on the page"]
    assert an.get_image(w.project, w.editor.image.id).manual_order
