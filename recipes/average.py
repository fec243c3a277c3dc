"""Weight averaging over the checkpoints of one run (stochastic weight averaging, taken
after the fact): a constant learning rate leaves the weights wandering round a minimum,
and their mean sits nearer its middle than any one of them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ocrstudio.core.errors import InputError


def average_checkpoints(paths: Sequence[Path], out: Path) -> Path:
    """Write the element-wise mean of the checkpoints' floating-point tensors (BatchNorm
    running statistics included, an approximation that holds for checkpoints this close)
    to `out`, integer tensors (batch counters) from the last. The card is the last
    checkpoint's, with the averaged files named in its lineage."""
    import torch

    from ocrstudio.engine.checkpoint import load_checkpoint, save_checkpoint

    if not paths:
        raise InputError("nothing to average: no checkpoints given")
    total: dict[str, Any] = {}
    for path in paths:
        state, card = load_checkpoint(path)
        if total and state.keys() != total.keys():
            raise InputError("holds other tensors than the first checkpoint", path)
        for name, t in state.items():
            if not t.is_floating_point():
                total[name] = t
            elif name in total:
                if total[name].shape != t.shape:
                    raise InputError(f"{name} has another shape than in the first", path)
                total[name] += t.to(torch.float64)
            else:
                total[name] = t.to(torch.float64)
    n = len(paths)
    state = {k: (v / n).to(torch.float32) if v.is_floating_point() else v for k, v in total.items()}
    lineage = {**card.lineage, "averaged": [str(p) for p in paths]}
    return save_checkpoint(out, state, card.with_(lineage=lineage))
