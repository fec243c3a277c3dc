"""The job protocol every long service job speaks (no Qt): `run(progress, cancel) -> result`.

A job reports `JobProgress` records through `progress` and calls `check_cancel(cancel)`
between steps (an image, a batch); the GUI's worker turns the records into signals and the
CLI logs them. `cancel` is anything with `is_set()` (a `threading.Event`, the GUI's flag).

Training reports its own richer record (`training.callbacks.Progress`: loss, lr, metrics);
the window wraps each one in a `JobProgress` whose `detail` it is. The cancel token and
its check live in `core.cancel`, since training, below the services, takes one too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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


JobProgressCallback = Callable[[JobProgress], None]


def report(
    progress: JobProgressCallback | None,
    done: int,
    total: int = 0,
    message: str = "",
    landed: tuple[int, ...] = (),
    started: float | None = None,
) -> None:
    """Send one record, if anybody listens; `started` (a `time.monotonic()` value) adds the
    rate `done / elapsed`."""
    if progress is None:
        return
    per_s = None
    if started is not None and done:
        per_s = done / max(time.monotonic() - started, 1e-6)
    progress(JobProgress(done, total, message, per_s, landed))
