"""Pre-labeling from the window runs in a worker: the window shows the proposals with
their scores when the job ends, a person's regions stay, and a one-image job is undoable."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.project import create_project
from ocrstudio.ui.canvas.items import RegionState
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.models import STATUS_ROLE
from ocrstudio.ui.prelabel_ui import start_prelabel
from ocrstudio.ui.testing import wait_until
from tests.support.models import make_tiny_models
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    write_demo_images(tmp_path / "photos", count=2, verified=0)
    with create_project(tmp_path / "proj", tmp_path / "photos") as handle:
        second = an.list_images(handle)[1].id
        an.add_regions(handle, second, [Region(Polygon.from_box(5, 5, 80, 40), "mine")])
        an.set_image_verified(handle, second)
        make_tiny_models(handle)
    # tiny models: no int8 build
    return make_window(tmp_path / "proj", settings={"prelabel_preset": "accurate"})


def test_prelabel_all_in_a_worker(window: MainWindow) -> None:
    w = window
    first = w.editor.image.id
    assert "tiny-dbnet" in w.models_panel.active.text()
    wait_until(lambda: not w.jobs_bar.rows, 30)  # the folder's rescan on opening
    worker = start_prelabel(w.jobs, current_only=False, device="cpu")
    assert worker is not None and len(w.jobs_bar.rows) == 1
    wait_until(lambda: worker.done, 120)
    wait_until(lambda: w.editor.records, 10)
    assert not w.jobs.last_error
    (rec,) = w.editor.records.values()
    assert rec.provenance == "tiny-dbnet_mobilenet_v3+tiny-crnn_small"
    assert rec.det_score is not None and rec.score is not None
    item = w.canvas.items_by_id[rec.id]
    assert item.state in (RegionState.MODEL, RegionState.LOW)
    row = w.editor.images.row_of(first)
    assert w.editor.images.index(row, 1).data(STATUS_ROLE) == "pre-labeled"
    second = w.editor.images.records[1].id
    assert [r.text for r in an.regions_of_image(w.project, second)] == ["mine"]
    wait_until(lambda: not w.jobs_bar.rows, 5)


def test_prelabel_current_image_is_undoable(window: MainWindow) -> None:
    w = window
    image = w.editor.image.id
    worker = start_prelabel(w.jobs, current_only=True, device="cpu")
    wait_until(lambda: worker.done and w.editor.records, 120)
    assert w.editor.undo_stack.undoText() == "Pre-label image"
    w.editor.undo_stack.undo()
    assert an.regions_of_image(w.project, image) == [] and w.editor.records == {}
    assert an.get_image(w.project, image).status == an.ImageStatus.NEW
    w.editor.undo_stack.redo()
    assert len(an.regions_of_image(w.project, image)) == 1


def test_the_check_of_unsure_boxes_can_be_turned_off(window: MainWindow) -> None:
    """Models > Check unsure boxes: on by default; unchecked, it is remembered and the
    pre-labeling job keeps every box the detector is sure of (keep_all)."""
    w = window
    act = w.actions_["check_unsure"]
    assert act.isCheckable() and act.isChecked()
    wait_until(lambda: not w.jobs_bar.rows, 30)
    jobs: list[object] = []
    start = w.jobs.start

    def spy(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        jobs.append(fn.__self__)
        return start(fn, *args, **kwargs)

    w.jobs.start = spy  # type: ignore[method-assign]
    act.trigger()
    assert not act.isChecked() and w.settings.value("prelabel_check", type=bool) is False
    worker = start_prelabel(w.jobs, current_only=True, device="cpu")
    assert worker is not None
    wait_until(lambda: worker.done, 120)
    act.trigger()
    worker = start_prelabel(w.jobs, current_only=True, device="cpu")
    assert worker is not None
    wait_until(lambda: worker.done, 120)
    assert [j.keep_all for j in jobs] == [True, False]  # type: ignore[attr-defined]
    assert not w.jobs.last_error
