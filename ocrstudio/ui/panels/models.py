"""The models panel: shipped models and the project's own versions with their metrics on
the project's test split; choose the active detector and recognizer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ocrstudio.core.errors import OcrStudioError
from ocrstudio.services import model_choice as mc
from ocrstudio.services.project import ProjectHandle

if TYPE_CHECKING:
    from ocrstudio.ui.jobs import JobRunner

COLUMNS = ("Active", "Name", "Role", "Architecture", "Metrics", "Created")


def metrics_text(metrics: dict[str, Any]) -> str:
    parts = []
    for k, v in metrics.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        parts.append(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}")
    return ", ".join(parts[:4])


class ModelsPanel(QWidget):
    train_requested = Signal()
    active_changed = Signal()  # a person made another model active

    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner = runner
        self.project: ProjectHandle | None = None
        self.choices: list[mc.ModelChoice] = []
        self.active = QLabel()
        self.active.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemDoubleClicked.connect(lambda _it: self.make_active())
        self.use = QPushButton("Make active")
        self.use.clicked.connect(self.make_active)
        self.train = QPushButton("Train…")
        self.train.clicked.connect(self.train_requested)
        # the project's keep filter (services.conventions): learned by "Improve the models
        # on my labels", applied by pre-labelling while checked
        self.keep = QCheckBox(
            "Apply my labelling conventions (how boxes are drawn, regions kept, how texts "
            "are written)"
        )
        self.keep.toggled.connect(self._keep_toggled)
        buttons = QHBoxLayout()
        buttons.addWidget(self.use)
        buttons.addWidget(self.train)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.active)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.keep)
        layout.addLayout(buttons)

    def set_project(self, project: ProjectHandle | None) -> None:
        self.project = project
        self.refresh()

    def refresh(self) -> None:
        self.choices = mc.model_choices(self.project) if self.project else []
        active = mc.active_models(self.project) if self.project else {}
        active_keys = {c.key for c in active.values() if c is not None}
        self.table.setRowCount(len(self.choices))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, c in enumerate(self.choices):
            cells = (
                "●" if c.key in active_keys else "",
                c.name,
                c.role,
                c.architecture,
                metrics_text(c.metrics),
                c.created or c.source,
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, c.key)
                if c.key in active_keys:
                    item.setFont(bold)
                self.table.setItem(row, col, item)
        lines = [
            f"<b>{role}</b>: {c.name if c else 'none (train one or ship one)'}"
            for role, c in active.items()
        ]
        self.active.setText("<br>".join(lines) if lines else "")
        self._show_keep()

    def _show_keep(self) -> None:
        keep: mc.Conventions | None = None
        try:
            keep = mc.conventions_of(self.project) if self.project else None
        except OcrStudioError as exc:
            self.runner.notify(str(exc), failure=True)
        learned = keep is not None and keep.learned
        self.keep.blockSignals(True)
        self.keep.setChecked(learned and keep is not None and keep.on)
        self.keep.setEnabled(learned)
        self.keep.blockSignals(False)
        self.keep.setToolTip(
            f"Pre-labelling applies {keep.describe()} (the models are not changed)"
            if learned and keep is not None
            else "'Improve the models on my labels' learns how you box text, which found "
            "regions you keep and how you write texts, where that reads your photos better"
        )

    def _keep_toggled(self, on: bool) -> None:
        if self.project is None:
            return
        try:
            mc.use_conventions(self.project, on)
        except OcrStudioError as exc:
            self.runner.notify(str(exc), failure=True)
        self._show_keep()

    def selected(self) -> mc.ModelChoice | None:
        rows = self.table.selectionModel().selectedRows()
        return self.choices[rows[0].row()] if rows else None

    def make_active(self, choice: mc.ModelChoice | None = None) -> None:
        choice = choice or self.selected()
        if choice is None or self.project is None:
            return
        try:
            mc.set_active_model(self.project, choice.role, choice.key)
        except OcrStudioError as exc:
            self.runner.notify(str(exc), failure=True)
        self.refresh()
        self.active_changed.emit()
