"""Cancelling a long job: the token a job polls and the check that stops it. Every layer
that runs long work (training's loop, the services' jobs) takes a token, so it is defined
here, below them all, beside `CancelledError`."""

from __future__ import annotations

from typing import Protocol

from ocrstudio.core.errors import CancelledError


class CancelToken(Protocol):
    """Anything with `is_set()`: a threading.Event, a multiprocessing.Event, the GUI's
    flag."""

    def is_set(self) -> bool: ...


def check_cancel(cancel: CancelToken | None, what: str = "cancelled; nothing was changed") -> None:
    """Raise `CancelledError` when the token is set (the worker reports it as cancelled)."""
    if cancel is not None and cancel.is_set():
        raise CancelledError(what)
