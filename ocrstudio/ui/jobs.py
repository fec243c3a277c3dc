"""The status-bar strip of running jobs: a progress bar and a cancel button per job."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from ocrstudio.ui.workers import Worker


def describe_progress(payload: Any) -> tuple[int, int, str]:
    """(value, maximum, text) from what a job reports: `(done, total, message)`, a mapping
    or a dataclass with done/total/step/steps/message fields. maximum 0 = unknown."""
    if isinstance(payload, tuple) and len(payload) >= 2 and all(
            isinstance(v, int) for v in payload[:2]):
        return int(payload[0]), int(payload[1]), str(payload[2]) if len(payload) > 2 else ""
    if dataclasses.is_dataclass(payload) and not isinstance(payload, type):
        payload = dataclasses.asdict(payload)
    if isinstance(payload, Mapping):
        done = payload.get("done", payload.get("step", 0)) or 0
        total = payload.get("total", payload.get("steps", payload.get("total_steps", 0))) or 0
        text = str(payload.get("message", ""))
        if not text and "loss" in payload and payload["loss"] is not None:
            text = f"loss {float(payload['loss']):.4f}"
        return int(done), int(total), text
    return 0, 0, str(payload)


class JobRow(QWidget):
    def __init__(self, worker: Worker, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.worker = worker
        self.label = QLabel(title)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setMaximumHeight(16)
        self.bar.setRange(0, 0)
        self.cancel = QToolButton(text="Cancel")
        self.cancel.setAutoRaise(True)
        self.cancel.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self.title = title
        worker.progress_reported.connect(self.update_progress)

    def update_progress(self, payload: object) -> None:
        done, total, text = describe_progress(payload)
        self.bar.setRange(0, max(total, 0))
        if total:
            self.bar.setValue(min(done, total))
        self.label.setText(f"{self.title}: {text}" if text else self.title)

    def _cancel(self) -> None:
        self.worker.cancel()
        self.cancel.setEnabled(False)
        self.label.setText(f"{self.title}: cancelling…")


class JobsBar(QWidget):
    """Lives in the status bar; rows appear when a job starts and go when it ends."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.rows: dict[int, JobRow] = {}

    def add(self, worker: Worker, title: str) -> JobRow:
        row = JobRow(worker, title, self)
        self.rows[id(worker)] = row
        self.layout_.addWidget(row)
        worker.ended.connect(lambda w=worker: self._remove(w))
        return row

    def _remove(self, worker: Worker) -> None:
        row = self.rows.pop(id(worker), None)
        if row is not None:
            row.deleteLater()
