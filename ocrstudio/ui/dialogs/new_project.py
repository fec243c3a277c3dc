"""New project from a folder of images: the photos' folder, the project's name and where it
lives (never silently inside the photos' folder: that may be read-only, synced or shared),
and the split ratios said plainly (train / val / test by image, from each image's content
hash and a seed, so the same photo always lands in the same split)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ocrstudio.core.errors import InputError
from ocrstudio.services.project import SplitSettings, is_project

LOCATION_KEY = "new_project/location"  # the last place a project was made, offered again
BAD_NAME_CHARS = set('/\\:*?"<>|')
LEGACY_DIR_NAME = "ocrstudio_project"  # where older versions put it, inside the photos' folder


def default_location(settings: QSettings | None) -> Path:
    """Where new projects go unless the person says otherwise: the last place used, else
    Documents/ocrstudio."""
    last = settings.value(LOCATION_KEY, "") if settings is not None else ""
    if last:
        return Path(str(last))
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs or Path.home()) / "ocrstudio"


def _row(field: QLineEdit, browse: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(browse)
    return row


class NewProjectDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("New project from a folder of images")
        default = SplitSettings()
        self.folder = QLineEdit(placeholderText="The photos stay where they are")
        self.name = QLineEdit(placeholderText="e.g. receipts-2024")
        self.location = QLineEdit(str(default_location(settings)))
        self._named = False  # a name the person typed is never replaced by the folder's
        self.name.textEdited.connect(lambda _t: setattr(self, "_named", True))
        browse_images = QPushButton("Folder…")
        browse_images.clicked.connect(self._browse_images)
        browse_location = QPushButton("Folder…")
        browse_location.clicked.connect(self._browse_location)
        self.parts = {name: QSpinBox(minimum=0, maximum=100, suffix=" %",
                                     value=round(100 * getattr(default, name)))
                      for name in ("train", "val", "test")}
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=default.seed)
        self.target = QLabel()  # where the project will be written, said before it is
        self.target.setWordWrap(True)
        self.note = QLabel()
        self.note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Images", _row(self.folder, browse_images))
        form.addRow("Project name", self.name)
        form.addRow("Location", _row(self.location, browse_location))
        for name, box in self.parts.items():
            box.valueChanged.connect(self._check)
            form.addRow(f"{name.capitalize()} split", box)
        form.addRow("Seed", self.seed)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        # wrapped labels below the form, in a box layout: a row spanning a QFormLayout
        # got one line's height and cut the help text off
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.target)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        for field in (self.folder, self.name, self.location):
            field.textChanged.connect(self._check)
        self.folder.textChanged.connect(self._name_from_images)
        self._check()
        self.resize(560, self.sizeHint().height())

    def _browse_images(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of images")
        if folder:
            self.folder.setText(folder)

    def _browse_location(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Where the project goes",
                                                  self.location.text())
        if folder:
            self.location.setText(folder)

    def _name_from_images(self) -> None:
        """The photos' folder names the project until the person names it."""
        images = self.images()
        if images is None or self._named:
            return
        legacy = images / LEGACY_DIR_NAME
        if is_project(legacy):  # made there by an older version: open that one again
            self.location.setText(str(images))
            self.name.setText(LEGACY_DIR_NAME)
        else:
            self.name.setText(images.name)

    def project_folder(self) -> Path | None:
        name, location = self.name.text().strip(), self.location.text().strip()
        if not name or not location or BAD_NAME_CHARS & set(name) or name in (".", ".."):
            return None
        return Path(location).expanduser() / name

    def _problem(self) -> str | None:
        """Why the project cannot be made as the form says, or None."""
        images, target = self.images(), self.project_folder()
        if images is None or not images.is_dir():
            return "Choose the folder of photos."
        if target is None:
            return "Give the project a name (no / \\ : * ? \" < > |) and a location."
        if target.exists() and not is_project(target) and (
                not target.is_dir() or any(target.iterdir())):
            return f"{target} exists and holds other files: choose another name."
        return None

    def _check(self) -> None:
        total = sum(b.value() for b in self.parts.values())
        problem = self._problem()
        target = self.project_folder()
        self.target.setText(problem or (f"Opens the project already in {target}."
                                        if is_project(target) else  # type: ignore[arg-type]
                                        f"The project will be written to {target}."))
        self.note.setText("Each image goes to one split, by its content and the seed: "
                          "training learns from train, checks itself on val, and the "
                          "figures you read come from test." if total == 100 else
                          f"The splits add up to {total} %, not 100 %.")
        ok = total == 100 and problem is None
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def _accept(self) -> None:
        if self.settings is not None:
            self.settings.setValue(LOCATION_KEY, self.location.text().strip())
        self.accept()

    def images(self) -> Path | None:
        return Path(self.folder.text()).expanduser() if self.folder.text().strip() else None

    def split(self) -> SplitSettings:
        try:
            return SplitSettings(*(b.value() / 100 for b in self.parts.values()),
                                 seed=self.seed.value())
        except InputError:
            return SplitSettings(seed=self.seed.value())
