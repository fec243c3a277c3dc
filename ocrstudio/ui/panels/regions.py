"""The region panel: the rectified crop of the selected region (exactly what an export
writes, from `core.geometry.crop_polygon`), its text field, and the table of all regions
in reading order.

Keys in the text field: Enter confirms (text saved, region verified) and moves on, Tab /
Shift+Tab move to the next / previous region keeping what was typed, Esc drops what was
typed and goes back to the canvas (where single-key shortcuts work again).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QFont, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ocrstudio.core.geometry import crop_polygon
from ocrstudio.ui.editor import Editor, to_qimage
from ocrstudio.ui.models import RegionTableModel
from ocrstudio.ui.review import ReviewQueue

CROP_HEIGHT = 72
SOURCE_WIDTH = 84
TEXT_SHARE = 0.5  # of the table's width the Text column keeps at least, when it can
GIVE_WAY = (
    RegionTableModel.SOURCE,
    RegionTableModel.IGNORE,
    RegionTableModel.AUTHOR,
    RegionTableModel.VERIFIED,
    RegionTableModel.SCORE,
)


class RegionTextEdit(QLineEdit):
    """The transcription field. Tab is taken for region navigation, not focus."""

    step_requested = Signal(int)  # +1 Tab, -1 Shift+Tab
    confirmed = Signal()
    escaped = Signal()
    focus_left = Signal()  # the focus went elsewhere (not to a popup of the field's own)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self.focus_left.emit()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Tab:
                self.step_requested.emit(+1)
                return True
            if event.key() == Qt.Key.Key_Backtab:
                self.step_requested.emit(-1)
                return True
            if (
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & Qt.KeyboardModifier.ControlModifier
            ):
                self.confirmed.emit()
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.escaped.emit()
                return True
        return super().event(event)


class RegionPanel(QWidget):
    def __init__(self, editor: Editor, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.model: RegionTableModel = editor.region_model
        self.current: int | None = None
        self.crop = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.crop.setMinimumHeight(CROP_HEIGHT)
        self.crop.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.crop.setStyleSheet("background: #1e1e1e; color: #888;")
        self.crop.setToolTip("The region straightened, exactly as an export writes it")
        self.text = RegionTextEdit(placeholderText="Select a region, type its text")
        font = QFont(self.text.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.text.setFont(font)
        self.text.setEnabled(False)
        self.text.step_requested.connect(self.step)
        self.text.confirmed.connect(self.confirm)
        self.text.escaped.connect(self.back_to_canvas)
        self.text.focus_left.connect(self.commit_text)
        self.review = ReviewQueue(editor, self.focus_text)
        editor.pending_edit = self.commit_text
        self.info = QLabel()
        self.info.setStyleSheet("color: #888;")
        self.info.setWordWrap(True)  # the rule's reason in full, never widening the panel
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.verticalHeader().hide()
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setResizeContentsPrecision(64)  # thousands of regions: sample, do not scan
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RegionTableModel.TEXT, QHeaderView.ResizeMode.Stretch)
        # the Source names (det_default+rec_default) would take the panel from the text:
        # a narrow column, elided, the full story in its tooltip
        header.setSectionResizeMode(RegionTableModel.SOURCE, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(RegionTableModel.SOURCE, SOURCE_WIDTH)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setWordWrap(False)  # one line per region, rows of one height
        self.table.selectionModel().selectionChanged.connect(self._table_selected)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.crop)
        layout.addWidget(self.text)
        layout.addWidget(self.info)
        layout.addWidget(self.table, 1)
        editor.selection_changed.connect(self.show_selection)
        editor.regions_changed.connect(
            lambda _id: self.show_selection(editor.canvas.selected_ids())
        )
        editor.canvas.region_activated.connect(self.focus_text)
        editor.canvas.typing_started.connect(self.start_typing)
        editor.image_opened.connect(lambda _id: self.table.scrollToTop())
        self._widths: dict[int, int] = {}  # each column's width when last shown
        self.table.viewport().installEventFilter(self)

    # ---- the table's columns -------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)

    def fit_columns(self) -> None:
        """The Text column keeps at least TEXT_SHARE of a narrow table: the other columns
        give way in GIVE_WAY order (their facts are in the line above the table and in the
        colours). A column's width is remembered while it shows, so this costs no
        measuring (it runs on every resize of the table)."""
        width = self.table.viewport().width()
        header = self.table.horizontalHeader()
        for c in range(self.model.columnCount()):
            if not self.table.isColumnHidden(c) and header.sectionSize(c) > 0:
                self._widths[c] = header.sectionSize(c)
        others = sum(
            self._widths.get(c, header.sectionSizeHint(c))
            for c in range(self.model.columnCount())
            if c != RegionTableModel.TEXT and c not in GIVE_WAY
        )
        room = width - TEXT_SHARE * width - others
        for col in reversed(GIVE_WAY):  # the last to give way is the first to come back
            need = self._widths.get(col, header.sectionSizeHint(col))
            show = need <= room
            room -= need if show else 0
            if self.table.isColumnHidden(col) == show:
                self.table.setColumnHidden(col, not show)

    # ---- canvas -> panel -----------------------------------------------------------
    def show_selection(self, ids: list[int]) -> None:
        rid = ids[0] if len(ids) == 1 else None
        if rid != self.current:
            self.commit_text()  # leaving a region stores what was typed for it
        rec = self.editor.records.get(rid) if rid is not None else None
        if rec is None:
            self.current = None
            self.text.setEnabled(False)
            self.text.clear()
            self.crop.setPixmap(QPixmap())
            self.crop.setText(f"{len(ids)} regions selected" if ids else "")
            self.info.clear()
        else:
            # the field shows what is stored (a reading that just landed too) unless the
            # person is typing in it
            if rid != self.current or not self.text.isModified():
                self.text.setText("###" if rec.ignore else rec.text)
                if self.text.hasFocus():
                    self.text.selectAll()  # typing replaces it, as after Enter or Tab
            self.current = rid
            self.text.setEnabled(True)
            self._show_crop(rec.polygon.as_array())
            judged = self.editor.rule.judge_record(rec)
            parts = [
                rec.provenance,
                "edited" if rec.edited else "",
                judged.why if judged.score is not None else "",
                "verified" if rec.verified else "not verified",
            ]
            self.info.setText(" · ".join(p for p in parts if p))
        self._select_rows(ids)

    def _show_crop(self, points: np.ndarray) -> None:
        pixels = self.editor.pixels
        if pixels is None:
            return
        crop = crop_polygon(pixels, points)
        pix = QPixmap.fromImage(to_qimage(crop))
        width = max(1, self.crop.width() - 8)
        self.crop.setPixmap(
            pix.scaled(
                width,
                CROP_HEIGHT - 8,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def _select_rows(self, ids: list[int]) -> None:
        sm = self.table.selectionModel()
        sm.blockSignals(True)
        sm.clearSelection()
        for rid in ids:
            row = self.model.row_of(rid)
            if row is not None:
                sm.select(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.Select
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
        sm.blockSignals(False)
        self.table.viewport().update()
        if len(ids) == 1 and (row := self.model.row_of(ids[0])) is not None:
            self.table.scrollTo(self.model.index(row, 0))

    # ---- panel -> canvas -----------------------------------------------------------
    def _table_selected(self, *_: object) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        self.editor.canvas.select([self.model.id_at(r) for r in rows], center=True)

    def focus_text(self, rid: int | None = None) -> None:
        if rid is not None:
            self.editor.canvas.select([rid], center=True)
        if self.text.isEnabled():
            self.text.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.text.selectAll()

    def start_typing(self, text: str) -> None:
        """A character typed on the canvas with one region selected: it replaces the
        region's text in the field, and typing goes on there."""
        if self.text.isEnabled():
            self.focus_text()
            self.text.insert(text)
            self.text.setModified(True)

    def back_to_canvas(self) -> None:
        """Esc in the text field: forget what was typed, hand the keys back to the canvas."""
        rec = self.editor.records.get(self.current) if self.current is not None else None
        if rec is not None:
            self.text.setText("###" if rec.ignore else rec.text)
        self.editor.canvas.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def commit_text(self) -> None:
        """Store what was typed for the current region (nothing when nothing was typed);
        the selection stays as it is (the person may be moving to another region)."""
        if self.text.isModified() and self.current in self.editor.records:
            self.text.setModified(False)  # before the store: its reload calls back here
            self.editor.edit_field(self.current, "text", self.text.text(), keep_selection=True)

    def step(self, step: int) -> None:
        had_focus = self.text.hasFocus()
        self.commit_text()
        self.editor.step_region(step)
        if had_focus:
            self.focus_text()

    def confirm(self) -> None:
        """Enter: the text is right; then the next region of the review queue when the
        queue brought this one, else the next in reading order."""
        rid = self.current
        if rid is not None:
            self.text.setModified(False)
            self.editor.confirm(rid, self.text.text())
            if self.review.current() != rid or self.review.next() is None:
                self.editor.step_region(+1)
            self.focus_text()

    def current_index(self) -> QModelIndex:
        return self.table.currentIndex()
