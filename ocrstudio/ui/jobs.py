"""Running jobs: the status-bar strip (a progress bar and a cancel button per job) and the
runner that starts them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from ocrstudio.services.jobs import JobProgress
from ocrstudio.ui.workers import Job, Worker, WorkerPools


class JobRow(QWidget):
    def __init__(self, worker: Worker, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.worker = worker
        self.label = QLabel(title)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setMaximumHeight(16)
        self.bar.setRange(0, 0)
        self.cancel = QToolButton()
        self.cancel.setText("Cancel")
        self.cancel.setAutoRaise(True)
        self.cancel.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self.title = title
        worker.progress_reported.connect(self.update_progress)

    def update_progress(self, p: JobProgress) -> None:
        self.bar.setRange(0, max(p.total, 0))
        if p.total:
            self.bar.setValue(min(p.done, p.total))
        text = p.text()
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


Notify = Callable[[str, bool], None]  # (text, is a failure): the window shows it


class JobRunner(QObject):
    """Starts service jobs: in the right pool, with a row in the jobs bar, and tells
    `notify` when one fails or is cancelled. It knows no window: the window hands it the
    pools, the bar and the callback, and panels and dialogs get the runner."""

    def __init__(
        self, pools: WorkerPools, bar: JobsBar, notify: Notify, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.pools, self.bar, self._notify = pools, bar, notify
        self.last_error = ""
        self.last_message = ""

    def start(
        self,
        job: Job,
        title: str,
        on_done: Callable[[Any], object] | None = None,
        training: bool = False,
    ) -> Worker:
        worker = Worker(job, title)
        if on_done is not None:
            worker.finished_ok.connect(on_done)
        worker.failed.connect(lambda msg, _tb, t=title: self._failed(t, msg))
        worker.cancelled.connect(lambda t=title: self.notify(f"{t}: cancelled"))
        self.bar.add(worker, title)
        return self.pools.start(worker, training=training)

    def notify(self, text: str, failure: bool = False) -> None:
        if failure:
            self.last_error = text
        else:
            self.last_message = text
        self._notify(text, failure)

    def _failed(self, title: str, message: str) -> None:
        self.notify(f"{title} failed: {message}", failure=True)

    def cancel_all(self) -> None:
        for w in self.pools.active():
            w.cancel()
