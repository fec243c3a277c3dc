"""Review tools: the queue of unsure model readings, and find-and-replace over
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
from ocrstudio.services.project import ProjectHandle
from ocrstudio.ui.commands import ReplaceText

if TYPE_CHECKING:
    from ocrstudio.ui.controllers import Jobs
    from ocrstudio.ui.editor import Editor


class ReviewQueue:
    """The regions the one rule finds unsure (services.unsure), least sure first.

    The queue is taken once and walked in that order, so confirming a region does not
    renumber the rest and "k/N" stays put; regions confirmed or corrected since are
    passed over. Walked to its end (or in another project), it is taken again."""

    def __init__(self, editor: Editor, focus_text: Callable[[], None]):
        self.editor, self.focus_text = editor, focus_text
        self.items: list[an.ReviewItem] = []
        self.pos = -1
        self._project: object = None
        self.by = "score"  # or "disagreement": the second opinion's first

    def set_order(self, disagreement_first: bool) -> None:
        """Sort the queue by the second opinion's disagreement, or by score; taken anew."""
        self.by = "disagreement" if disagreement_first else "score"
        self.items, self.pos = [], -1

    def current(self) -> int | None:
        """The region the queue showed last."""
        return self.items[self.pos].region_id if 0 <= self.pos < len(self.items) else None

    def next(self) -> int | None:
        """Show the next unsure region after the one selected (or the last shown)."""
        ed = self.editor
        if ed.project is None:
            return None
        if ed.project is not self._project:
            self.items, self.pos, self._project = [], -1, ed.project
        ids = [it.region_id for it in self.items]
        sel = ed.canvas.selected_ids()
        if sel and sel[0] in ids:
            self.pos = ids.index(sel[0])  # a person picked one of the queue: on from there
        for k in range(self.pos + 1, len(self.items)):
            if self._show(k):
                return self.items[k].region_id
        ed.update_rule()  # second opinions read since count too
        self.items, self.pos = an.review_queue(ed.project, ed.rule, self.by), -1
        for k in range(len(self.items)):
            if self._show(k):
                return self.items[k].region_id
        ed.message.emit(
            f"Review queue is empty: no unsure readings (a reading is unsure "
            f"below {ed.rule.below:.2f}, {ed.rule.source})."
        )
        return None

    def _show(self, k: int) -> bool:
        item, ed = self.items[k], self.editor
        open_now = ed.image is not None and ed.image.id == item.image_id
        rec = (
            ed.records.get(item.region_id)
            if open_now
            else next(
                (
                    r
                    for r in an.regions_of_image(ed.handle, item.image_id)
                    if r.id == item.region_id
                ),
                None,
            )
        )
        judged = ed.rule.judge_record(rec) if rec is not None else None
        if rec is None or judged is None or not judged.unsure:
            return False  # confirmed, corrected or deleted since the queue was taken
        self.pos = k
        ed.open_image(item.image_id)
        ed.canvas.select([item.region_id], center=True)
        self.focus_text()
        author = team_author(ed.project, rec)
        ed.message.emit(
            f"Review {k + 1}/{len(self.items)}: {judged.why}"
            + (f" (by {author})" if author else "")
        )
        return True


def team_author(project: ProjectHandle | None, rec: an.RegionRecord) -> str:
    """Who wrote the region last, where a team shares the project ("" otherwise: one
    person's project has one author)."""
    return rec.author if project is not None and project.is_team else ""


class FindDialog(QDialog):
    def __init__(self, editor: Editor, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor, self.jobs = editor, jobs
        self.setWindowTitle("Find and replace")
        # not `find`: that name is QWidget.find, a static method
        self.needle = QLineEdit(placeholderText="Text to find in transcriptions")
        self.replace = QLineEdit(placeholderText="Replacement")
        self.case = QCheckBox("Match case")
        self.needle.returnPressed.connect(self.search)
        self.case.toggled.connect(lambda _c: self.search())
        form = QFormLayout()
        form.addRow("Find", self.needle)
        form.addRow("Replace", self.replace)
        form.addRow("", self.case)
        buttons = QHBoxLayout()
        for text, slot in (("Find", self.search), ("Replace all", self.replace_all)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        self.results = _table(["Image", "Text", "By"])
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

    def search(self) -> None:
        needle = self.needle.text()
        self.found = an.search(self.editor.handle, needle, self.case.isChecked()) if needle else []
        names = {r.id: r.file.name for r in self.editor.images.records}
        self.results.setRowCount(len(self.found))
        for row, rec in enumerate(self.found):
            self.results.setItem(row, 0, QTableWidgetItem(names.get(rec.image_id, "?")))
            self.results.setItem(row, 1, QTableWidgetItem(rec.text))
            self.results.setItem(row, 2, QTableWidgetItem(team_author(self.editor.handle, rec)))
        self.results.setColumnHidden(2, not self.editor.handle.is_team)
        self.summary.setText(f"{len(self.found)} region(s)" if needle else "")

    def replace_all(self) -> None:
        self.search()
        if not self.found:
            return
        ed = self.editor
        ed.undo_stack.push(
            ReplaceText(
                ed,
                [r.id for r in self.found],
                self.needle.text(),
                self.replace.text(),
                self.case.isChecked(),
                self._changed,
            )
        )

    def _changed(self) -> None:
        self.jobs.reload_all()
        self.refresh_stats()

    def refresh_stats(self) -> None:
        stats = an.char_stats(self.editor.handle)
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
