"""Import labels into the open project and export its labels, in every supported format,
each ending with a summary of what was written or skipped."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ocrstudio.services import transfer
from ocrstudio.services.project import open_project
from ocrstudio.ui.workers import Worker

if TYPE_CHECKING:
    from ocrstudio.ui.controllers import Jobs


def _formats(reading: bool) -> list[str]:
    from ocrstudio.services.transfer import format_names

    return list(format_names(reading))


def path_row(
    edit: QLineEdit, parent: QWidget, files: bool = False, folders: bool = True
) -> QHBoxLayout:
    """A path field with a Folder… button and/or a File… one."""
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    pickers = []
    if folders:
        pickers.append(
            ("Folder…", lambda: QFileDialog.getExistingDirectory(parent, "Choose a folder"))
        )
    if files:
        pickers.append(("File…", lambda: QFileDialog.getOpenFileName(parent, "Choose a file")[0]))
    for text, pick in pickers:
        b = QPushButton(text)
        b.clicked.connect(lambda _c=False, p=pick: edit.setText(p() or edit.text()))
        row.addWidget(b)
    return row


def import_summary(r: transfer.ImportReport) -> str:
    lines = [
        f"{r.images_added} new image(s) added",
        f"{r.images_labelled} image(s) labelled",
        f"{r.regions} region(s) written",
    ]
    if r.skipped:
        lines.append(f"{len(r.skipped)} image(s) skipped (verified or edited by a person):")
        lines += [f"  {s}" for s in r.skipped[:10]]
    return "\n".join(lines)


def export_summary(r: transfer.ExportReport) -> str:
    lines = [f"{r.images} image(s), {r.regions} region(s), {r.files} file(s) written to {r.out}"]
    lines += r.notes()
    if r.skipped:
        lines.append(f"{len(r.skipped)} skipped:")
        lines += [f"  {name}: {why}" for name, why in r.skipped[:10]]
    return "\n".join(lines)


class _TransferDialog(QDialog):
    def __init__(self, jobs: Jobs, parent: QWidget, title: str, reading: bool):
        super().__init__(parent)
        self.jobs = jobs
        self.worker: Worker | None = None
        self.setWindowTitle(title)
        self.format = QComboBox()
        self.format.addItems(_formats(reading))
        self.form = QFormLayout(self)
        self.form.addRow("Format", self.format)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._start)
        self.buttons.rejected.connect(self.reject)
        self.resize(560, 0)

    def finish_layout(self) -> None:
        self.form.addRow(self.buttons)

    def _start(self) -> None:  # each dialog starts its own job
        raise NotImplementedError

    def _report(self, title: str, text: str) -> None:
        self.jobs.notify(title, text)


class ImportDialog(_TransferDialog):
    def __init__(self, jobs: Jobs, parent: QWidget):
        super().__init__(jobs, parent, "Import labels", reading=True)
        self.images = QLineEdit()
        self.labels = QLineEdit(placeholderText="Default: the image folder")
        self.prelabels = QCheckBox(
            "Import as pre-labels (not verified; never replaces a person's work)"
        )
        self.form.addRow("Images folder", path_row(self.images, self))
        self.form.addRow("Labels (file or folder)", path_row(self.labels, self, files=True))
        self.form.addRow("", self.prelabels)
        self.finish_layout()

    def _start(self) -> None:
        project = self.jobs.project
        if project is None or not self.images.text():
            return
        fmt, images = self.format.currentText(), Path(self.images.text())
        labels = Path(self.labels.text()) if self.labels.text() else None
        pre = self.prelabels.isChecked()

        folder = project.folder

        def job(progress: Any, cancel: Any) -> transfer.ImportReport:
            with open_project(folder) as handle:  # a job opens its own handle
                return transfer.import_labels(handle, fmt, images, labels, pre, progress, cancel)

        def done(report: transfer.ImportReport) -> None:
            if self.jobs.project is not None and self.jobs.project.folder == folder:
                self.jobs.reload_all(clear_undo=True)
            self._report("Import finished", import_summary(report))

        self.worker = self.jobs.start(job, f"Importing {fmt}", done)
        self.accept()


def fresh_folder(parent: Path, name: str) -> Path:
    """`parent/name`, or `name-2`, `-3`… where that holds files already: an export never
    lands on an earlier one unasked."""
    out, k = parent / name, 2
    while out.exists() and (not out.is_dir() or any(out.iterdir())):
        out, k = parent / f"{name}-{k}", k + 1
    return out


class ExportDialog(_TransferDialog):
    """Remembers where exports go and its options, and offers a new folder there named
    after the project and the format (never the previous export's folder, which a second
    export would replace); "verified only" is the default (a partly checked image teaches
    a model wrong negatives). `ppocrlabel` is a folder PPOCRLabel opens as it is
    (`formats.ppocrlabel`); `paddleocr` is PaddleOCR's training layout, with `rec_gt.txt`
    and `crop_img/` beside `Label.txt` (`formats.paddleocr`)."""

    KEY = "export/"

    def __init__(self, jobs: Jobs, parent: QWidget):
        super().__init__(jobs, parent, "Export labels", reading=False)
        self.out = QLineEdit()
        self.split = QComboBox()
        self.split.addItems(list(transfer.SPLITS[::-1]))  # "all" first
        self.verified = QCheckBox("Verified images only")
        self.form.addRow("Output folder", path_row(self.out, self))
        self.form.addRow("Split", self.split)
        self.form.addRow("", self.verified)
        self.finish_layout()
        st = jobs.settings
        self.format.setCurrentText(str(st.value(self.KEY + "format", "icdar2015")))
        self.split.setCurrentText(str(st.value(self.KEY + "split", "all")))
        self.verified.setChecked(bool(st.value(self.KEY + "verified", True, type=bool)))
        self._suggested = ""
        self.format.currentTextChanged.connect(lambda _f: self._suggest())
        self._suggest()

    def _suggest(self) -> None:
        """A new folder where the last export went (else the project's `exports/`); a
        folder the person typed or chose is theirs and stays."""
        project = self.jobs.project
        if project is None or self.out.text() not in ("", self._suggested):
            return
        last = str(self.jobs.settings.value(self.KEY + "folder", "") or "")
        parent = Path(last).parent if last else project.folder / "exports"
        name = f"{project.folder.name}-{self.format.currentText()}"
        self._suggested = str(fresh_folder(parent, name))
        self.out.setText(self._suggested)

    def _remember(self) -> None:
        st = self.jobs.settings
        for key, value in (
            ("folder", self.out.text()),
            ("format", self.format.currentText()),
            ("split", self.split.currentText()),
            ("verified", self.verified.isChecked()),
        ):
            st.setValue(self.KEY + key, value)

    def _start(self) -> None:
        project = self.jobs.project
        if project is None or not self.out.text():
            return
        self._remember()
        fmt, out = self.format.currentText(), Path(self.out.text())
        split, verified = self.split.currentText(), self.verified.isChecked()
        folder = project.folder

        def job(progress: Any, cancel: Any) -> transfer.ExportReport:
            with open_project(folder) as handle:
                return transfer.export_labels(handle, fmt, out, split, verified, progress, cancel)

        self.worker = self.jobs.start(
            job,
            f"Exporting {fmt}",
            lambda report: self._report("Export finished", export_summary(report)),
        )
        self.accept()
