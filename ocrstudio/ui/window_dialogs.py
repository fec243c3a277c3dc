"""The window's dialogs: one training and one improve dialog for its life (reopened during
a run, each shows that run; the models panel's Train button opens the first), and those
opened afresh each time (find and replace, import, export, quick OCR, the shortcuts)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ocrstudio.ui.dialogs.live_run import one_dialog

if TYPE_CHECKING:  # the window imports this module; the reference back is for typing only
    from ocrstudio.ui.dialogs.improve import ImproveDialog
    from ocrstudio.ui.dialogs.training import TrainingDialog
    from ocrstudio.ui.main_window import MainWindow


class WindowDialogs:
    """The dialogs of one `MainWindow` (imported when first opened: a quicker start)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.training_dialog: TrainingDialog | None = None
        self.improve_dialog: ImproveDialog | None = None
        window.models_panel.train_requested.connect(self.train)

    def train(self) -> TrainingDialog | None:
        """Models > Train (or the panel's button); None without a project."""
        from ocrstudio.ui.dialogs.training import TrainingDialog

        w = self.window
        if w.project is None:
            return None
        self.training_dialog = one_dialog(
            self.training_dialog, lambda: TrainingDialog(w.jobs, w.models_panel, w)
        )
        return self.training_dialog

    def improve(self) -> ImproveDialog | None:
        """Models > Improve; None without a project."""
        from ocrstudio.ui.dialogs.improve import ImproveDialog

        w = self.window
        if w.project is None:
            return None
        self.improve_dialog = one_dialog(
            self.improve_dialog, lambda: ImproveDialog(w.jobs, w.models_panel, w)
        )
        return self.improve_dialog

    def find(self) -> None:
        from ocrstudio.ui.review import FindDialog

        FindDialog(self.window.editor, self.window.jobs, self.window).show()

    def import_labels(self) -> None:
        from ocrstudio.ui.dialogs.transfer import ImportDialog

        if self.window.project is not None:
            ImportDialog(self.window.jobs, self.window).exec()

    def export_labels(self) -> None:
        from ocrstudio.ui.dialogs.transfer import ExportDialog

        if self.window.project is not None:
            ExportDialog(self.window.jobs, self.window).exec()

    def quick_ocr(self, file: Path | None = None, pixels: np.ndarray | None = None) -> None:
        """A photo read with the shipped models (asked for when neither is given)."""
        from ocrstudio.ui.quick_ocr import QuickOcrDialog

        QuickOcrDialog.open_for(self.window, file, pixels)

    def shortcuts(self) -> None:
        from ocrstudio.ui.dialogs.shortcuts import ShortcutsDialog

        ShortcutsDialog(self.window).exec()
