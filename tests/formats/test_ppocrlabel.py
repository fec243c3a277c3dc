"""Issue 27.13: the PPOCRLabel export is a folder PPOCRLabel opens as it is: the images
copied beside `Label.txt`, `fileState.txt` naming the checked ones by absolute path, whole
pixel points; read back here as PPOCRLabel reads it (its `scanAllImages`, `loadFilestate`,
`loadLabelFile` and `getImglabelidx`). The export dialog offers it and suggests a new
folder, not the previous export's."""

from __future__ import annotations

import ast
import os
import shutil
from dataclasses import replace
from pathlib import Path

import cv2
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services import transfer
from ocrstudio.services.demo import create_demo_project
from ocrstudio.services.project import ProjectHandle, open_project
from ocrstudio.services.quick_ocr import add_photos

PPOCRLABEL_SUFFIXES = (".jpeg", ".jpg", ".png", ".bmp", ".tif", ".tiff")


def ppocrlabel_open(folder: Path) -> dict[str, tuple[list[dict] | None, bool]]:
    """What PPOCRLabel's "Open Dir" shows: each image it lists (absolute path), with the
    boxes it loads for it and whether it is checked."""
    images = sorted(
        (
            os.path.abspath(os.path.join(root, f))
            for root, _dirs, files in os.walk(folder)
            for f in files
            if f.lower().endswith(PPOCRLABEL_SUFFIXES)
        ),
        key=str.lower,
    )
    checked = set()
    with open(folder / "fileState.txt", encoding="utf-8") as f:
        for each in f.readlines():
            file, _state = each.split("\t")
            checked.add(file)
    labels = {}
    with open(folder / "Label.txt", encoding="utf-8") as f:
        for each in f.readlines():
            file, label = each.split("\t")
            label = label.replace("false", "False").replace("true", "True")
            labels[file] = ast.literal_eval(label)  # PPOCRLabel: eval(label)

    def key(path: str) -> str:  # getImglabelidx
        return "/".join(path.split("/")[-2:])

    return {p: (labels.get(key(p)), p in checked) for p in images}


def _by_name(records: list) -> dict:  # type: ignore[type-arg]
    """Image records by their path under the photos' folder."""
    return {Path(r.path).as_posix().removeprefix("images/"): r for r in records}


@pytest.fixture
def project(tmp_path: Path) -> ProjectHandle:
    """Two verified photos (one vertex on a fraction), one pre-labelled, one new, and a
    photo of the same name in a subfolder."""
    folder = create_demo_project(tmp_path / "demo", count=4, verified=2)
    sub = folder / "images" / "sub"
    sub.mkdir()
    shutil.copy(folder / "images" / "demo_01.jpg", sub / "demo_01.jpg")
    handle = open_project(folder)
    add_photos(handle, [sub / "demo_01.jpg"])
    images = _by_name(an.list_images(handle))
    first = an.regions_of_image(handle, images["demo_01.jpg"].id)[0]
    frac = Polygon(tuple((x + 0.4, y + 0.6) for x, y in first.polygon.points))
    an.edit_regions(handle, [(first.id, replace(first.to_region(), polygon=frac))])
    pre = Region(
        Polygon.from_box(10, 10, 90, 40), "TOTAL", verified=False, provenance="model", score=0.9
    )
    with handle.write() as s:
        store.add_regions(s, [(images["demo_03.jpg"].id, pre)], edited=False)
        store.set_image_status(s, images["demo_03.jpg"].id, store.ImageStatus.PRELABELED)
    yield handle
    handle.close()


def test_ppocrlabel_opens_the_export_as_it_is(project: ProjectHandle, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "receipts"
    report = transfer.export_labels(project, "ppocrlabel", out)
    shown = ppocrlabel_open(out)
    assert len(shown) == 5 and report.images == 5, "every photo, copied beside Label.txt"
    assert all(Path(p).parent == out.resolve() for p in shown)
    assert report.rounded > 0 and "rounded" in " ".join(report.notes())
    by_name = {Path(p).name: v for p, v in shown.items()}
    assert set(by_name) == {
        "demo_01.jpg",
        "sub_demo_01.jpg",
        "demo_02.jpg",
        "demo_03.jpg",
        "demo_04.jpg",
    }
    images = _by_name(an.list_images(project))
    for path, (boxes, checked) in shown.items():
        name = Path(path).name
        source = "sub/demo_01.jpg" if name == "sub_demo_01.jpg" else name
        record = images[source]
        regions = an.regions_of_image(project, record.id)
        assert cv2.imread(path) is not None, f"{name}: PPOCRLabel cannot read it"
        assert checked == (record.status == store.ImageStatus.VERIFIED), name
        assert [b["transcription"] for b in boxes or []] == [r.text for r in regions]
        for box in boxes or []:
            assert all(type(v) is int for pt in box["points"] for v in pt), box
            assert all(0 <= x <= record.width and 0 <= y <= record.height for x, y in box["points"])
            assert box["difficult"] is False
    assert by_name["demo_03.jpg"][0][0]["points"] == [[10, 10], [90, 10], [90, 40], [10, 40]]
    assert not by_name["demo_04.jpg"][1], "a photo never labelled stays to be labelled"
    # and it comes back into a project as it went out
    from ocrstudio.formats import detect_format, read_labels

    assert detect_format(out) == "ppocrlabel"
    pages = {Path(p.image).name: p for p in read_labels("ppocrlabel", out)}
    assert [r.text for r in pages["demo_02.jpg"].regions] == [
        b["transcription"] for b in by_name["demo_02.jpg"][0]
    ]


@pytest.mark.gui
def test_export_dialog_offers_ppocrlabel_in_a_new_folder(
    qtbot,
    project: ProjectHandle,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    from ocrstudio.ui.dialogs.transfer import ExportDialog
    from ocrstudio.ui.main_window import MainWindow
    from ocrstudio.ui.testing import isolated_settings, wait_until

    folder = project.folder
    project.close()
    earlier = tmp_path / "exports" / "demo-icdar2015"
    earlier.mkdir(parents=True)
    (earlier / "gt_demo_01.txt").write_text("1,1,2,1,2,2,1,2,x\n")
    settings = isolated_settings(tmp_path)
    settings.setValue("export/folder", str(earlier))
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder, rescan=False)
    asked: list[ExportDialog] = []

    def answer() -> None:
        d = QApplication.activeModalWidget()
        assert isinstance(d, ExportDialog)
        asked.append(d)
        try:
            offered = [d.format.itemText(i) for i in range(d.format.count())]
            assert "ppocrlabel" in offered
            assert d.out.text() != str(earlier), "pre-filled with the previous export"
            d.format.setCurrentText("ppocrlabel")
            assert Path(d.out.text()) == tmp_path / "exports" / "demo-ppocrlabel"
            d.verified.setChecked(False)
            d.grab().save(str(tmp_path / "export.png"))
            d.buttons.accepted.emit()
        finally:
            if d.isVisible():
                d.reject()

    QTimer.singleShot(50, answer)
    w.actions_["export_labels"].trigger()
    assert asked and asked[0].worker is not None
    wait_until(lambda: asked[0].worker.done, 60)
    out = tmp_path / "exports" / "demo-ppocrlabel"
    assert len(ppocrlabel_open(out)) == 5
    assert (earlier / "gt_demo_01.txt").is_file(), "the earlier export was replaced"
    w.close()
