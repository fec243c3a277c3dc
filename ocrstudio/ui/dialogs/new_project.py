"""New project from a folder of images: the photos' folder, the project's name and where it
lives (never silently inside the photos' folder: that may be read-only, synced or shared),
and the split ratios said plainly (train / val / test by image, from each image's content
hash and a seed, so the same photo always lands in the same split).

Ticking "Team project on a PostgreSQL server" makes a team project instead (the service
`ocrstudio project new P --db URL` uses, `services.team.create_team_project`): the folder
gets `team.json` and the labels live on the server. The URL carries no password: one in it
is refused, as the command line refuses it, and the dialog says where libpq reads it from
(~/.pgpass or PGPASSWORD)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import (
    QCheckBox,
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
from ocrstudio.services.team_file import checked_url

LOCATION_KEY = "new_project/location"  # the last place a project was made, offered again
BAD_NAME_CHARS = set('/\\:*?"<>|')
LEGACY_DIR_NAME = "ocrstudio_project"  # where older versions put it, inside the photos' folder
SERVER_KEY = "new_project/server"  # the last team server named, offered again
SERVER_HELP = (
    "An empty database on the team's server. No password in the URL: it comes "
    "from ~/.pgpass (HOST:PORT:DATABASE:USER:PASSWORD, mode 600) or PGPASSWORD, "
    "as every PostgreSQL tool reads it, and is never stored in the project. Put "
    "the project's folder, and the photos in or beside it, on a drive the team "
    "shares."
)


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
        self.parts = {
            name: QSpinBox(
                minimum=0, maximum=100, suffix=" %", value=round(100 * getattr(default, name))
            )
            for name in ("train", "val", "test")
        }
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=default.seed)
        self.target = QLabel()  # where the project will be written, said before it is
        self.target.setWordWrap(True)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self._team_fields(settings)
        form = QFormLayout()
        form.addRow("Images", _row(self.folder, browse_images))
        form.addRow("Project name", self.name)
        form.addRow("Location", _row(self.location, browse_location))
        self._split_and_team_rows(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        # wrapped labels below the form, in a box layout: a row spanning a QFormLayout
        # got one line's height and cut the help text off
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.server_help)
        layout.addWidget(self.target)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        for field in (self.folder, self.name, self.location, self.server):
            field.textChanged.connect(self._check)
        self.folder.textChanged.connect(self._name_from_images)
        self._check()
        self.resize(560, self.sizeHint().height())

    def _split_and_team_rows(self, form: QFormLayout) -> None:
        for name, box in self.parts.items():
            box.valueChanged.connect(self._check)
            form.addRow(f"{name.capitalize()} split", box)
        form.addRow("Seed", self.seed)
        form.addRow("", self.team)
        form.addRow("Server", self.server)

    def _team_fields(self, settings: QSettings | None) -> None:
        """The team choice: a box, the server's URL (shown while ticked) and where the
        password comes from."""
        self.team = QCheckBox("Team project on a PostgreSQL server")
        last = settings.value(SERVER_KEY, "") if settings is not None else ""
        self.server = QLineEdit(
            str(last or ""), placeholderText="postgresql://USER@HOST:5432/DATABASE"
        )
        self.server_help = QLabel(SERVER_HELP)
        self.server_help.setWordWrap(True)
        self.team.toggled.connect(self._team_toggled)
        self._team_toggled(False)

    def _team_toggled(self, on: bool) -> None:
        self.server.setEnabled(on)
        self.server_help.setVisible(on)
        if hasattr(self, "buttons"):
            self._check()

    def server_url(self) -> str | None:
        """The team server's URL as typed (checked by `_problem`), or None for a project
        file."""
        return self.server.text().strip() if self.team.isChecked() else None

    def _browse_images(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of images")
        if folder:
            self.folder.setText(folder)

    def _browse_location(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Where the project goes", self.location.text()
        )
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
            return 'Give the project a name (no / \\ : * ? " < > |) and a location.'
        if (
            target.exists()
            and not is_project(target)
            and (not target.is_dir() or any(target.iterdir()))
        ):
            return f"{target} exists and holds other files: choose another name."
        return self._server_problem(target)

    def _server_problem(self, target: Path) -> str | None:
        url = self.server_url()
        if url is None:
            return None
        if not url:
            return "Give the team server's URL: postgresql://USER@HOST:5432/DATABASE."
        try:
            checked_url(url)
        except InputError as exc:
            return f"The server's URL: {exc}"
        if is_project(target):
            return f"{target} is a project already: choose another name for the team project."
        return None

    def _check(self) -> None:
        total = sum(b.value() for b in self.parts.values())
        problem = self._problem()
        target = self.project_folder()
        self.target.setText(problem or (self._plan(target) if target is not None else ""))
        self.note.setText(
            "Each image goes to one split, by its content and the seed: "
            "training learns from train, checks itself on val, and the "
            "figures you read come from test."
            if total == 100
            else f"The splits add up to {total} %, not 100 %."
        )
        ok = total == 100 and problem is None
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        self._fit()

    def _fit(self) -> None:
        """Taller when the text below the form grows (the team help, a long reason): the
        rows above are never squeezed."""
        layout = self.layout()
        if layout is not None:
            need = layout.heightForWidth(self.width()) if layout.hasHeightForWidth() else -1
            need = max(need, layout.minimumSize().height())
            if self.height() < need:
                self.resize(self.width(), need)

    def _plan(self, target: Path) -> str:
        """What Ok will do, said before it is done."""
        if is_project(target):
            return f"Opens the project already in {target}."
        url = self.server_url()
        if url is None:
            return f"The project will be written to {target}."
        plan = (
            f"The team project will be written to {target} (team.json, models/), its "
            f"labels to {checked_url(url)}."
        )
        images = self.images()
        if images is not None and not images.resolve().is_relative_to(target.resolve().parent):
            plan += (
                " The photos lie outside the project's folder: they are named by their "
                "full path, which every member must then mount alike."
            )
        return plan

    def _accept(self) -> None:
        if self.settings is not None:
            self.settings.setValue(LOCATION_KEY, self.location.text().strip())
            if self.server_url():
                self.settings.setValue(SERVER_KEY, checked_url(self.server.text()))
        self.accept()

    def images(self) -> Path | None:
        return Path(self.folder.text()).expanduser() if self.folder.text().strip() else None

    def split(self) -> SplitSettings:
        try:
            part = {name: b.value() / 100 for name, b in self.parts.items()}
            return SplitSettings(
                train=part["train"], val=part["val"], test=part["test"], seed=self.seed.value()
            )
        except InputError:
            return SplitSettings(seed=self.seed.value())
