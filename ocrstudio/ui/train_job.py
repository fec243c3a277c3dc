"""The training run the dialog starts, as plain data and a function (no Qt here).

The run happens in the training pool's thread. A child process was tried (spawned, with
progress over a queue) and measured worse on the 2-core machine: the fork of the large GUI
process and the child's CPU use stalled the event loop for up to ~480 ms, against ~110 ms
in a thread; so the thread it is. torch is imported in that thread, never in the GUI's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TrainSpec:
    """What the training dialog asks for."""

    project: Path
    arch: str
    config: str = "tiny"
    base: str | None = None
    fit: dict[str, Any] = field(default_factory=dict)
    extra: tuple[str, ...] = ()


def train(spec: TrainSpec, progress: Callable[..., None], cancel: Any) -> Any:
    """Run the project's training job (`services.training.TrainJob`) for `spec`."""
    from ocrstudio.services.training import TrainJob
    from ocrstudio.training.config import FitConfig

    job = TrainJob(spec.project, arch=spec.arch, config=spec.config, base=spec.base,
                   fit=FitConfig(**spec.fit), extra=spec.extra)
    return job.run(progress, cancel)
