"""The job protocol every long service job speaks (no Qt): `run(progress, cancel) -> result`.

A job reports `JobProgress` records through `progress` and calls `check_cancel(cancel)`
between steps (an image, a batch); the GUI's worker turns the records into signals and the
CLI logs them. `cancel` is anything with `is_set()` (a `threading.Event`, the GUI's flag).

Training reports its own richer record (`training.callbacks.Progress`: loss, lr, metrics);
the window wraps each one in a `JobProgress` whose `detail` it is. The cancel token is
defined once, in `training.callbacks` (the lowest layer that takes one), and re-exported
here, since `training` sits below `services` and cannot import this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ocrstudio.core.errors import CancelledError
from ocrstudio.training.callbacks import CancelToken


@dataclass(frozen=True)
class JobProgress:
    """One report. `total` 0: not known yet. `per_s`: items per second so far. `landed`:
    ids of what was just written (images), so a window can show them at once. `detail`: a
    job's own record (a training report)."""

    done: int
    total: int = 0
    message: str = ""
    per_s: float | None = None
    landed: tuple[int, ...] = ()
    detail: Any = None

    def text(self) -> str:
        """The line a person reads: the message, then the rate when there is one."""
        rate = f"{self.per_s:.2f}/s" if self.per_s else ""
        return " · ".join(p for p in (self.message, rate) if p)


Progress = Callable[[JobProgress], None]
__all__ = ["CancelToken", "JobProgress", "Progress", "check_cancel", "report"]


def check_cancel(cancel: CancelToken | None, what: str = "cancelled; nothing was changed"
                 ) -> None:
    """Raise `CancelledError` when the token is set (the worker reports it as cancelled)."""
    if cancel is not None and cancel.is_set():
        raise CancelledError(what)


def report(progress: Progress | None, done: int, total: int = 0, message: str = "",
           landed: tuple[int, ...] = (), started: float | None = None) -> None:
    """Send one record, if anybody listens; `started` (a `time.monotonic()` value) adds the
    rate `done / elapsed`."""
    if progress is None:
        return
    per_s = None
    if started is not None and done:
        per_s = done / max(time.monotonic() - started, 1e-6)
    progress(JobProgress(done, total, message, per_s, landed))
