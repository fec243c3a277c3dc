"""The item models pass Qt's model tester, and filter/sort/edit as the panels need."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.project import create_project
from ocrstudio.ui.models import (
    SORT_ROLE,
    STATUS_ROLE,
    ImageFilterProxy,
    ImageTableModel,
    RegionTableModel,
)
from ocrstudio.ui.testing import wait_until
from ocrstudio.ui.thumbnails import ThumbnailCache

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    write_demo_images(tmp_path / "photos", count=4, verified=0)
    handle = create_project(tmp_path / "proj", tmp_path / "photos")
    ids = [r.id for r in an.list_images(handle)]
    an.add_regions(
        handle,
        ids[1],
        [
            Region(Polygon.from_box(10, 10, 90, 40), text="b"),
            Region(Polygon.from_box(10, 60, 90, 90), text="a"),
        ],
    )
    with handle.write() as s:
        store.write_model_regions(
            s,
            ids[2],
            [Region(Polygon.from_box(5, 5, 50, 30), "x", score=0.3, det_score=0.9)],
            "dbnet-v1",
        )
    an.set_image_verified(handle, ids[1])
    yield handle
    handle.close()


def test_image_model_and_proxy_pass_modeltester(qtmodeltester, qtbot, project) -> None:
    thumbs = ThumbnailCache(QThreadPool.globalInstance())
    model = ImageTableModel(thumbs)
    model.set_records(an.list_images(project))
    qtmodeltester.check(model)
    # thumbnails arrive later, from a pool thread, as dataChanged on their rows
    wait_until(
        lambda: all(
            model.data(model.index(r, 0), Qt.ItemDataRole.DecorationRole) is not None
            for r in range(model.rowCount())
        ),
        20,
    )
    pix = model.data(model.index(0, 0), Qt.ItemDataRole.DecorationRole)
    assert max(pix.width(), pix.height()) == 56
    proxy = ImageFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)
    proxy.set_status(an.ImageStatus.VERIFIED)
    assert proxy.rowCount() == 1
    proxy.set_status(None)
    proxy.setFilterFixedString("demo_03")
    assert [proxy.index(r, 1).data(STATUS_ROLE) for r in range(proxy.rowCount())] == ["pre-labeled"]
    proxy.setFilterFixedString("")
    proxy.sort(2, Qt.SortOrder.DescendingOrder)
    assert [proxy.index(r, 2).data(SORT_ROLE) for r in range(4)] == [2, 1, 0, 0]


def test_region_model_passes_modeltester_and_routes_edits(qtmodeltester, project) -> None:
    image_id = an.list_images(project)[1].id
    model = RegionTableModel()
    model.set_records(an.regions_of_image(project, image_id))
    qtmodeltester.check(model)
    assert [model.index(r, 1).data() for r in range(2)] == ["b", "a"]  # reading order
    edits: list[tuple[int, str, object]] = []
    model.edit_requested.connect(lambda rid, f, v: edits.append((rid, f, v)))
    assert model.setData(model.index(1, 1), "A")
    assert model.setData(
        model.index(0, 2), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
    )
    rid0, rid1 = model.id_at(0), model.id_at(1)
    assert edits == [(rid1, "text", "A"), (rid0, "ignore", True)]
    assert model.index(1, 1).data() == "a"  # the model shows only what is stored
    assert model.index(0, 5).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert not model.flags(model.index(0, 3)) & Qt.ItemFlag.ItemIsEditable
