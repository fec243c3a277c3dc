"""Every architecture ocrstudio can build, in one explicit dict (no registry, no string
class names). Each entry carries its published `full` config and a CPU-sized `tiny` one.

The detection and recognition packages each define their own dict of `ArchSpec`s
(`detection/zoo.py: DETECTORS`, `recognition/zoo.py: RECOGNIZERS`); this module joins them
and knows how to rebuild a model from a checkpoint (its card and weights) and how to card
a new one. `ArchSpec` itself lives in
the leaf module `spec.py`, so the zoos import it without importing this module back.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ocrstudio.core.errors import InputError
from ocrstudio.engine.card import InputSize, ModelCard, Normalization, resolve_weights
from ocrstudio.engine.checkpoint import build_checked, load_checkpoint
from ocrstudio.engine.detection.protocol import Detector, as_detector
from ocrstudio.engine.detection.zoo import DETECTORS, detector_card
from ocrstudio.engine.recognition.protocol import Recognizer, as_recognizer
from ocrstudio.engine.recognition.zoo import RECOGNIZERS
from ocrstudio.engine.spec import ROLES, ArchSpec, Recipe, Role

__all__ = [
    "ARCHITECTURES",
    "ROLES",
    "ArchSpec",
    "Recipe",
    "Role",
    "count_parameters",
    "get_spec",
    "load_detector",
    "load_model",
    "load_recognizer",
    "new_card",
]

ARCHITECTURES: dict[str, ArchSpec] = {**DETECTORS, **RECOGNIZERS}


def get_spec(name: str) -> ArchSpec:
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise KeyError(
            f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}"
        ) from None


def count_parameters(model: nn.Module) -> int:
    """Every parameter, frozen ones included (what `ocrstudio models` reports)."""
    return sum(p.numel() for p in model.parameters())


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, ModelCard]:
    """Rebuild the network a checkpoint describes and load its weights (eval mode)."""
    state, card = load_checkpoint(path)
    try:  # a crafted model.json: one line naming the file, not a traceback
        spec = get_spec(card.architecture)
        cfg = spec.config(card.config)
    except (KeyError, ValueError, TypeError) as exc:
        reason = str(exc.args[0] if exc.args else exc)[:200]
        raise InputError(f"bad model card: {reason}", resolve_weights(path)) from None
    model = build_checked(lambda: spec.build(cfg, card.charset), state, resolve_weights(path))
    float_dtype = next((p.dtype for p in model.parameters()), torch.float32)
    state = {k: (v.to(float_dtype) if v.is_floating_point() else v) for k, v in state.items()}
    model.load_state_dict(state, strict=True)
    return model.to(device).eval(), card


def load_detector(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[Detector, ModelCard]:
    """`load_model` for a detector: refused (InputError) when the checkpoint holds a
    recognizer, and the network checked against the `Detector` contract."""
    model, card = load_model(path, device)
    _expect_role(card, "detector", path)
    return as_detector(model), card


def load_recognizer(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[Recognizer, ModelCard]:
    """`load_model` for a recognizer: refused (InputError) when the checkpoint holds a
    detector, and the network checked against the `Recognizer` contract."""
    model, card = load_model(path, device)
    _expect_role(card, "recognizer", path)
    return as_recognizer(model), card


def _expect_role(card: ModelCard, role: Role, path: str | Path) -> None:
    # the architecture decides what the network is (old cards may name no role)
    held = get_spec(card.architecture).role
    if held != role:
        raise InputError(f"holds a {held}, not a {role}", path)


def new_card(spec: ArchSpec, model: nn.Module, name: str | None = None) -> ModelCard:
    """The card a new checkpoint of `model` (an `spec` network) carries: what `load_model`
    and the predictors read back (a recognizer's charset and crop input, a detector's input
    size and normalisation)."""
    net: Any = model  # an ocrstudio network: its config and charset are attributes
    cfg = net.config
    if spec.role == "detector":
        return detector_card(spec.name, cfg, name=name)
    inp = cfg.input
    return ModelCard(
        architecture=spec.name,
        role=spec.role,
        name=name or spec.name,
        config=dataclasses.asdict(cfg),
        charset=net.charset,
        normalization=Normalization(
            tuple(inp.mean), tuple(inp.std), 255.0, "gray" if inp.channels == 1 else "RGB"
        ),
        input=InputSize(other=dataclasses.asdict(inp)),
    )
