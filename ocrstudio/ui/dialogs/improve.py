"""Models > Improve the models on my labels: one action that fine-tunes the active detector
and recognizer on the project's verified photos within a time budget
(`services.improve.ImproveJob`), in the training pool while the person labels on. The
dialog shows the run live (time left, the loss of the model being fine-tuned), then the
before/after table on the project's test split and which new model became active and why.

The window keeps one instance: reopened during a run it shows that run, and a run that
ends with the dialog closed announces itself (a non-modal message)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ocrstudio.services.jobs import JobProgress
from ocrstudio.ui.dialogs.training import LossPlot
from ocrstudio.ui.dialogs.transfer import path_row
from ocrstudio.ui.workers import Worker

if TYPE_CHECKING:
    from ocrstudio.services.improve import ImproveReport
    from ocrstudio.ui.controllers import Jobs
    from ocrstudio.ui.panels.models import ModelsPanel

FIGURES = {
    "det_hmean": "Detection H-mean",
    "e2e_hmean": "End to end H-mean",
    "word_acc": "Word accuracy",
}
DEFAULT_MINUTES = 10.0
REPLAY_KEY = "improve/replay"  # the general data folder, remembered across projects
REPLAY_WEIGHT = 1.5  # measured on plates: ICDAR 2015 kept 0.550 at 1.5, 0.474 at 0.6


def improve(
    project: Any, minutes: float, replay: tuple[str, ...], progress: Any, cancel: Any
) -> ImproveReport:
    """The job, run in the training pool's thread (torch is imported there, never in the
    GUI's)."""
    from ocrstudio.services.improve import ImproveJob

    return ImproveJob(project, minutes, replay=replay).run(progress, cancel)


class ImproveDialog(QDialog):
    def __init__(self, jobs: Jobs, models: ModelsPanel, parent: QWidget | None = None):
        super().__init__(parent)
        self.jobs, self.models = jobs, models
        self.worker: Worker | None = None
        self.report: ImproveReport | None = None
        self.setWindowTitle("Improve the models on my labels")
        self.minutes = QDoubleSpinBox(
            minimum=1.0, maximum=600.0, value=DEFAULT_MINUTES, singleStep=1.0, suffix=" min"
        )
        self.minutes.setToolTip(
            "The whole run, scoring included (10 minutes on a 2-core "
            "CPU; a GPU does more in the same time)"
        )
        intro = QLabel(
            "Fine-tunes the active detector and recognizer on this project's "
            "verified photos (mixed with general data, so they keep what they "
            "know), scores old and new on the test split, and makes a new model "
            "active only where it reads better. Label on meanwhile."
        )
        intro.setWordWrap(True)
        self.replay = QLineEdit(str(jobs.settings.value(REPLAY_KEY, "") or ""))
        self.replay.setPlaceholderText("optional: a labelled folder or project of other photos")
        self.replay.setToolTip(
            "General photos with all their text labelled, mixed into the "
            "fine-tunes so the models keep reading what this project "
            "leaves unlabelled (generated text is mixed in always)"
        )
        form = QFormLayout()
        form.addRow("Time budget", self.minutes)
        form.addRow("General data to keep", path_row(self.replay, self))
        self.plot = LossPlot()
        self.bar = QProgressBar()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.table = QTableWidget(len(FIGURES), 3)
        self.table.setHorizontalHeaderLabels(["", "before", "after"])
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        # every figure in view without scrolling: the header and each row, no more
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        height = self.table.horizontalHeader().sizeHint().height() + rows + 4
        self.table.setFixedHeight(height)
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel run")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(620, 640)

    @property
    def running(self) -> bool:
        return self.worker is not None and not self.worker.done

    def start(self) -> Worker | None:
        if self.jobs.project is None or self.running:
            return None
        folder, minutes = self.jobs.project.folder, self.minutes.value()
        general = self.replay.text().strip()
        self.jobs.settings.setValue(REPLAY_KEY, general)
        replay = (f"{general}@{REPLAY_WEIGHT:g}",) if general else ()

        def run(progress: Any, cancel: Any) -> ImproveReport:
            return improve(folder, minutes, replay, progress, cancel)

        self.report = None
        self.plot.clear("validation: val split")
        self.table.clearContents()
        self.worker = self.jobs.start(run, "Improving the models", self._finished, training=True)
        self.worker.progress_reported.connect(self._progress)
        self.worker.failed.connect(
            lambda msg, _tb: self._ended(f"Failed: {msg}. The active models are unchanged.")
        )
        self.worker.cancelled.connect(
            lambda: self._ended("Cancelled; the active models are unchanged.")
        )
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Scoring the active models…")
        return self.worker

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling: the step under way ends first…")

    def _progress(self, p: JobProgress) -> None:
        self.bar.setRange(0, max(p.total, 0))
        self.bar.setValue(min(p.done, p.total) if p.total else 0)
        self.status.setText(p.message)
        if p.detail is not None:
            if getattr(p.detail, "step", None) == 0 or (
                self.plot.steps and p.detail.step < self.plot.steps[-1]
            ):
                self.plot.clear("validation: val split")  # the next role's fine-tune
            self.plot.add(p.detail)

    def _finished(self, report: ImproveReport) -> None:
        self.report = report
        self.bar.setValue(self.bar.maximum())  # done before the budget's last second
        self.show_report(report)
        self._ended(report.summary())
        self.models.refresh()
        if not self.isVisible():
            self.jobs.notify("Improving the models", report.summary())

    def show_report(self, report: ImproveReport) -> None:
        before = report.before
        self.table.setHorizontalHeaderLabels(["", "before", "after (active now)"])
        for row, (name, old, new) in enumerate(report.table()):
            cells = (
                f"{FIGURES[name]} ({report.split} split, {before.images} photos)",
                f"{old:.3f}",
                f"{new:.3f}",
            )
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))

    def _ended(self, text: str) -> None:
        self.status.setText(text)
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
