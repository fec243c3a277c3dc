"""Item models for the image list and the region panel.

Both hold frozen records from the services and never write: an edit made in a view comes
out as a signal, the window turns it into an undoable command, and the command hands the
stored result back with `set_record`. So what a view shows is always what is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from ocrstudio.services.annotation import ImageRecord, ImageStatus, RegionRecord
from ocrstudio.services.unsure import UnsureRule
from ocrstudio.ui.canvas.items import PALETTE, RegionState, region_state
from ocrstudio.ui.thumbnails import ThumbnailCache

if TYPE_CHECKING:
    from ocrstudio.services.team import LeaseRecord

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3  # "new", "pre-labeled", "verified"
STATUS_LABEL = {
    ImageStatus.NEW: "new",
    ImageStatus.PRELABELED: "pre-labeled",
    ImageStatus.VERIFIED: "verified",
}
STATUS_COLOR = {
    ImageStatus.NEW: "#9e9e9e",
    ImageStatus.PRELABELED: "#f1c40f",
    ImageStatus.VERIFIED: "#2ecc71",
}


def natural_key(name: str) -> str:
    """A sort key that puts img_2 before img_10: each run of digits padded to 12 places
    (a string, since QSortFilterProxyModel compares QVariants, not Python tuples)."""
    return re.sub(r"\d+", lambda m: m.group().rjust(12, "0"), name.lower())


class _RecordTable(QAbstractTableModel):
    """A flat table of records with fixed column titles: the parts both tables share."""

    COLUMNS: tuple[str, ...] = ()
    records: list[Any]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None


class ImageTableModel(_RecordTable):
    # Narrow columns beside the name: at 1.5x scaling in a narrow dock the name must stay
    # (the status is a coloured dot, its word in the tooltip).
    # "Held": who else is working on the image (a team project's lease; hidden while
    # nobody else holds one)
    COLUMNS = ("Image", "", "#", "Split", "Held")
    HELD = 4
    leases_changed = Signal()

    def __init__(self, thumbnails: ThumbnailCache | None = None, parent: Any = None):
        super().__init__(parent)
        self.records: list[ImageRecord] = []
        self._row_of: dict[int, int] = {}
        self.leased: dict[int, LeaseRecord] = {}  # image id -> another member's lease
        self.thumbnails = thumbnails
        if thumbnails is not None:
            thumbnails.thumbnail_ready.connect(self._thumbnail_ready)

    def set_records(self, records: Sequence[ImageRecord]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self._row_of = {r.id: i for i, r in enumerate(self.records)}
        self.endResetModel()

    def set_record(self, record: ImageRecord) -> None:
        row = self._row_of.get(record.id)
        if row is not None:
            self.records[row] = record
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def row_of(self, image_id: int) -> int | None:
        return self._row_of.get(image_id)

    def set_leases(self, leases: Mapping[int, LeaseRecord]) -> None:
        """The images other members hold now (`services.team.image_leases`): their rows
        name the holder; only rows whose holder changed are redrawn."""
        before = {i: lease.holder for i, lease in self.leased.items()}
        self.leased = dict(leases)
        changed = {i for i in before.keys() | self.leased.keys() if before.get(i) != self.holder(i)}
        for image_id in changed:
            row = self._row_of.get(image_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.HELD))
        self.leases_changed.emit()

    def holder(self, image_id: int) -> str:
        lease = self.leased.get(image_id)
        return lease.holder if lease is not None else ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.records)):
            return None
        rec, col = self.records[index.row()], index.column()
        if role == ID_ROLE:
            return rec.id
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                rec.file.name,
                "●",
                f"{rec.region_count}" if rec.region_count else "",
                rec.split.value,
                self.holder(rec.id),
            )[col]
        if rec.id in self.leased and (found := self._leased_data(rec.id, col, role)) is not None:
            return found
        if role == STATUS_ROLE:
            return STATUS_LABEL[rec.status]
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            return STATUS_LABEL[rec.status]
        if role == Qt.ItemDataRole.ToolTipRole and col == 2:
            return f"{rec.region_count} region(s)"
        if role == SORT_ROLE:
            return (
                natural_key(rec.path),
                list(ImageStatus).index(rec.status),
                rec.region_count,
                rec.split.value,
                self.holder(rec.id),
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return f"{rec.path}\n{rec.width} x {rec.height}"
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QBrush(QColor(STATUS_COLOR[rec.status]))
        if role == Qt.ItemDataRole.DecorationRole and col == 0 and self.thumbnails is not None:
            return self.thumbnails.get(rec.id, rec.file, rec.rotation)
        return None

    def _leased_data(self, image_id: int, col: int, role: int) -> Any:
        """Another member's image: the row's text greyed, and who holds it till when."""
        lease = self.leased[image_id]
        if role == Qt.ItemDataRole.ToolTipRole and col in (0, self.HELD):
            return (
                f"{lease.holder} is working on this image (leased until "
                f"{lease.expires:%H:%M:%S} UTC, renewed while they work)"
            )
        if role == Qt.ItemDataRole.ForegroundRole and col != 1:
            return QBrush(QColor("#c0392b" if col == self.HELD else "#888888"))
        return None

    def _thumbnail_ready(self, image_id: int) -> None:
        row = self._row_of.get(image_id)
        if row is not None:
            idx = self.index(row, 0)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class ImageFilterProxy(QSortFilterProxyModel):
    """Filter by name (substring), status and split; sort by the raw column values."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(0)
        self.status: ImageStatus | None = None
        self.split: str | None = None

    def set_status(self, status: ImageStatus | None) -> None:
        self._refilter("status", status)

    def set_split(self, split: str | None) -> None:
        self._refilter("split", split)

    def _refilter(self, name: str, value: object) -> None:
        if hasattr(self, "endFilterChange"):  # Qt >= 6.10; invalidateFilter is deprecated
            self.beginFilterChange()
            setattr(self, name, value)
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            setattr(self, name, value)
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        if not isinstance(model, ImageTableModel) or not (0 <= row < len(model.records)):
            return True
        rec = model.records[row]
        if self.status is not None and rec.status != self.status:
            return False
        if self.split is not None and rec.split.value != self.split:
            return False
        return super().filterAcceptsRow(row, parent)


