"""What the training and improve dialogs share about a run in the training pool: the
window keeps one dialog for its life (reopened during a run, it shows that run), a second
run waits its turn only when the person says so, and a run that ends while its dialog is
closed announces itself with its figures and a way back to the dialog."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from ocrstudio.ui.workers import Worker

if TYPE_CHECKING:
    from ocrstudio.ui.controllers import Jobs

SHOW_RUN = "Show the run"


D = TypeVar("D", bound=QDialog)


def one_dialog(current: D | None, make: Callable[[], D]) -> D:
    """`current`, else a dialog made by `make` (the caller keeps it), shown and raised."""
    dialog = current if current is not None else make()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def runs_ahead(jobs: Jobs) -> list[Worker]:
    """Runs of the training pool that a new run would wait behind."""
    return jobs.runner.pools.training_runs()


def ask_to_queue(parent: QWidget, ahead: list[Worker]) -> bool:
    """One run at a time unless the person queues another knowingly."""
    names = ", ".join(w.name for w in ahead)
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "A run is under way",
        f"{names} is using the training thread. Start this run when it "
        "ends? (Both would take their time from the same CPU or GPU.)",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    queue = box.addButton("Queue it", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is queue


def announce(jobs: Jobs, title: str, text: str, show: Callable[[], object]) -> QMessageBox:
    """A run ended while its dialog was closed: say so, with a button back to it."""
    box = jobs.notify(title, text)
    button = box.addButton(SHOW_RUN, QMessageBox.ButtonRole.ActionRole)
    button.clicked.connect(show)
    return box
