"""Issue 27, review: one rule for "unsure" (red flag, Score column, queue) with its
threshold from the recognizer's card; the queue walked by Enter at a stable position; the
region table's columns and scroll."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.engine.card import ModelCard, card_from_json
from ocrstudio.services import annotation as an
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.project import create_project
from ocrstudio.services.unsure import UnsureRule, card_threshold
from ocrstudio.ui.canvas.items import RegionState
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.models import RegionTableModel
from ocrstudio.ui.testing import wait_until
from tests.support.ui import MakeWindow

pytestmark = pytest.mark.gui


def _box(k: int) -> Polygon:
    return Polygon.from_box(10, 10 + 30 * k, 160, 36 + 30 * k)


def _project(tmp_path: Path, pages: list[list[tuple[str, float, float]]]) -> Path:
    write_demo_images(tmp_path / "photos", count=len(pages), verified=0)
    with create_project(tmp_path / "proj", tmp_path / "photos") as handle, handle.write() as s:
        for image, page in zip(an.list_images(handle), pages, strict=True):
            store.write_model_regions(
                s,
                image.id,
                [
                    Region(_box(k), text, score=score, det_score=det)
                    for k, (text, score, det) in enumerate(page)
                ],
                "rec_default",
            )
    return tmp_path / "proj"


def _row(w: MainWindow, text: str) -> int:
    return next(i for i, r in enumerate(w.editor.region_model.records) if r.text == text)


def test_one_rule_for_red_score_and_queue(make_window: MakeWindow, tmp_path: Path) -> None:
    """Item 10: the Score column shows the number the flag judged, red exactly when the
    canvas draws it unsure, with the rule in its tooltip; a long number read with no point
    ("100" for "1.00") is unsure at 1.00; the queue holds exactly the red ones."""
    folder = _project(
        tmp_path,
        [[("TOTAL", 0.95, 0.83), ("Coffee", 0.84, 0.99), ("100", 1.0, 0.95), ("4.99", 0.99, 0.9)]],
    )
    w = make_window(folder)
    model = w.editor.region_model

    def shown(text: str) -> tuple[str, bool, str]:
        idx = model.index(_row(w, text), RegionTableModel.SCORE)
        red = idx.data(Qt.ItemDataRole.ForegroundRole) is not None
        return idx.data(), red, idx.data(Qt.ItemDataRole.ToolTipRole)

    assert shown("TOTAL")[:2] == ("0.95", False)  # the reading's score, not min(0.95, 0.83)
    assert shown("Coffee")[:2] == ("0.84", True) and "< 0.90" in shown("Coffee")[2]
    assert shown("100")[:2] == ("1.00", True) and "number" in shown("100")[2]
    assert shown("4.99")[:2] == ("0.99", False)
    states = {it.region.text: it.state for it in w.canvas.items_by_id.values()}
    assert {t for t, s in states.items() if s is RegionState.LOW} == {"Coffee", "100"}
    queue = an.review_queue(w.project, w.editor.rule)
    assert [w.editor.records[q.region_id].text for q in queue] == ["Coffee", "100"]


def test_the_threshold_comes_from_the_recognizers_card(
    make_window: MakeWindow, tmp_path: Path
) -> None:
    """Item 9: the rule's threshold is the active recognizer card's
    `low_confidence_threshold` (rec_default keeps it with its validation)."""
    folder = _project(tmp_path, [[("a", 0.5, 0.9)]])
    w = make_window(folder)
    assert w.editor.rule.below == 0.9 and "rec_default" in w.editor.rule.source
    assert (
        card_threshold(
            card_from_json(
                {"architecture": "crnn_small", "validation": {"low_confidence_threshold": 0.7}}
            )
        )
        == 0.7
    )
    assert card_threshold(ModelCard("crnn_small", name="x")) is None
    assert UnsureRule(below=0.7).judge("word", 0.8, 0.9).unsure is False


def test_enter_walks_the_queue_at_a_stable_position(
    make_window: MakeWindow, tmp_path: Path
) -> None:
    """Item 9: the queue holds only the unsure readings, least sure first; Enter confirms
    and moves along the queue (not the reading order), and "k/N" counts on."""
    folder = _project(
        tmp_path,
        [
            [("b", 0.5, 0.9), ("sure", 0.99, 0.5), ("d", 0.7, 0.9)],
            [("a", 0.2, 0.9), ("c", 0.6, 0.9)],
        ],
    )
    w = make_window(folder)
    field = w.region_panel.text
    messages: list[str] = []
    w.editor.message.connect(messages.append)
    w.actions_["review_next"].trigger()
    seen = [field.text()]
    for _ in range(3):
        QTest.keyClick(field, Qt.Key.Key_Return)
        seen.append(field.text())
    assert seen == ["a", "b", "c", "d"]
    assert [m.split(":")[0] for m in messages] == [f"Review {k}/4" for k in range(1, 5)]
    verified = {
        r.text
        for img in an.list_images(w.project)
        for r in an.regions_of_image(w.project, img.id)
        if r.verified
    }
    assert verified == {"a", "b", "c"}


def test_region_table_keeps_its_text_column(make_window: MakeWindow, tmp_path: Path) -> None:
    """Item 12: in a narrow panel the Text column keeps half the table, all columns shown
    fit (no sideways scrolling), also after a restart; a new image's table starts at the
    top; in a small window too."""
    long_page = [(f"LIGHTROOM GALLERY {k}", 0.97, 0.9) for k in range(60)]
    folder = _project(tmp_path, [long_page, long_page])
    w = make_window(folder)
    table = w.region_panel.table

    def fits() -> bool:
        QApplication.processEvents()
        header, width = table.horizontalHeader(), table.viewport().width()
        text = header.sectionSize(RegionTableModel.TEXT)
        return text >= 0.5 * width and header.length() <= width + 1

    w.resizeDocks([w.docks["regions"]], [200], Qt.Orientation.Horizontal)
    wait_until(fits, 5)
    w.close()
    again = make_window(folder)
    again.restore_session()
    table = again.region_panel.table
    wait_until(fits, 5)
    table.verticalScrollBar().setValue(table.verticalScrollBar().maximum())
    assert table.verticalScrollBar().value() > 0
    QTest.keyClick(again.canvas, Qt.Key.Key_D)  # next image
    assert table.verticalScrollBar().value() == 0
    again.resize(800, 600)  # the side panels shrink to their least: the text keeps room
    again.canvas.select(again.editor.ordered_ids()[:1])
    wait_until(fits, 5)
    assert again.canvas.width() >= 0.45 * again.width()
