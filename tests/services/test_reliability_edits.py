"""Issue 12.1: the stored order is the reading order after every kind of write, and
undoing a pre-labeling job is one transaction (all images back, or none)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocrstudio import store
from ocrstudio.core.errors import InputError
from ocrstudio.core.geometry import reading_order
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services import project as P
from ocrstudio.services.prelabel import restore_images, snapshot_image


def box(x: float, y: float, text: str = "") -> Region:
    return Region(Polygon.from_box(x, y, x + 30, y + 10), text)


@pytest.fixture
def handle(tmp_path: Path):  # type: ignore[no-untyped-def]
    for k in range(2):
        Image.fromarray(np.full((200, 300, 3), 40 * k, np.uint8)).save(tmp_path / f"{k}.png")
    with P.create_project(tmp_path / "p", tmp_path) as h:
        yield h


def in_reading_order(h: P.ProjectHandle, image_id: int) -> bool:
    regions = an.regions_of_image(h, image_id)
    polys = [r.polygon.as_array() for r in regions]
    return [r.order for r in regions] == list(range(len(regions))) and reading_order(polys) == list(
        range(len(regions))
    )


def test_every_write_keeps_the_stored_order_the_reading_order(handle) -> None:
    a = an.list_images(handle)[0].id
    added = an.add_regions(handle, a, [box(200, 100), box(10, 10), box(100, 10)])
    assert in_reading_order(handle, a)
    low = next(r for r in added if r.polygon.bounds[1] == 100)
    an.edit_regions(handle, [(low.id, box(0, 0).with_(text="moved up"))])
    assert in_reading_order(handle, a)
    assert an.regions_of_image(handle, a)[0].text == "moved up"
    snaps = an.delete_regions(handle, [added[1].id])
    assert in_reading_order(handle, a)
    an.restore_regions(handle, snaps)
    assert in_reading_order(handle, a)
    with handle.write() as s:  # a model's proposal beside a person's regions
        store.write_model_regions(s, a, [box(250, 150), box(5, 60)], "m")
        store.replace_regions(s, {an.list_images(handle)[1].id: [box(90, 90), box(1, 1)]})
    assert in_reading_order(handle, a)
    assert in_reading_order(handle, an.list_images(handle)[1].id)


def test_undoing_a_job_is_all_or_nothing(handle) -> None:
    a, b = (im.id for im in an.list_images(handle))
    before = {i: snapshot_image(handle, i) for i in (a, b)}
    for i in (a, b):
        with handle.write() as s:
            store.write_model_regions(s, i, [box(10, 10, "model")], "m")
    after = {i: an.regions_of_image(handle, i) for i in (a, b)}
    broken = before[b].regions + (
        dataclasses.replace(after[a][0], id=10_000, image_id=99_999),
    )  # cannot be restored: no such image
    bad = {a: before[a], b: dataclasses.replace(before[b], regions=broken)}
    with pytest.raises(InputError):
        restore_images(handle, bad)
    assert {i: an.regions_of_image(handle, i) for i in (a, b)} == after  # a not half-undone
    restore_images(handle, before)
    assert all(an.regions_of_image(handle, i) == [] for i in (a, b))
    assert {an.get_image(handle, i).status for i in (a, b)} == {an.ImageStatus.NEW}
