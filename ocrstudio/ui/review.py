"""Review tools: the queue of least confident model regions, and find-and-replace over
the project's transcriptions with its character statistics beside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ocrstudio.services import annotation as an
from ocrstudio.ui.commands import ReplaceText

if TYPE_CHECKING:
    from ocrstudio.ui.controllers import Jobs
    from ocrstudio.ui.editor import Editor


def review_next(editor: Editor, focus_text: Callable[[], None],
                notify: Callable[[str], None]) -> int | None:
    """Go to the next region of the queue after the one selected (lowest score first)."""
    ed = editor
    if ed.project is None:
        return None
    queue = an.review_queue(ed.project)
    if not queue:
        notify("Review queue is empty: no unchecked model regions.")
        return None
    sel = ed.canvas.selected_ids()
    ids = [e.region_id for e in queue]
    k = ids.index(sel[0]) + 1 if sel and sel[0] in ids else 0
    entry = queue[k % len(queue)]
    ed.open_image(entry.image_id)
    ed.canvas.select([entry.region_id], center=True)
    focus_text()
    notify(f"Review {k % len(queue) + 1}/{len(queue)}: score {entry.score:.2f}")
    return entry.region_id


class FindDialog(QDialog):
    def __init__(self, editor: Editor, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor, self.jobs = editor, jobs
        self.setWindowTitle("Find and replace")
        self.find = QLineEdit(placeholderText="Text to find in transcriptions")
        self.replace = QLineEdit(placeholderText="Replacement")
        self.case = QCheckBox("Match case")
        self.find.returnPressed.connect(self.search)
        self.case.toggled.connect(lambda _c: self.search())
        form = QFormLayout()
        form.addRow("Find", self.find)
        form.addRow("Replace", self.replace)
        form.addRow("", self.case)
        buttons = QHBoxLayout()
        for text, slot in (("Find", self.search), ("Replace all", self.replace_all)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        self.results = _table(["Image", "Text"])
        self.results.cellDoubleClicked.connect(self._go)
        self.summary = QLabel()
        self.stats = _table(["Char", "Count"])
        left = QVBoxLayout()
        left.addLayout(form)
        left.addLayout(buttons)
        left.addWidget(self.summary)
        left.addWidget(self.results, 1)
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Characters in the project</b>"))
        right.addWidget(self.stats, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 1)
        self.resize(760, 520)
        self.found: list[an.RegionRecord] = []
        self.refresh_stats()

    def _project(self):  # type: ignore[no-untyped-def]
        return self.editor.project

    def search(self) -> None:
        needle = self.find.text()
        self.found = an.search(self._project(), needle, self.case.isChecked()) if needle else []
        names = {r.id: r.file.name for r in self.editor.images.records}
        self.results.setRowCount(len(self.found))
        for row, rec in enumerate(self.found):
            self.results.setItem(row, 0, QTableWidgetItem(names.get(rec.image_id, "?")))
            self.results.setItem(row, 1, QTableWidgetItem(rec.text))
        self.summary.setText(f"{len(self.found)} region(s)" if needle else "")

    def replace_all(self) -> None:
        self.search()
        if not self.found:
            return
        ed = self.editor
        ed.undo_stack.push(ReplaceText(ed, [r.id for r in self.found], self.find.text(),
                                       self.replace.text(), self.case.isChecked(),
                                       self._changed))

    def _changed(self) -> None:
        self.jobs.reload_all()
        self.refresh_stats()

    def refresh_stats(self) -> None:
        stats = an.char_stats(self._project())
        self.stats.setRowCount(len(stats))
        for row, (ch, n) in enumerate(stats):
            shown = {" ": "space", "\t": "tab"}.get(ch, repr(ch) if ch.isspace() else ch)
            self.stats.setItem(row, 0, QTableWidgetItem(shown))
            item = QTableWidgetItem()
            item.setData(Qt.ItemDataRole.DisplayRole, n)
            self.stats.setItem(row, 1, item)

    def _go(self, row: int, _col: int) -> None:
        rec = self.found[row]
        ed = self.editor
        ed.open_image(rec.image_id)
        ed.canvas.select([rec.id], center=True)


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().hide()
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t



