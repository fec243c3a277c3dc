"""Every architecture ocrstudio can build, in one explicit dict (no registry, no string
class names). Each entry carries its published `full` config and a CPU-sized `tiny` one.

The detection and recognition packages each define their own dict of `ArchSpec`s
(`detection/zoo.py: DETECTORS`, `recognition/zoo.py: RECOGNIZERS`); this module joins them
and knows how to rebuild a model from a checkpoint's metadata.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from ocrstudio.engine.checkpoint import config_from_dict, load_checkpoint

Role = Literal["detector", "recognizer"]


@dataclass(frozen=True)
class ArchSpec:
    """One architecture: how to build it and its named configs.

    `build(config, charset)` returns the network; detectors ignore `charset` (pass None).
    `configs` holds at least "full" (the published model) and "tiny" (tests, CPU).
    `input_size` describes the input the full config expects, e.g. "32x100 gray".
    """

    name: str
    role: Role
    summary: str
    configs: Mapping[str, Any]
    build: Callable[[Any, Any], nn.Module]
    input_size: str

    @property
    def config_type(self) -> type:
        return type(self.configs["full"])

    def config(self, name_or_overrides: str | Mapping[str, Any] = "full") -> Any:
        if isinstance(name_or_overrides, str):
            if name_or_overrides not in self.configs:
                raise KeyError(f"{self.name} has no config {name_or_overrides!r} "
                               f"(has {sorted(self.configs)})")
            return self.configs[name_or_overrides]
        return config_from_dict(self.config_type, dict(name_or_overrides))


def _all() -> dict[str, ArchSpec]:
    from ocrstudio.engine.detection.zoo import DETECTORS
    from ocrstudio.engine.recognition.zoo import RECOGNIZERS

    return {**DETECTORS, **RECOGNIZERS}


@functools.cache
def _architectures() -> dict[str, ArchSpec]:
    return _all()


def __getattr__(name: str) -> Any:
    # ARCHITECTURES is joined on first use, not at import: detection/zoo.py and
    # recognition/zoo.py import ArchSpec from here, so joining at import time would be a
    # circular import whenever one of them is imported first.
    if name == "ARCHITECTURES":
        return _architectures()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_spec(name: str) -> ArchSpec:
    known = _architectures()
    try:
        return known[name]
    except KeyError:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(known)}"
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
