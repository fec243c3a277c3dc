"""New project from a folder of images: the folder, and the split ratios said plainly
(train / val / test by image, from each image's content hash and a seed, so the same photo
always lands in the same split)."""

from __future__ import annotations

from pathlib import Path

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
    QWidget,
)

from ocrstudio.core.errors import InputError
from ocrstudio.services.project import SplitSettings


class NewProjectDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New project from a folder of images")
        default = SplitSettings()
        self.folder = QLineEdit(placeholderText="The photos stay where they are")
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.parts = {name: QSpinBox(minimum=0, maximum=100, suffix=" %",
                                     value=round(100 * getattr(default, name)))
                      for name in ("train", "val", "test")}
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=default.seed)
        self.note = QLabel()
        self.note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Images", row)
        for name, box in self.parts.items():
            box.valueChanged.connect(self._check)
            form.addRow(f"{name.capitalize()} split", box)
        form.addRow("Seed", self.seed)
        form.addRow(self.note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._check()
        self.resize(520, 0)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of images")
        if folder:
            self.folder.setText(folder)

    def _check(self) -> None:
        total = sum(b.value() for b in self.parts.values())
        ok = total == 100
        self.note.setText("Each image goes to one split, by its content and the seed: "
                          "training learns from train, checks itself on val, and the "
                          "figures you read come from test." if ok else
                          f"The splits add up to {total} %, not 100 %.")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def images(self) -> Path | None:
        return Path(self.folder.text()) if self.folder.text().strip() else None

    def split(self) -> SplitSettings:
        try:
            return SplitSettings(*(b.value() / 100 for b in self.parts.values()),
                                 seed=self.seed.value())
        except InputError:
            return SplitSettings(seed=self.seed.value())
