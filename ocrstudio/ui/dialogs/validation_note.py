"""The training dialog's note when nothing would validate a run: no verified photo in the
val split leaves the validation chart empty and the run's last step kept unchecked. It says
so and what to do, and offers to hold a few verified training photos out for validation."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ocrstudio.services import annotation as an
from ocrstudio.services import image_ops
from ocrstudio.services.project import ProjectHandle

HOLD_OUT_SHARE = 0.1  # of the verified training photos, at least one, one always left


def verified_ids(project: ProjectHandle, split: str) -> list[int]:
    return [
        r.id
        for r in an.list_images(project)
        if r.status == an.ImageStatus.VERIFIED and r.split.value == split
    ]


def hold_out_count(train: int) -> int:
    return 0 if train < 2 else min(train - 1, max(1, round(HOLD_OUT_SHARE * train)))


class ValidationNote(QWidget):
    held_out = Signal(int)  # photos moved from train to val

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.project: ProjectHandle | None = None
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setStyleSheet("color: #8a4b00;")
        self.button = QPushButton()
        self.button.clicked.connect(self.hold_out)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addLayout(row)
        self.hide()

    def refresh(self, project: ProjectHandle | None) -> bool:
        """Show the note when nothing validates a run; True when something does."""
        self.project = project
        if project is None or verified_ids(project, "val"):
            self.hide()
            return project is not None
        n = hold_out_count(len(verified_ids(project, "train")))
        self.text.setText(
            "Nothing validates this run: no photo of the val split is verified, so the "
            "validation chart stays empty and the run keeps its last step unchecked. Verify "
            "a photo of the val split (the Images list shows each photo's split), or hold "
            "some verified photos out for validation."
        )
        self.button.setText(f"Hold out {n} verified photo(s) for validation")
        self.button.setVisible(n > 0)
        self.show()
        return False

    def hold_out(self) -> None:
        if self.project is None:
            return
        train = verified_ids(self.project, "train")
        moved = train[len(train) - hold_out_count(len(train)) :]
        if moved:
            image_ops.set_split(self.project, moved, "val")
            self.held_out.emit(len(moved))
        self.refresh(self.project)
