"""Issue 27.11: lines grouped along the text's own baselines on a skewed receipt, and the
text laid out as on the page, the same in `ocrstudio ocr --format text`, quick OCR's list
and its clipboard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ocrstudio.core.geometry import reading_order
from ocrstudio.core.lines import page_skew, text_lines
from ocrstudio.services.ocr import page_lines
from tests.support.receipt_layout import receipt, words_per_line


@pytest.mark.parametrize("skew", [-5.0, -2.0, 0.0, 3.0, 4.0, 6.0])
def test_a_skewed_receipt_keeps_its_lines(skew: float) -> None:
    page = receipt(skew)
    lines = text_lines([r.polygon for r in page.regions])
    assert [[page.regions[i].text for i in line] for line in lines] == words_per_line()
    assert page_skew([r.polygon for r in page.regions]) == pytest.approx(np.radians(skew), abs=1e-6)
    order = reading_order([r.polygon for r in page.regions])
    assert [page.regions[i].text for i in order] == [w for ws in words_per_line() for w in ws]


def _columns(lines: list[str], words: tuple[str, ...]) -> set[int]:
    return {line.index(w) for line, w in zip(lines, words, strict=True)}


def test_text_keeps_the_layout_of_the_page() -> None:
    lines = page_lines(receipt(4.0))
    assert [line.split() for line in lines] == words_per_line()
    assert "No: 28, JALAN KEMAJUAN" in lines[1], "one space between words of a phrase"
    assert len(_columns(lines[2:5], ("QTY", "1", "2"))) == 1, lines
    assert len(_columns(lines[2:6], ("AMOUNT", "1.00", "327.00", "328.00"))) == 1, lines
    assert lines[0].startswith("   ") and not lines[1].startswith(" "), "the header's indent"


def test_ocr_verb_prints_the_same_lines(monkeypatch, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ocrstudio.cli import main
    from ocrstudio.services import ocr

    monkeypatch.setattr(ocr, "run_ocr", lambda *a, **k: iter([receipt(4.0)]))
    assert main(["ocr", str(tmp_path / "receipt.jpg"), "--format", "text"]) == 0
    assert capsys.readouterr().out.splitlines() == page_lines(receipt(4.0))


@pytest.mark.gui
def test_quick_ocr_list_and_clipboard_agree_line_by_line(
    qtbot,
    monkeypatch,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    from PySide6.QtGui import QGuiApplication

    from ocrstudio.services import quick_ocr as qo
    from ocrstudio.ui.main_window import MainWindow
    from ocrstudio.ui.quick_ocr import QuickOcrDialog
    from ocrstudio.ui.testing import click, isolated_settings, wait_until

    class Reader:  # the shipped models' place: this page is what they read
        def predict(self, pixels: np.ndarray, name: str):  # type: ignore[no-untyped-def]
            page = receipt(4.0)
            order = reading_order([r.polygon for r in page.regions])
            return page.__class__(name, tuple(page.regions[i] for i in order), 480, 260)

    monkeypatch.setattr(qo, "load_models", lambda *a, **k: Reader())
    w = MainWindow(isolated_settings(tmp_path))
    qtbot.addWidget(w)
    w.show()
    pixels = np.full((260, 480, 3), 255, np.uint8)
    d = QuickOcrDialog.open_for(w, pixels=pixels)
    assert d is not None
    wait_until(lambda: d.page is not None and d.copy_all.isEnabled(), 30)
    shown = [d.lines.item(k).text() for k in range(d.lines.count())]
    d.copy_all.click()
    copied = QGuiApplication.clipboard().text().splitlines()
    assert shown == copied == page_lines(receipt(4.0))
    assert [s.split() for s in shown] == words_per_line(), "a word per row, or interleaved"
    d.lines.setCurrentRow(3)  # "Pen 1 1.00": its three regions light up on the photo
    assert sorted(d.page.regions[i].text for i in d.canvas.selected_ids()) == ["1", "1.00", "Pen"]
    notebook = next(i for i, r in enumerate(d.page.regions) if r.text == "327.00")
    x, y = np.asarray(d.page.regions[notebook].polygon.points).mean(axis=0)
    click(d.canvas, x, y)
    assert d.lines.currentRow() == 4
    d.grab().save(str(tmp_path / "quick_ocr.png"))
    d.close()
