"""The training run the dialog starts, as plain data and a function (no Qt here).

The run happens in the training pool's thread. A child process was tried (spawned, with
progress over a queue) and measured worse on the 2-core machine: the fork of the large GUI
process and the child's CPU use stalled the event loop for up to ~480 ms, against ~110 ms
in a thread; so the thread it is. torch is imported in that thread, never in the GUI's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocrstudio.services.jobs import JobProgress, Progress


@dataclass(frozen=True)
class TrainSpec:
    """What the training dialog asks for."""

    project: Path
    arch: str
    config: str = "tiny"
    base: str | None = None
    fit: dict[str, Any] = field(default_factory=dict)
    extra: tuple[str, ...] = ()


def train(spec: TrainSpec, progress: Progress, cancel: Any) -> Any:
    """Run the project's training job (`services.training.TrainJob`) for `spec`; each of
    fit's reports goes out as the `detail` of a `JobProgress` counting steps."""
    from ocrstudio.services.training import TrainJob
    from ocrstudio.training.config import FitConfig

    def report(p: Any) -> None:
        loss = f"loss {p.loss:.4f}" if p.loss is not None else ""
        progress(JobProgress(p.step, p.total_steps, loss, p.samples_per_s or None, detail=p))

    job = TrainJob(spec.project, arch=spec.arch, config=spec.config, base=spec.base,
                   fit=FitConfig(**spec.fit), extra=spec.extra)
    return job.run(report, cancel)
