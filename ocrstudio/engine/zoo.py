"""Every architecture ocrstudio can build, in one explicit dict (no registry, no string
class names). Each entry carries its published `full` config and a CPU-sized `tiny` one.

The detection and recognition packages each define their own dict of `ArchSpec`s
(`detection/zoo.py: DETECTORS`, `recognition/zoo.py: RECOGNIZERS`); this module joins them
and knows how to rebuild a model from a checkpoint's metadata. `ArchSpec` itself lives in
the leaf module `spec.py`, so the zoos import it without importing this module back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ocrstudio.engine.checkpoint import load_checkpoint
from ocrstudio.engine.detection.zoo import DETECTORS
from ocrstudio.engine.recognition.zoo import RECOGNIZERS
from ocrstudio.engine.spec import ROLES, ArchSpec, Recipe, Role

__all__ = ["ARCHITECTURES", "ROLES", "ArchSpec", "Recipe", "Role", "count_parameters",
           "get_spec", "load_model"]

ARCHITECTURES: dict[str, ArchSpec] = {**DETECTORS, **RECOGNIZERS}


def get_spec(name: str) -> ArchSpec:
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}"
                       ) from None


def count_parameters(model: nn.Module) -> int:
    """Every parameter, frozen ones included (what `ocrstudio models` reports)."""
    return sum(p.numel() for p in model.parameters())


def load_model(path: str | Path, device: str | torch.device = "cpu"
               ) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the network a checkpoint describes and load its weights (eval mode)."""
    state, meta = load_checkpoint(path)
    spec = get_spec(meta["architecture"])
    cfg = spec.config(meta["config"])
    charset = None
    if meta.get("charset") is not None:
        from ocrstudio.core.charset import Charset

        charset = Charset.from_meta(meta["charset"])
    model = spec.build(cfg, charset)
    float_dtype = next((p.dtype for p in model.parameters()), torch.float32)
    state = {k: (v.to(float_dtype) if v.is_floating_point() else v) for k, v in state.items()}
    model.load_state_dict(state, strict=True)
    return model.to(device).eval(), meta
