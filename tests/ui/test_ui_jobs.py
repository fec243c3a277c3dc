"""Issue 13, the model jobs from the window: pre-labeling only new images by default, the
list updated as batches land, one status line, models loaded once per session, a drawn
region read at once, rescanning the folder, quick OCR."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel

from ocrstudio.services import annotation as an
from ocrstudio.services.demo import render_demo_image, write_demo_images
from ocrstudio.services.project import create_project
from ocrstudio.services.quick_ocr import page_text
from ocrstudio.ui.canvas.draft import Tool
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.prelabel_ui import preset, start_prelabel
from ocrstudio.ui.quick_ocr import QuickOcrDialog
from ocrstudio.ui.testing import click, wait_until
from tests.support.models import make_tiny_models
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    write_demo_images(tmp_path / "photos", count=5, verified=0)
    with create_project(tmp_path / "proj", tmp_path / "photos") as handle:
        make_tiny_models(handle)
    # tiny models: no int8 build
    w = make_window(tmp_path / "proj", settings={"prelabel_preset": "accurate"})
    wait_until(lambda: not w.jobs_bar.rows, 30)  # the rescan on opening
    return w


def _statuses(w: MainWindow) -> list[an.ImageStatus]:
    return [r.status for r in w.editor.images.records]


def test_prelabel_new_images_lands_batch_by_batch(window: MainWindow) -> None:
    """Defect 4: the list updates as results land, the default skips pre-labeled images,
    one status line reports photos/s, the models load once per session."""
    w = window
    assert preset(w.jobs) == "accurate" and w.actions_["prelabel_all"].text().startswith(
        "Pre-label &new"
    )
    seen: list[list[an.ImageStatus]] = []
    worker = start_prelabel(w.jobs, current_only=True, device="cpu")
    wait_until(lambda: worker.done, 120)
    first_loaded = w.jobs.predictors.loaded()
    stamps = {r.id: r.updated for r in an.regions_of_image(w.project, w.editor.image.id)}
    worker = start_prelabel(w.jobs, current_only=False, device="cpu")
    worker.progress_reported.connect(lambda p: seen.append(_statuses(w)) if p.landed else None)
    wait_until(lambda: worker.done, 120)
    assert not w.jobs.last_error, w.jobs.last_error
    assert set(_statuses(w)) == {an.ImageStatus.PRELABELED}
    # batches of two: the list showed the first results before the run ended
    assert seen and seen[0].count(an.ImageStatus.PRELABELED) < 5
    # the image pre-labeled before was left alone ("only new images")
    assert {r.id: r.updated for r in an.regions_of_image(w.project, w.editor.image.id)} == stamps
    assert w.jobs.predictors.loaded() == first_loaded  # the same objects, not reloaded
    texts = [lb.text() for lb in w.statusBar().findChildren(QLabel) if lb.isVisible() and lb.text()]
    assert w.statusBar().currentMessage() == ""
    assert len(texts) == 1 and "photos/s" in texts[0], texts


def test_a_drawn_region_is_read_at_once(window: MainWindow) -> None:
    """Defect 5: drawing starts the recognizer on the new region (a setting turns it off)."""
    w = window
    w.actions_["read_drawn"].trigger()  # on (the tests' settings start with it off)
    assert w.settings.value("read_drawn", type=bool) is True
    w.commands.set_tool(Tool.RECT)
    from ocrstudio.ui.testing import drag

    drag(w.canvas, [(40.0, 40.0), (200.0, 90.0)])
    (rid,) = w.editor.records
    wait_until(lambda: an.regions_of_image(w.project, w.editor.image.id)[0].score is not None, 60)
    wait_until(lambda: w.editor.records[rid].score is not None, 10)
    assert w.editor.records[rid].provenance == "manual"
    w.actions_["read_drawn"].trigger()  # off
    assert w.settings.value("read_drawn", type=bool) is False
    wait_until(lambda: not w.jobs_bar.rows, 30)
    drag(w.canvas, [(40.0, 140.0), (200.0, 190.0)])
    assert not w.jobs_bar.rows


def test_rescan_adds_new_photos_and_reports_missing(window: MainWindow, tmp_path: Path) -> None:
    """Defect 9: photos put in the folder later join on "Rescan"; missing ones are named."""
    from PIL import Image

    w = window
    img, _ = render_demo_image(99)
    Image.fromarray(img).save(tmp_path / "photos" / "img_100.png")
    gone = w.editor.images.records[-1].file
    gone.unlink()
    w.actions_["rescan"].trigger()
    wait_until(lambda: w.editor.images.rowCount() == 6, 30)
    wait_until(lambda: "missing" in w.jobs.last_message, 10)
    assert "1 new image(s)" in w.jobs.last_message and gone.name in w.jobs.last_message


def test_new_project_on_a_known_folder_rescans(make_window: MakeWindow, tmp_path: Path) -> None:
    """Defect 9: "New project" on a folder that has one opens it with the new photos."""
    from PIL import Image

    write_demo_images(tmp_path / "photos", count=2, verified=0)
    w = make_window()
    w.create_project(tmp_path / "photos")
    wait_until(lambda: w.project is not None and not w.jobs_bar.rows, 60)
    w.close_project()
    img, _ = render_demo_image(7)
    Image.fromarray(img).save(tmp_path / "photos" / "later.png")
    w.create_project(tmp_path / "photos")
    wait_until(lambda: w.editor.images.rowCount() == 3, 30)


def test_quick_ocr_reads_a_photo_and_copies_its_text(
    window: MainWindow, tmp_path: Path, tiny_ocr_models: tuple[Path, Path]
) -> None:
    """Quick OCR: a photo read without touching the project, text copied, then added."""
    from PIL import Image

    w = window
    img, _ = render_demo_image(3)
    photo = tmp_path / "elsewhere.png"
    Image.fromarray(img).save(photo)
    dialog = QuickOcrDialog(w, img, photo.name, photo, models=tiny_ocr_models)
    dialog.show()
    dialog.start()
    wait_until(lambda: dialog.page is not None, 60)
    assert len(dialog.canvas.items_by_id) == len(dialog.page.regions) >= 1
    dialog.copy_all.click()
    assert QGuiApplication.clipboard().text() == page_text(dialog.page)
    click(dialog.canvas, *_centre(dialog))
    assert dialog.lines.currentRow() == 0
    assert w.editor.images.rowCount() == 5
    dialog.add.click()
    assert w.editor.images.rowCount() == 6


def _centre(dialog: QuickOcrDialog) -> tuple[float, float]:
    x0, y0, x1, y1 = dialog.page.regions[0].polygon.bounds
    p = QPointF((x0 + x1) / 2, (y0 + y1) / 2)
    return p.x(), p.y()


def test_image_list_context_menu(window: MainWindow, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Feature: the image list's menu changes the split, pre-labels again, opens the
    folder and removes images from the project (the file stays)."""
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QMessageBox

    from ocrstudio.ui.image_menu import image_menu

    w = window
    first, second = (r.id for r in w.editor.images.records[:2])
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)

    def act(ids: list[int], text: str, sub: str = "") -> None:
        menu = image_menu(w, ids)
        action = next(a for a in menu.actions() if a.text().startswith(text))
        if sub:
            action = next(a for a in action.menu().actions() if a.text() == sub)
        action.trigger()

    act([first, second], "Split of 2 images", "test")
    assert {r.split.value for r in an.list_images(w.project)[:2]} == {"test"}
    act([first], "Open the file's folder")
    assert opened == [str(w.editor.images.records[0].file.parent)]
    act([second], "Pre-label this image again")
    wait_until(lambda: an.get_image(w.project, second).status == an.ImageStatus.PRELABELED, 60)
    file = an.get_image(w.project, first).file
    act([first], "Remove this image")
    assert an.get_image(w.project, first) is None and file.is_file()
    assert w.editor.images.rowCount() == 4 and w.editor.image.id != first


def test_drop_adds_photos_and_paste_reads_an_image(
    window: MainWindow, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Quick OCR: photos or a folder dropped on the window join the project; an image
    pasted with Ctrl+V (no regions copied) opens quick OCR on it."""
    from PIL import Image
    from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
    from PySide6.QtGui import QDropEvent, QImage

    w = window
    img, _ = render_demo_image(5)
    (tmp_path / "more").mkdir()
    Image.fromarray(img).save(tmp_path / "more" / "dropped.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "more"))])
    drop = QDropEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    w.dropEvent(drop)  # what Qt calls when the drop lands (a real drag needs a display)
    assert "1 image(s) added" in w.jobs.last_message, (w.jobs.last_message, w.jobs.last_error)
    assert w.editor.images.rowCount() == 6
    opened: list[QuickOcrDialog] = []
    monkeypatch.setattr(QuickOcrDialog, "start", lambda self: opened.append(self))
    QGuiApplication.clipboard().setImage(QImage(str(tmp_path / "more" / "dropped.png")))
    w.canvas.setFocus()
    w.actions_["paste"].trigger()
    assert len(opened) == 1 and opened[0].pixels.shape == img.shape
    assert (opened[0].pixels == img).all()
