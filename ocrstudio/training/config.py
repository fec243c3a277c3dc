"""How a model is trained: one frozen dataclass, stored in every checkpoint's model card."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
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
    `max_seconds`: a time budget. Without `steps`, the loop times its first steps and
    sets the schedule's length to what fits; either way it ends, evaluates and saves once
    the time is spent.
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
    warmup: float = 0.1  # one-cycle: fraction of steps spent rising
    poly_power: float = 0.9  # DBNet's (1 - t)^0.9
    grad_clip: float | None = 5.0
    amp: bool = True
    seed: int = 0
    workers: int = 0
    eval_every: int = 1  # epochs
    eval_size: int | None = 1000  # validation samples per evaluation (None: all)
    patience: int | None = None
    device: Device = "auto"
    augment: bool = True
    log_every: int = 10  # progress reports every N steps (and at epoch ends)
    max_seconds: float | None = None

    def with_(self, **changes: object) -> FitConfig:
        return replace(self, **changes)  # type: ignore[arg-type]


def paper_recipe(architecture: str, base: FitConfig = FitConfig()) -> FitConfig:
    """The optimiser and schedule the architecture's paper trained with (its zoo entry's
    `recipe`: DBNet and TCM SGD + poly, CRNN Adadelta, ABINet Adam, CLIP4STR AdamW +
    one-cycle), laid over `base`. An unknown name keeps `base` (AdamW + one-cycle)."""
    from ocrstudio.engine.zoo import ARCHITECTURES  # torch: only when a recipe is asked for

    spec = ARCHITECTURES.get(architecture)
    if spec is None:
        return base
    return base.with_(**{k: v for k, v in asdict(spec.recipe).items() if v is not None})


@dataclass(frozen=True)
class ClipChoice:
    """Where a new TCM or CLIP4STR model's CLIP weights come from: a local checkpoint file
    or an open_clip tag (`openai`), and whether open_clip may download a tag. Only the
    person running ocrstudio sets this (`train --clip-weights/--allow-download`, the
    training dialog); a model file never can (see `engine.checkpoint`)."""

    weights: str | None = None
    allow_download: bool = False
