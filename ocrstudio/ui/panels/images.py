"""The image list: thumbnails, status, region count and split, filtered and sorted."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ocrstudio.services.annotation import ImageStatus
from ocrstudio.ui.models import ID_ROLE, ImageFilterProxy, ImageTableModel
from ocrstudio.ui.thumbnails import THUMB


class ImageListPanel(QWidget):
    image_chosen = Signal(int)
    context_requested = Signal(object, object)  # image ids (selected rows), global QPoint

    def __init__(self, model: ImageTableModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.proxy = ImageFilterProxy(self)
        self.proxy.setSourceModel(model)
        self.filter = QLineEdit(placeholderText="Filter by name")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.status = QComboBox()
        self.status.addItem("All statuses", None)
        for st, label in (
            (ImageStatus.NEW, "New"),
            (ImageStatus.PRELABELED, "Pre-labeled"),
            (ImageStatus.VERIFIED, "Verified"),
        ):
            self.status.addItem(label, st)
        self.status.currentIndexChanged.connect(
            lambda _i: self.proxy.set_status(self.status.currentData())
        )
        self.split = QComboBox()
        self.split.addItem("All splits", None)
        for s in ("train", "val", "test"):
            self.split.addItem(s, s)
        self.split.currentIndexChanged.connect(
            lambda _i: self.proxy.set_split(self.split.currentData())
        )
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # by name, img_2 before img_10
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Tab leaves the list (for the canvas's regions) instead of walking its cells
        self.view.setTabKeyNavigation(False)
        self.view.setIconSize(QSize(THUMB, THUMB))
        rows = self.view.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row size hints
        rows.setDefaultSectionSize(THUMB + 6)
        rows.hide()
        self.view.setWordWrap(False)
        self._columns()
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        filters = QHBoxLayout()
        filters.addWidget(self.status)
        filters.addWidget(self.split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addLayout(filters)
        layout.addWidget(self.view)

    def _columns(self) -> None:
        header = self.view.horizontalHeader()
        # Sizing columns to their contents would ask every row (10,000 images: seconds);
        # a sample of rows is enough for short labels.
        header.setResizeContentsPrecision(64)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3, self.model.HELD):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.model.leases_changed.connect(self._held_column)
        self._held_column()
        # names keep their ends visible (img_0123.jpg), statuses give way first
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header.setMinimumSectionSize(24)
        header.setStretchLastSection(False)

    def _held_column(self) -> None:
        """Who else holds an image shows only while someone does (team projects)."""
        self.view.setColumnHidden(self.model.HELD, not self.model.leased)

    def selected_ids(self) -> list[int]:
        return [int(i.data(ID_ROLE)) for i in self.view.selectionModel().selectedRows()]

    def _context_menu(self, pos: QPoint) -> None:
        idx = self.view.indexAt(pos)
        ids = self.selected_ids()
        if idx.isValid() and int(idx.data(ID_ROLE)) not in ids:
            ids = [int(idx.data(ID_ROLE))]
        if ids:
            self.context_requested.emit(ids, self.view.viewport().mapToGlobal(pos))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.image_chosen.emit(int(current.data(ID_ROLE)))

    def show_image(self, image_id: int) -> None:
        """Make `image_id` the current row without emitting `image_chosen` again."""
        row = self.model.row_of(image_id)
        if row is None:
            return
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        if not idx.isValid() or idx == self.view.currentIndex():
            return
        sm = self.view.selectionModel()
        self.blockSignals(True)
        sm.blockSignals(True)
        sm.setCurrentIndex(
            idx,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        sm.blockSignals(False)
        self.blockSignals(False)
        self.view.viewport().update()
        self.view.scrollTo(idx)

    def neighbour(self, image_id: int, step: int) -> int | None:
        """The image `step` rows away in the list as shown (filtered and sorted)."""
        row = self.model.row_of(image_id)
        if row is None:
            return None
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        k = (idx.row() if idx.isValid() else -1) + step
        if not 0 <= k < self.proxy.rowCount():
            return None
        return int(self.proxy.index(k, 0).data(ID_ROLE))

    def first_id(self) -> int | None:
        if self.proxy.rowCount() == 0:
            return None
        return int(self.proxy.index(0, 0).data(ID_ROLE))
