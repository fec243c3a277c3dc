"""The start page's demo project, import and export through their dialogs, and
`ocrstudio gui PROJECT --screenshot` rendering the first image with its regions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QPushButton

from ocrstudio.services import annotation as an
from ocrstudio.ui.dialogs.transfer import ExportDialog, ImportDialog
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.testing import wait_until
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def demo_window(make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    w = make_window(settings={"demo_folder": str(tmp_path / "demo")})
    button = next(b for b in w.start_page.findChildren(QPushButton) if "demo" in b.text())
    button.click()  # one click: made in the background, then opened
    wait_until(lambda: w.project is not None and w.editor.image is not None, 60)
    return w


def test_demo_project_from_the_start_page(demo_window: MainWindow) -> None:
    w = demo_window
    assert w.editor.images.rowCount() == 6
    statuses = [r.status for r in w.editor.images.records]
    assert statuses.count(an.ImageStatus.VERIFIED) == 3
    assert statuses.count(an.ImageStatus.NEW) == 3
    assert len(w.editor.records) >= 3 and all(r.verified for r in w.editor.records.values())
    assert w.stack.currentWidget() is w.canvas


def test_export_then_import_dialogs_report_what_happened(
    demo_window: MainWindow, tmp_path: Path
) -> None:
    w = demo_window
    out = tmp_path / "exported"
    export = ExportDialog(w.jobs, w)
    export.format.setCurrentText("icdar2015")
    export.out.setText(str(out))
    export.verified.setChecked(True)
    export.buttons.accepted.emit()
    wait_until(lambda: export.worker is not None and export.worker.done, 60)
    assert sorted(p.name for p in out.iterdir()) == [
        "gt_demo_01.txt",
        "gt_demo_02.txt",
        "gt_demo_03.txt",
    ]
    assert w.jobs.last_message.startswith("3 image(s)")
    imp = ImportDialog(w.jobs, w)
    imp.format.setCurrentText("icdar2015")
    imp.images.setText(str(w.project.folder / "images"))
    imp.labels.setText(str(out))
    imp.prelabels.setChecked(True)  # pre-labels never replace what a person verified
    imp.buttons.accepted.emit()
    wait_until(lambda: imp.worker is not None and imp.worker.done, 60)
    assert "0 new image(s) added" in w.jobs.last_message
    assert "3 image(s) skipped" in w.jobs.last_message


def test_gui_screenshot_cli(demo_window: MainWindow, tmp_path: Path) -> None:
    folder = demo_window.project.folder
    demo_window.close()
    shot = tmp_path / "shot.png"
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "QT_QPA_PLATFORM": "offscreen",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ocrstudio",
            "gui",
            str(folder),
            "--screenshot",
            str(shot),
            "--size",
            "1000x700",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape == (700, 1000, 3)
    # the verified regions' outlines (#2ecc71) and the selected one's (#00e5ff) are drawn
    green = np.abs(img - (0x2E, 0xCC, 0x71)).sum(axis=2) < 40
    cyan = np.abs(img - (0x00, 0xE5, 0xFF)).sum(axis=2) < 40
    assert green.sum() > 200 and cyan.sum() > 50


def test_export_dialog_defaults_remembers_and_writes_paddle_crops(
    demo_window: MainWindow, tmp_path: Path
) -> None:
    """Defect 8: "verified only" by default, folder and options remembered, and the
    PaddleOCR export writes rec_gt.txt and the word crops beside Label.txt."""
    w = demo_window
    export = ExportDialog(w.jobs, w)
    assert export.verified.isChecked()
    out = tmp_path / "paddle"
    export.format.setCurrentText("paddleocr")
    export.out.setText(str(out))
    export.buttons.accepted.emit()
    wait_until(lambda: export.worker is not None and export.worker.done, 60)
    names = {p.name for p in out.iterdir()}
    assert {"Label.txt", "rec_gt.txt", "crop_img"} <= names
    crops = sorted((out / "crop_img").iterdir())
    assert all("_crop_" in c.name for c in crops)
    assert crops and len((out / "rec_gt.txt").read_text().splitlines()) == len(crops)
    again = ExportDialog(w.jobs, w)  # where it went, but not over the last export (27.13)
    assert Path(again.out.text()).parent == out.parent and again.out.text() != str(out)
    assert again.format.currentText() == "paddleocr"
    assert again.verified.isChecked()


def test_icdar_export_writes_whole_pixels_and_says_so(
    demo_window: MainWindow, tmp_path: Path
) -> None:
    """Defect 8: ICDAR 2015 coordinates are integers, as the format and its tools read
    them (a dragged vertex lands on a fraction, e.g. 863.73486328125); the summary says
    how many regions were rounded."""
    from dataclasses import replace

    from ocrstudio.core.types import Polygon

    w = demo_window
    h = w.project
    first = next(r for r in an.list_images(h) if r.status == "verified")
    region = an.regions_of_image(h, first.id)[0]
    frac = Polygon(tuple((x + 0.73486328125, y + 0.25) for x, y in region.polygon.points))
    an.edit_regions(h, [(region.id, replace(region.to_region(), polygon=frac))])
    export = ExportDialog(w.jobs, w)
    out = tmp_path / "icdar"
    export.format.setCurrentText("icdar2015")
    export.out.setText(str(out))
    export.buttons.accepted.emit()
    wait_until(lambda: export.worker is not None and export.worker.done, 60)
    lines = [
        line
        for f in sorted(out.glob("gt_*.txt"))
        for line in f.read_text(encoding="utf-8").splitlines()
    ]
    assert lines
    for line in lines:
        coords = line.split(",")[:8]
        assert all(c.lstrip("-").isdigit() for c in coords), line
    verified = [
        r for i in an.list_images(h) if i.status == "verified" for r in an.regions_of_image(h, i.id)
    ]
    moved = sum(
        any(not float(v).is_integer() for pt in r.polygon.points for v in pt) for r in verified
    )
    assert moved >= 1
    assert f"{moved} regions with coordinates rounded to whole pixels" in w.jobs.last_message
