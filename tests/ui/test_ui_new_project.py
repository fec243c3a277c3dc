"""Issue 27.14: File > New project asks the project's name and where it goes, writes it
there (not silently into the photos' folder), and its help text shows whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.project import is_project
from ocrstudio.ui.dialogs.new_project import NewProjectDialog
from ocrstudio.ui.testing import answer_modal, isolated_settings, wait_until
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui


def _labels_show_whole(d: NewProjectDialog) -> None:
    QApplication.processEvents()
    for label in (d.note, d.target):
        need = label.heightForWidth(label.width())
        assert label.height() >= need, f"{label.text()!r}: {label.height()} < {need} px"
        assert label.geometry().bottom() < d.buttons.geometry().top()


def test_new_project_asks_name_and_location_and_writes_there(
    make_window: MakeWindow, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    write_demo_images(photos, count=2, verified=0)
    before = sorted(p.name for p in photos.iterdir())
    w = make_window()
    seen: list[str] = []

    def answer(d: NewProjectDialog) -> None:
        ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert not ok.isEnabled(), "a project with no photos chosen"
        d.folder.setText(str(photos))
        assert d.name.text() == "photos"  # named after the photos until the person types
        d.name.setText("receipts 2024")
        d.name.textEdited.emit("receipts 2024")
        d.location.setText(str(tmp_path / "projects"))
        seen.append(d.target.text())
        _labels_show_whole(d)
        d.parts["train"].setValue(70)  # the longer-or-shorter note still fits
        _labels_show_whole(d)
        d.parts["train"].setValue(80)
        d.grab().save(str(tmp_path / "new_project.png"))
        ok.click()

    answer_modal(NewProjectDialog, answer)
    w.actions_["new_project"].trigger()
    assert seen, "the dialog asked no name or location"
    wait_until(lambda: w.project is not None, 60)
    target = tmp_path / "projects" / "receipts 2024"
    assert w.project.folder == target.resolve()
    assert str(target) in seen[0]
    assert sorted(p.name for p in photos.iterdir()) == before, "wrote into the photos"
    assert w.editor.images.rowCount() == 2
    assert w.settings.value("new_project/location") == str(tmp_path / "projects")


def test_the_dialog_refuses_a_folder_of_other_files_and_opens_a_known_project(
    qtbot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from ocrstudio.services.project import create_project

    photos = tmp_path / "photos"
    write_demo_images(photos, count=1, verified=0)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    create_project(tmp_path / "known", photos).close()
    d = NewProjectDialog(None, isolated_settings(tmp_path))
    qtbot.addWidget(d)
    d.show()
    ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
    d.folder.setText(str(photos))
    d.location.setText(str(tmp_path))
    d.name.setText("busy")
    assert not ok.isEnabled() and "holds other files" in d.target.text()
    _labels_show_whole(d)
    d.name.setText("a/b")
    assert not ok.isEnabled()
    d.name.setText("known")
    assert ok.isEnabled() and "Opens the project already" in d.target.text()
    assert is_project(d.project_folder())
