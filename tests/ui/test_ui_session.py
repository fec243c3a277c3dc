"""Issue 13: the window fits the screen, reopens the last project with its size and layout,
the image list sorts names naturally, and tests never touch a person's settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication

from ocrstudio.services.demo import render_demo_image
from ocrstudio.services.project import create_project
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.testing import isolated_settings, wait_until
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "photos").mkdir()
    img, _ = render_demo_image(1)
    small = Image.fromarray(img).resize((160, 90))
    for n in (10, 2, 100, 1, 20):
        small.save(tmp_path / "photos" / f"img_{n}.png")
    create_project(tmp_path / "proj", tmp_path / "photos").close()
    return tmp_path / "proj"


def test_window_fits_the_screen(make_window: MakeWindow, project: Path) -> None:
    """Defect 11: a window is never larger than the screen it opens on (800 x 800 here,
    offscreen), with a project's docks open too."""
    w = make_window()
    avail = QGuiApplication.primaryScreen().availableGeometry()
    assert w.width() <= avail.width() and w.height() <= avail.height()
    assert w.open_project(project)
    assert w.minimumSizeHint().width() <= avail.width()


def test_image_list_sorts_names_naturally(make_window: MakeWindow, project: Path) -> None:
    """Defect 10: img_1, img_2, img_10, img_20, img_100; and the first one opens."""
    w = make_window(project)
    proxy = w.image_panel.proxy
    names = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert names == ["img_1.png", "img_2.png", "img_10.png", "img_20.png", "img_100.png"]
    assert w.editor.image.file.name == "img_1.png"


def test_reopens_the_last_project_size_and_layout(
    qtbot,
    project: Path,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """Defect 14: the next start is where the last one ended."""
    settings = isolated_settings(tmp_path)
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(project)
    w.resize(790, 520)
    size = (w.width(), w.height())
    assert size == (790, 520)
    w.docks["models"].raise_()
    wait_until(lambda: not w.jobs_bar.rows, 30)
    w.close()
    again = MainWindow(isolated_settings(tmp_path))
    qtbot.addWidget(again)
    assert again.restore_session()
    again.show()
    assert again.project is not None and again.project.folder == project.resolve()
    assert (again.width(), again.height()) == size


def test_suite_settings_are_not_the_users() -> None:
    """Defect 13: QSettings() in a test writes to the test run's own folder."""
    default = Path(QSettings().fileName()).resolve()
    assert not default.is_relative_to((Path.home() / ".config").resolve()), default


def test_syslibs_names_the_missing_packages(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Defect 12: `make run` prints the exact apt-get line for the xcb plugin's libraries."""
    from ocrstudio.ui import syslibs

    absent = {"xcb-cursor", "xcb-icccm", "xcb-keysyms"}
    monkeypatch.setattr(
        syslibs.ctypes.util,
        "find_library",
        lambda name: None if name in absent else f"lib{name}.so",
    )
    monkeypatch.setattr(syslibs.sys, "platform", "linux")
    monkeypatch.setattr(syslibs, "unresolved", lambda _plugin: [])  # this machine's ldd
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert syslibs.main() == 1
    assert (
        "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"
        in capsys.readouterr().err
    )
    monkeypatch.setattr(syslibs.ctypes.util, "find_library", lambda name: f"lib{name}.so")
    assert syslibs.main() == 0
    assert "run:" in (Path(__file__).parents[2] / "Makefile").read_text()
    assert "ocrstudio.ui.syslibs" in (Path(__file__).parents[2] / "Makefile").read_text()


def test_new_project_dialog_states_and_sets_the_split_ratios(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Feature: the new-project dialog shows 80/10/10, refuses a sum other than 100, and
    the project is made with the ratios chosen."""
    from PySide6.QtWidgets import QDialogButtonBox

    from ocrstudio.services.demo import write_demo_images
    from ocrstudio.services.project import SplitSettings, open_project
    from ocrstudio.ui.dialogs.new_project import NewProjectDialog

    write_demo_images(tmp_path / "photos", count=2, verified=0)
    w = MainWindow(isolated_settings(tmp_path))
    qtbot.addWidget(w)
    d = NewProjectDialog(w)
    assert [b.value() for b in d.parts.values()] == [80, 10, 10]
    ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
    d.parts["train"].setValue(60)
    assert not ok.isEnabled() and "80 %" in d.note.text()
    d.parts["val"].setValue(20)
    d.parts["test"].setValue(20)
    d.folder.setText(str(tmp_path / "photos"))
    assert ok.isEnabled()
    w.create_project(d.images(), split=d.split())
    wait_until(lambda: w.project is not None, 60)
    with open_project(w.project.folder) as h, h.session() as s:
        from ocrstudio import store

        assert SplitSettings.from_settings(store.get_settings(s)) == SplitSettings(0.6, 0.2, 0.2)


def test_names_stay_visible_in_a_narrow_scaled_list(
    qtbot,
    project: Path,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """Defect 11: with 1.5x fonts in a 270-pixel dock the image names still show whole."""
    from PySide6.QtGui import QFontMetrics

    from ocrstudio.ui.thumbnails import THUMB

    w = MainWindow(isolated_settings(tmp_path))
    qtbot.addWidget(w)
    font = w.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    w.setFont(font)
    w.show()
    assert w.open_project(project)
    w.resizeDocks([w.docks["images"]], [270], Qt.Orientation.Horizontal)
    qtbot.wait(50)
    view = w.image_panel.view
    need = THUMB + QFontMetrics(view.font()).horizontalAdvance("img_100.png")
    assert view.horizontalHeader().sectionSize(0) >= need
