"""Rotation and a person's reading order below the GUI: the schema upgrade that brought
them (a reading command on an older project reads a migrated copy and writes nothing),
training crops cut from the turned pixels, and imports into a turned image."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from sqlalchemy import inspect

from ocrstudio import store
from ocrstudio.core.geometry import crop_polygon
from ocrstudio.core.images import read_image
from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.formats import write_labels
from ocrstudio.services import annotation as an
from ocrstudio.services import transfer
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.project import create_project, open_project
from ocrstudio.services.training import project_pages
from ocrstudio.store import db
from ocrstudio.training.data import CropSource

WORD = Region(Polygon(((40.5, 30.0), (200.0, 34.0), (198.0, 80.0), (41.0, 76.5))), "word")


def _project(tmp_path: Path) -> tuple[Path, int]:
    write_demo_images(tmp_path / "photos", count=1, verified=0)
    with create_project(tmp_path / "p", tmp_path / "photos") as h:
        image_id = an.list_images(h)[0].id
        an.add_regions(h, image_id, [WORD])
        an.set_image_verified(h, image_id)
    return tmp_path / "p", image_id


def test_an_older_project_is_read_without_writing_and_upgraded_on_write(tmp_path: Path) -> None:
    folder, image_id = _project(tmp_path)
    engine = db.make_engine(folder / "project.db")
    db.downgrade(engine, "0001")
    assert "rotation" not in {c["name"] for c in inspect(engine).get_columns("image")}
    engine.dispose()
    digest = hashlib.sha256((folder / "project.db").read_bytes()).hexdigest()
    with open_project(folder, read_only=True) as h:  # `project info`, `export`
        rec = an.get_image(h, image_id)
        assert (rec.rotation, rec.manual_order) == (0, False)
        assert [r.text for r in an.regions_of_image(h, image_id)] == ["word"]
    assert hashlib.sha256((folder / "project.db").read_bytes()).hexdigest() == digest
    with open_project(folder) as h:
        an.rotate_image(h, image_id, 1)
        assert [r.text for r in an.regions_of_image(h, image_id)] == ["word"]
    engine = db.make_engine(folder / "project.db")
    assert db.current_revision(engine) == db.HEAD_REVISION
    engine.dispose()


def test_training_crops_come_from_the_turned_pixels(tmp_path: Path) -> None:
    folder, image_id = _project(tmp_path)
    with open_project(folder) as h:
        _, pages = project_pages(h, an.get_image(h, image_id).split.value)
        upright = CropSource(pages).get(0, 0)[0]
        an.rotate_image(h, image_id, 1)
        _, turned_pages = project_pages(h, an.get_image(h, image_id).split.value)
    assert turned_pages[0].turns == 1
    again = CropSource(turned_pages).get(0, 0)[0]
    assert upright.shape == again.shape
    assert np.abs(upright.astype(int) - again.astype(int)).mean() < 3


def test_import_into_a_turned_image_lands_on_the_same_pixels(tmp_path: Path) -> None:
    folder, image_id = _project(tmp_path)
    with open_project(folder) as h:
        rec = an.get_image(h, image_id)
        pixels = read_image(rec.file)
        labels = tmp_path / "labels"
        write_labels("icdar2015", [PageLabels(rec.file.name, (WORD.with_(text="again"),))], labels)
        an.rotate_image(h, image_id, 1)
        transfer.import_labels(h, "icdar2015", rec.file.parent, labels)
        turned = an.get_image(h, image_id)
        [region] = an.regions_of_image(h, image_id)
    assert region.text == "again"
    crop = crop_polygon(read_image(rec.file, turns=turned.rotation), region.polygon.as_array())
    want = crop_polygon(pixels, np.rint(WORD.polygon.as_array()))
    assert crop.shape == want.shape
    assert np.abs(crop.astype(int) - want.astype(int)).mean() < 3
    assert turned.status == store.ImageStatus.VERIFIED
