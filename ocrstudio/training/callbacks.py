"""What `fit` reports while it runs: plain dataclasses, safe to pass across threads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Phase = Literal["train", "eval", "epoch", "done"]


@dataclass(frozen=True)
class Progress:
    """One report. `loss` and `parts` are running means since the last report; `val`
    holds the latest validation metrics (None before the first evaluation).
    `eta_s` is the estimated time left for the whole run."""

    phase: Phase
    step: int
    total_steps: int
    epoch: int
    epochs: int
    loss: float
    parts: Mapping[str, float] = field(default_factory=dict)
    lr: float = 0.0
    samples_per_s: float = 0.0
    eta_s: float | None = None
    val: Mapping[str, float] | None = None
    best: float | None = None


ProgressCallback = Callable[[Progress], None]
