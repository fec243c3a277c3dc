"""Where a network runs: the one device choice of the predictors and the training loop."""

from __future__ import annotations

import torch

from ocrstudio.core.errors import OcrStudioError


def pick_device(device: str | torch.device = "auto", local_rank: int | None = None) -> torch.device:
    """ "auto" is CUDA when a GPU is present, else the CPU; anything else is taken as given.

    Asking for CUDA without a GPU is an OcrStudioError (a one-line message instead of
    torch's failure at the first tensor moved). `local_rank` (a DDP process's) picks that
    process's GPU for a bare "cuda"."""
    name = str(device)
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise OcrStudioError(f"--device {name} asked for, but no CUDA GPU is available")
    if name == "cuda" and local_rank is not None:
        return torch.device("cuda", local_rank)
    return torch.device(name)
