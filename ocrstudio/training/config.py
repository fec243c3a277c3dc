"""How a model is trained: one frozen dataclass, stored in every checkpoint's metadata."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Optimizer = Literal["adamw", "adam", "sgd", "adadelta"]
Schedule = Literal["onecycle", "poly", "cosine", "constant"]
Device = Literal["auto", "cpu", "cuda"]


@dataclass(frozen=True)
class FitConfig:
    """Training settings.

    `steps` (optimizer steps in all), when given, wins over `epochs`. `epoch_size` is the
    number of samples one epoch draws when the data is synthetic or mixed (None: the
    training set's length). `batch_size` is the global batch: under DDP each of the N
    processes takes batch_size / N, so the same config gives the same updates.
    `amp` autocasts to bfloat16 on CUDA (never on the CPU, where it is slower).
    `patience`: stop after this many evaluations without a better validation metric.
    """

    epochs: int = 10
    steps: int | None = None
    epoch_size: int | None = None
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: Optimizer = "adamw"
    momentum: float = 0.9
    weight_decay: float = 1e-4
    schedule: Schedule = "onecycle"
    warmup: float = 0.1          # one-cycle: fraction of steps spent rising
    poly_power: float = 0.9      # DBNet's (1 - t)^0.9
    grad_clip: float | None = 5.0
    amp: bool = True
    seed: int = 0
    workers: int = 0
    eval_every: int = 1          # epochs
    eval_size: int | None = 1000 # validation samples per evaluation (None: all)
    patience: int | None = None
    device: Device = "auto"
    augment: bool = True
    log_every: int = 10          # progress reports every N steps (and at epoch ends)

    def with_(self, **changes: object) -> FitConfig:
        return replace(self, **changes)  # type: ignore[arg-type]


def paper_recipe(architecture: str, base: FitConfig = FitConfig()) -> FitConfig:
    """The optimiser and schedule each paper trained with, on top of `base`.

    DBNet: SGD (momentum 0.9, weight decay 1e-4), lr 0.007, poly decay (power 0.9).
    CRNN: Adadelta, lr 1.0 (rho 0.9), constant. ABINet: Adam lr 1e-4. CLIP4STR / PARSeq:
    AdamW with one-cycle. Anything else keeps `base` (AdamW + one-cycle).
    """
    if architecture.startswith("dbnet") or architecture.startswith("tcm"):
        return base.with_(optimizer="sgd", lr=0.007, weight_decay=1e-4, schedule="poly")
    if architecture.startswith("crnn"):
        return base.with_(optimizer="adadelta", lr=1.0, weight_decay=0.0, schedule="constant")
    if architecture.startswith("abinet"):
        return base.with_(optimizer="adam", lr=1e-4, weight_decay=0.0, schedule="constant")
    if architecture.startswith(("clip4str", "parseq")):
        return base.with_(optimizer="adamw", lr=8.4e-5, schedule="onecycle")
    return base
