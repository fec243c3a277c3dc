"""What the ui tests share (a helper module, not a test module; conftest.py imports its
fixtures): the one window factory, `make_window`, and the projects that more than one ui
test module builds (their tiny models: tests.support.models)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.demo import create_demo_project, write_demo_images
from ocrstudio.services.project import create_project, open_project
from tests.support.models import make_tiny_models

if TYPE_CHECKING:  # Qt is imported by the ui tests only, when they make a window
    from ocrstudio.ui.main_window import MainWindow


class MakeWindow(Protocol):
    def __call__(
        self,
        project: Path | None = None,
        *,
        user: str | None = None,
        size: tuple[int, int] | None = None,
        settings: dict[str, object] | None = None,
        rescan: bool = True,
    ) -> MainWindow: ...


@pytest.fixture
def make_window(
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> MakeWindow:
    """A factory of real windows, shown offscreen, with settings of their own:
    `project` opened in it (`rescan`: look for photos added since), `user` the team
    member it works as (OCRSTUDIO_USER; the settings then live in tmp_path/user, so two
    members' windows share nothing), `size` the window's, `settings` set before the
    project opens."""

    def make(
        project: Path | None = None,
        *,
        user: str | None = None,
        size: tuple[int, int] | None = None,
        settings: dict[str, object] | None = None,
        rescan: bool = True,
    ) -> MainWindow:
        from ocrstudio.ui.main_window import MainWindow
        from ocrstudio.ui.testing import isolated_settings

        if user is not None:
            monkeypatch.setenv("OCRSTUDIO_USER", user)
        w = MainWindow(isolated_settings(tmp_path / user if user else tmp_path))
        qtbot.addWidget(w)
        for key, value in (settings or {}).items():
            w.settings.setValue(key, value)
        if size is not None:
            w.resize(*size)
        w.show()
        if project is not None:
            assert w.open_project(project, rescan=rescan)
        return w

    return make


def region_id(w: MainWindow, text: str) -> int:
    """The id of the open image's region that reads `text`."""
    return next(rid for rid, r in w.editor.records.items() if r.text == text)


# ---- projects more than one module opens ------------------------------------------
LOW = Region(Polygon.from_box(10, 10, 100, 50), "Cimamon", score=0.11, det_score=0.8)
MID = Region(Polygon.from_box(300, 20, 400, 55), "Street", score=0.5, det_score=0.9)
HIGH = Region(Polygon.from_box(400, 300, 500, 340), "open", score=0.9, det_score=0.9)


def three_readings_project(root: Path) -> Path:
    """Two photos; the first with three model readings, sure, unsure and between."""
    write_demo_images(root / "photos", count=2, verified=0)
    with create_project(root / "proj", root / "photos") as handle:
        first = an.list_images(handle)[0].id
        with handle.write() as s:
            store.write_model_regions(s, first, [HIGH, LOW, MID], "det_default+rec_default")
    return root / "proj"


def training_project(root: Path) -> Path:
    """The demo project, all four photos verified and split 2 train, 1 test, 1 val, with
    the tiny models active."""
    folder = create_demo_project(root / "demo", count=4, verified=4)
    with open_project(folder) as handle:
        ids = [r.id for r in an.list_images(handle)]
        with handle.write() as s:
            store.set_splits(s, {ids[0]: "train", ids[1]: "train", ids[2]: "test", ids[3]: "val"})
        make_tiny_models(handle)
    return folder


__all__ = [
    "HIGH",
    "LOW",
    "MID",
    "MakeWindow",
    "make_window",
    "region_id",
    "three_readings_project",
    "training_project",
]
