"""The training dialog: what to train (architecture or a base model to fine-tune), on what
(the project's verified train split, optionally mixed with synthetic data), for how long,
on which device. The run goes to the training pool (one thread of its own); the dialog
plots loss and validation metrics live, can cancel, and offers to make the new version
active when it is registered and measured. A failed run shows its error and changes
nothing.

The window keeps one instance (`live_run`): reopened during a run it shows that run; a
second run waits behind another only when the person queues it, and leaves the queue at
once when cancelled; a run that ends while the dialog is closed announces itself. When no
verified photo would validate the run the dialog says so first (`validation_note`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ocrstudio.core.types import Role
from ocrstudio.services import model_choice as mc
from ocrstudio.services.jobs import JobProgress
from ocrstudio.ui.dialogs.live_run import announce, ask_to_queue, runs_ahead
from ocrstudio.ui.dialogs.loss_plot import LossPlot
from ocrstudio.ui.dialogs.transfer import path_row
from ocrstudio.ui.dialogs.validation_note import ValidationNote
from ocrstudio.ui.train_job import Comparison, Trained, TrainRun, TrainSpec
from ocrstudio.ui.workers import Worker

if TYPE_CHECKING:
    from ocrstudio.services.training import TrainResult
    from ocrstudio.ui.controllers import Jobs
    from ocrstudio.ui.panels.models import ModelsPanel

SCRATCH = "(none: train from scratch)"
CPU_STEPS = 200  # a fine-tune of a few minutes on two cores
CPU_BATCH = 8
DATA_TEXT = "The project's verified images of the train split are the data."


def architectures() -> list[tuple[str, Role]]:
    """(name, role) of every architecture in the zoo."""
    from ocrstudio.services.training import architectures as zoo

    return zoo()


class TrainingDialog(QDialog):
    def __init__(self, jobs: Jobs, models: ModelsPanel, parent: QWidget | None = None):
        super().__init__(parent)
        self.jobs, self.models = jobs, models
        self.worker: Worker | None = None
        self.run_result: TrainResult | None = None  # not `result`: QDialog.result()
        self._folder = jobs.project.folder if jobs.project else None
        self.setWindowTitle("Train a model")
        self.arch = QComboBox()
        for name, role in architectures():
            self.arch.addItem(f"{name}  ({role})", (name, role))
        self.base = QComboBox()
        self.config = QComboBox()
        self.config.addItems(["tiny", "full"])
        self.synth = QCheckBox("Mix in synthetic data, weight")
        self.synth_weight = QDoubleSpinBox(minimum=0.05, maximum=10.0, value=0.5, singleStep=0.1)
        self.by_steps = QRadioButton("steps")
        self.by_epochs = QRadioButton("epochs")
        self.by_epochs.setChecked(True)
        self.length = QSpinBox(minimum=1, maximum=1_000_000, value=5)
        self.batch = QSpinBox(minimum=1, maximum=1024, value=8)
        self.eval_size = QSpinBox(minimum=8, maximum=100_000, value=300)
        self.eval_size.setToolTip(
            "Samples scored at each evaluation (the val split's, else held-out or synthetic ones)"
        )
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.clip_weights = QLineEdit()
        self.clip_weights.setPlaceholderText("a local CLIP checkpoint, or a tag such as openai")
        self.allow_download = QCheckBox("Let open_clip download the tag's weights")
        self.form = QFormLayout()
        self._layout_form()
        self.plot = LossPlot()
        self.bar = QProgressBar()
        self.status = QLabel(DATA_TEXT)
        self.status.setWordWrap(True)
        self.start_button = QPushButton("Start training")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel run")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.activate_button = QPushButton("Make the new model active")
        self.activate_button.setEnabled(False)
        self.activate_button.clicked.connect(self.make_active)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.cancel_button, self.activate_button):
            buttons.addWidget(b)
        self.note = ValidationNote()
        self.note.held_out.connect(self._held_out)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.arch.currentIndexChanged.connect(lambda _i: self._fill_bases())
        self.base.currentIndexChanged.connect(lambda _i: self._base_changed())
        self.synth.toggled.connect(
            lambda _on: self._warn_scratch() if self.base.currentData() is None else None
        )
        self._fill_bases()
        self._choose_defaults()
        self.comparison: Comparison | None = None
        self._cancelled_text = "Cancelled; nothing was kept."
        self.resize(640, 720)

    def _layout_form(self) -> None:
        synth = QHBoxLayout()
        synth.addWidget(self.synth)
        synth.addWidget(self.synth_weight)
        synth.addStretch(1)
        length = QHBoxLayout()
        length.addWidget(self.length)
        length.addWidget(self.by_epochs)
        length.addWidget(self.by_steps)
        length.addStretch(1)
        self.form.addRow("Architecture", self.arch)
        self.form.addRow("Base model", self.base)
        self.form.addRow("Config (new models)", self.config)
        self.form.addRow("Data", synth)
        self.form.addRow("Length", length)
        self.form.addRow("Batch size", self.batch)
        self.form.addRow("Validation samples", self.eval_size)
        self.form.addRow("Device", self.device)
        self.clip_row = QWidget()  # field and its File… button, enabled together
        row = path_row(self.clip_weights, self, files=True, folders=False)
        row.setContentsMargins(0, 0, 0, 0)
        self.clip_row.setLayout(row)
        self.form.addRow("CLIP weights (new)", self.clip_row)
        self.form.addRow("", self.allow_download)

    def _choose_defaults(self) -> None:
        """Fine-tune the active recognizer from its weights, for a length a CPU manages
        (a model trained from scratch on a few images learns nothing)."""
        self.by_steps.setChecked(True)
        self.length.setValue(CPU_STEPS)
        active = mc.active_models(self.jobs.project)["recognizer"] if self.jobs.project else None
        if active is not None:
            self.select(active.architecture, active.name)

    def _fill_bases(self) -> None:
        name, role = self.arch.currentData()
        self.base.clear()
        self.base.addItem(SCRATCH, None)
        if self.jobs.project is None:
            return
        for c in mc.model_choices(self.jobs.project, role):
            if c.architecture == name:
                self.base.addItem(f"{c.name}  ({c.source})", c)
        if self.base.count() > 1:
            self.base.setCurrentIndex(1)  # fine-tuning is what a project usually wants

    def _base_changed(self) -> None:
        """A fine-tune shows its base card's batch (its rate and frozen layers apply too,
        `services.training.fine_tune_config`); a new model the CPU default."""
        self._clip_enabled()
        base: mc.ModelChoice | None = self.base.currentData()
        if base is None:
            self.batch.setValue(CPU_BATCH)
            self._warn_scratch()
            return
        if self.status.text().startswith("Note: a new"):  # said of scratch, not of a base
            self.status.setText(DATA_TEXT)
        from ocrstudio.services.training import fine_tune_config

        try:
            self.batch.setValue(fine_tune_config(base.weights).batch_size)
        except Exception as exc:  # noqa: BLE001 - a bad card: the run will say so
            self.status.setText(f"{base.name}: {exc}")

    def _warn_scratch(self) -> None:
        """A new model on a few photos learns nothing: say so before the run, not after."""
        from ocrstudio.services.training import project_pages, scratch_warning

        data = self.arch.currentData()
        if self.jobs.project is None or data is None:
            return
        _, pages = project_pages(self.jobs.project, "train")
        extra = ("synth:",) if self.synth.isChecked() else ()
        warning = scratch_warning(data[1], pages, extra)
        self.status.setText(f"Note: {warning}." if warning else DATA_TEXT)

    def _clip_enabled(self) -> None:
        """CLIP weights matter only for a new TCM / CLIP4STR model (a base holds its own)."""
        from ocrstudio.services.training import uses_clip

        data = self.arch.currentData()
        on = data is not None and uses_clip(data[0]) and self.base.currentData() is None
        self.clip_row.setEnabled(on)
        self.allow_download.setEnabled(on)

    def select(self, arch: str, base_name: str | None = None) -> None:
        """Choose an architecture and a base model by name (tests and scripts)."""
        for i in range(self.arch.count()):
            if self.arch.itemData(i)[0] == arch:
                self.arch.setCurrentIndex(i)
        for i in range(self.base.count()):
            data = self.base.itemData(i)
            if (data is None and base_name is None) or (data and data.name == base_name):
                self.base.setCurrentIndex(i)

    def spec(self) -> TrainSpec:
        """What the form asks for."""
        assert self.jobs.project is not None
        arch, role = self.arch.currentData()
        base: mc.ModelChoice | None = self.base.currentData()
        n = self.length.value()
        fit = {
            "epochs": n if self.by_epochs.isChecked() else 1,
            "steps": n if self.by_steps.isChecked() else None,
            "batch_size": self.batch.value(),
            "device": self.device.currentText(),
            "eval_size": self.eval_size.value(),
            "workers": 0,
            "log_every": 1,
        }
        extra: tuple[str, ...] = ()
        if self.synth.isChecked():
            kind = "words" if role == "recognizer" else "scenes"
            extra = (f"synth:{kind}@{self.synth_weight.value():g}",)
        base_ref = None
        if base is not None:
            base_ref = str(base.version_id) if base.version_id else str(base.weights)
        clip = self.clip_weights.text().strip() if self.clip_row.isEnabled() else ""
        return TrainSpec(
            self.jobs.project.folder,
            arch,
            self.config.currentText(),
            base_ref,
            fit,
            extra,
            base.weights if base is not None else None,
            clip_weights=clip or None,
            allow_download=self.allow_download.isEnabled() and self.allow_download.isChecked(),
        )

    def job(self) -> TrainRun:
        """The run as a callable for the training pool. The training modules (torch) are
        imported inside it, in the training thread, never in the GUI's."""
        return TrainRun(self.spec())

    @property
    def running(self) -> bool:
        """A run of this dialog is queued or under way."""
        return self.worker is not None and not self.worker.done

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Reopened: a run under way is shown as it is; idle, the form follows the project
        open now and says whether anything would validate a run."""
        super().showEvent(event)
        if self.running:
            return
        folder = self.jobs.project.folder if self.jobs.project else None
        if folder != self._folder:
            self._folder = folder
            self.run_result, self.comparison = None, None
            self.activate_button.setEnabled(False)
            self._fill_bases()
            self._choose_defaults()
        self.note.refresh(self.jobs.project)

    def start(self) -> Worker | None:
        if self.jobs.project is None or self.running:
            return None
        ahead = runs_ahead(self.jobs)
        if ahead and not ask_to_queue(self, ahead):
            self.status.setText(f"Not started: {ahead[0].name} is under way.")
            return None
        self.note.refresh(self.jobs.project)
        job = self.job()
        self._folder = self.jobs.project.folder
        self.run_result, self.comparison = None, None
        self.plot.clear("validation: val split")
        self.bar.reset()  # not the last run's 100 % while this one waits its turn
        self.worker = self.jobs.start(
            job, f"Training {job.spec.arch}", self._finished, training=True
        )
        self.worker.progress_reported.connect(self._progress)
        self.worker.signals.started_running.connect(
            lambda: self.status.setText("Training… (the window stays usable; label on meanwhile)")
        )
        self.worker.failed.connect(lambda msg, _tb: self._ended(f"Failed: {msg}"))
        self.worker.cancelled.connect(lambda: self._ended(self._cancelled_text))
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.activate_button.setEnabled(False)
        self._cancelled_text = "Cancelled; nothing was kept."
        self.status.setText(
            f"Queued: starts when {ahead[0].name} ends."
            if ahead
            else "Training… (the window stays usable; label on meanwhile)"
        )
        return self.worker

    def cancel(self) -> None:
        if self.worker is None:
            return
        if self.worker.queued:  # taken out of the queue at once (`Worker.cancel`)
            self._cancelled_text = "Taken out of the queue; it never started."
        else:
            self.status.setText("Cancelling at the next batch…")
        self.worker.cancel()

    def _held_out(self, n: int) -> None:
        self.jobs.reload_all()  # the image list shows the new splits
        self.status.setText(
            f"{n} verified photo(s) moved to the val split: they validate "
            "the next run and are no longer trained on."
        )

    def _progress(self, p: JobProgress) -> None:
        self.bar.setRange(0, max(p.total, 0))
        self.bar.setValue(min(p.done, p.total) if p.total else 0)
        eta = p.detail.eta_s if p.detail is not None else None
        self.status.setText(
            f"step {p.done}/{p.total}  {p.message}"
            + (f"  ETA {eta:.0f} s" if eta is not None else "")
        )
        if p.detail is not None:
            self.plot.add(p.detail)

    def _finished(self, trained: Trained) -> None:
        result = trained.result
        if self.jobs.project is None or self.jobs.project.folder != self._folder:
            self._ended(f"Registered {result.version_name} in the project it was made for.")
            return  # another project is open now: nothing to make active here
        self.run_result, self.comparison = result, trained.comparison
        comparison = trained.comparison
        measured = comparison is not None
        if comparison is not None:
            text = f"Registered {result.version_name}. {comparison.text()}."
        else:  # a model no figure speaks for is never offered as the active one
            text = (
                f"Registered {result.version_name}, but nothing measured it: no verified "
                "photo in the val or test split. It is not offered as the active model: "
                "verify a photo of the val or test split (or hold some verified photos "
                "out above) and train again."
            )
            self.note.refresh(self.jobs.project)
        self._ended(text)
        self.activate_button.setEnabled(measured)
        self.models.refresh()
        if not self.isVisible():
            announce(
                self.jobs,
                f"Training finished: {result.version_name}",
                text
                + (
                    " Show the run to make it active."
                    if comparison is not None and comparison.better
                    else ""
                ),
                self.show_run,
            )

    def show_run(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()

    def _ended(self, text: str) -> None:
        self.status.setText(text)
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def make_active(self) -> None:
        if self.run_result is None or self.jobs.project is None:
            return
        choice = mc.find_choice(self.jobs.project, f"version:{self.run_result.version_id}")
        self.models.make_active(choice)
        self.status.setText(f"{choice.name} is now the active {choice.role}.")
        self.activate_button.setEnabled(False)
