"""A one-line progress display for long CLI jobs: redrawn in place on a terminal,
a plain line per epoch otherwise (logs stay readable when stderr is a file)."""

from __future__ import annotations

from typing import Any, TextIO


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


class ProgressBar:
    """Callable with a `training.callbacks.Progress`."""

    def __init__(self, stream: TextIO, width: int = 24):
        self.stream, self.width = stream, width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.open = False

    def __call__(self, p: Any) -> None:
        val = ""
        if p.val:
            val = (
                " "
                + " ".join(f"{k} {v:.3f}" for k, v in p.val.items() if isinstance(v, float))[:60]
            )
        if p.phase == "train" and self.tty:
            done = int(self.width * p.step / max(1, p.total_steps))
            line = (
                f"\r[{'#' * done}{'.' * (self.width - done)}] epoch {p.epoch}/{p.epochs} "
                f"step {p.step}/{p.total_steps} loss {p.loss:.4f} lr {p.lr:.2e} "
                f"{p.samples_per_s:.0f}/s ETA {_clock(p.eta_s)}{val}"
            )
            self.stream.write(line[:160].ljust(160))
            self.stream.flush()
            self.open = True
        elif p.phase == "eval":
            self.close()
            self.stream.write(f"epoch {p.epoch}/{p.epochs} step {p.step}:{val or ' -'}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False