def source_text(rec: RegionRecord) -> str:
    """Who made the region: the model, or a person who corrected what the model made (a
    correction drops the model's scores; a plain confirmation keeps them)."""
    corrected = rec.edited and rec.score is None and rec.det_score is None
    if rec.provenance == "manual" or not corrected:
        return rec.provenance
    return f"edited · {rec.provenance}"


class RegionTableModel(_RecordTable):
    """The regions of the open image in the order given (the editor gives reading order);
    text, ignore and verified editable."""

    COLUMNS = ("#", "Text", "Ignore", "Score", "Source", "Verified", "By")
    TEXT, IGNORE, SCORE, SOURCE, VERIFIED, AUTHOR = 1, 2, 3, 4, 5, 6
    edit_requested = Signal(int, str, object)  # region id, field, new value

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.records: list[RegionRecord] = []
        self._row_of: dict[int, int] = {}
        self.rule = UnsureRule()  # the one rule for "unsure" (services.unsure)

    def set_rule(self, rule: UnsureRule) -> None:
        self.beginResetModel()
        self.rule = rule
        self.endResetModel()

    def set_records(self, records: Sequence[RegionRecord]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self._row_of = {r.id: i for i, r in enumerate(self.records)}
        self.endResetModel()

    def row_of(self, region_id: int) -> int | None:
        return self._row_of.get(region_id)

    def id_at(self, row: int) -> int:
        return self.records[row].id

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.TEXT:
            f |= Qt.ItemFlag.ItemIsEditable
        if index.column() in (self.IGNORE, self.VERIFIED):
            f |= Qt.ItemFlag.ItemIsUserCheckable
        return f

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.records)):
            return None
        rec, col = self.records[index.row()], index.column()
        if role == ID_ROLE:
            return rec.id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            score = self.rule.judge_record(rec).score if col == self.SCORE else None
            return (
                str(index.row() + 1),
                rec.text,
                None,
                "" if score is None else f"{score:.2f}",
                source_text(rec),
                None,
                rec.author,
            )[col]
        if role == Qt.ItemDataRole.CheckStateRole and col in (self.IGNORE, self.VERIFIED):
            on = rec.ignore if col == self.IGNORE else rec.verified
            return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and col == self.SCORE
            and region_state(rec.to_region(), self.rule) is RegionState.LOW
        ):
            return QBrush(QColor(PALETTE.low))
        if role == Qt.ItemDataRole.ToolTipRole and col == self.SCORE:
            return self.rule.judge_record(rec).why  # the rule as it was applied
        if role == Qt.ItemDataRole.ToolTipRole and col == self.AUTHOR:
            return f"last written by {rec.author or 'nobody named'} (version {rec.version})"
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            if rec.provenance == "manual":
                return "drawn by a person"
            return (
                "corrected by a person; first made by "
                if rec.edited
                else "as the model proposed it: "
            ) + rec.provenance
        return None

    def setData(
        self,
        index: Index,
        value: Any,  # noqa: N802
        role: int = Qt.ItemDataRole.EditRole,
    ) -> bool:
        if not index.isValid() or not (0 <= index.row() < len(self.records)):
            return False
        rid, col = self.records[index.row()].id, index.column()
        if col == self.TEXT and role == Qt.ItemDataRole.EditRole:
            self.edit_requested.emit(rid, "text", str(value))
            return True
        if col in (self.IGNORE, self.VERIFIED) and role == Qt.ItemDataRole.CheckStateRole:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked
            self.edit_requested.emit(rid, "ignore" if col == self.IGNORE else "verified", checked)
            return True
        return False

    def set_record(self, record: RegionRecord) -> None:
        """A stored change of one region arrived."""
        row = self._row_of.get(record.id)
        if row is None:
            return
        self.records[row] = record
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))
