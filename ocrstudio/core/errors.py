"""Errors a user can act on. The CLI prints them as one line (no traceback) and exits 2;
the GUI shows them in a dialog. Anything else is a bug and keeps its traceback."""

from __future__ import annotations

from pathlib import Path


class OcrStudioError(Exception):
    """Base of every error that is the input's fault, not the program's."""


class InputError(OcrStudioError):
    """Bad input, located: names the file and, where there is one, the line."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}:{line}"
            where += ": "
        super().__init__(f"{where}{message}")


class CancelledError(OcrStudioError):
    """A job saw its cancel token set and stopped; nothing half-done was kept."""
