"""CLIP models from open_clip, built without touching the network unless asked to.

Shared by the CLIP-based detector (TCM, RN50) and recognizer (CLIP4STR, ViT-B/16).

`create_clip(model_name, weights, allow_download=False)` builds an open_clip `CLIP` and fills
it from, in order of preference:

1. a local checkpoint file: open_clip's own state dict (`.safetensors`, or `.pt`/`.pth`/
   `.bin` read with `torch.load(weights_only=True)`, optionally wrapped in `{"state_dict":
   ...}`), or OpenAI's original TorchScript archive (`RN50.pt`, read with `torch.jit.load`,
   whose loader restores tensors and TorchScript code only, never arbitrary Python objects);
2. an open_clip pretrained tag such as `"openai"`, downloaded by open_clip, but only when
   `allow_download=True` (a user's online machine; never in tests);
3. otherwise random initialisation, with a logged warning.

Loading adapts the checkpoint to the model being built: the attention-pool position grid
of a ModifiedResNet (and a ViT's patch grid) is resized to the requested `image_size`, and
the text position table is truncated to a shorter `context_length` (what TCM does).
"""

from __future__ import annotations

import copy
import logging
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ocrstudio.core.errors import InputError

log = logging.getLogger(__name__)

# The normalisation every OpenAI-style CLIP was trained with (RGB, 0..1 input).
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

_WEIGHT_SUFFIXES = {".pt", ".pth", ".bin", ".safetensors", ".ckpt"}
_NON_WEIGHT_KEYS = ("input_resolution", "context_length", "vocab_size")


def clip_model_config(model_name: str) -> dict[str, Any]:
    """open_clip's built-in config for `model_name` (a copy the caller may edit)."""
    import open_clip

    cfg = open_clip.get_model_config(model_name)
    if cfg is None:
        raise ValueError(
            f"open_clip has no model {model_name!r}; known: {', '.join(open_clip.list_models())}"
        )
    return copy.deepcopy(cfg)


def create_clip(
    model_name: str,
    weights: str | Path | None = None,
    *,
    allow_download: bool = False,
    model_cfg: Mapping[str, Any] | None = None,
    image_size: int | None = None,
    context_length: int | None = None,
    cache_dir: str | None = None,
) -> torch.nn.Module:
    """Build an open_clip CLIP model and load its weights (see the module docstring).

    `model_name`: an open_clip architecture ("RN50", "RN50-quickgelu", "ViT-B-16", ...).
    `model_cfg`: a custom open_clip config dict (`embed_dim`, `vision_cfg`, `text_cfg`,
    optional `quick_gelu`) used instead of the built-in one, e.g. a tiny model for tests;
    `model_name` then only names it in messages and tag look-ups.
    `weights`: a local file, an open_clip pretrained tag, or None.
    `image_size` / `context_length`: override the vision input size and text length.
    Returns the model in train mode on the CPU, in float32.
    """
    import open_clip

    cfg = copy.deepcopy(dict(model_cfg)) if model_cfg is not None else clip_model_config(model_name)
    if image_size is not None:
        cfg["vision_cfg"]["image_size"] = image_size
    if context_length is not None:
        cfg["text_cfg"]["context_length"] = context_length
    if cfg.pop("custom_text", False) or "hf_model_name" in cfg.get("text_cfg", {}):
        raise ValueError(
            f"{model_name}: only CLIP models with the built-in text tower are "
            "supported (no Hugging Face text models: they would download)"
        )
    model = open_clip.CLIP(**cfg)

    path = _weights_file(model_name, weights, allow_download, cache_dir)
    if path is None:
        why = "no weights given" if weights is None else f"weights {str(weights)!r} unavailable"
        log.warning(
            "CLIP %s starts from random weights (%s); pass a local checkpoint file "
            "to start from pretrained CLIP",
            model_name,
            why,
        )
        return model
    state = load_clip_state_dict(path)
    load_into_clip(model, state, source=path)
    log.info("CLIP %s weights loaded from %s", model_name, path)
    return model


def _weights_file(
    model_name: str, weights: str | Path | None, allow_download: bool, cache_dir: str | None
) -> Path | None:
    """Where the weights are on disk, downloading a tag only when allowed; None: random."""
    if weights is None:
        return None
    path = Path(weights).expanduser()
    if path.is_file():
        return path
    text = str(weights)
    if path.suffix in _WEIGHT_SUFFIXES or "/" in text or "\\" in text:
        raise InputError("CLIP weights file not found", path)
    return _download_tag(model_name, text, allow_download, cache_dir)


def _download_tag(
    model_name: str, tag: str, allow_download: bool, cache_dir: str | None
) -> Path | None:
    from open_clip import pretrained as oc_pretrained

    cfg = oc_pretrained.get_pretrained_cfg(model_name, tag)
    if not cfg and model_name.endswith("-quickgelu"):
        cfg = oc_pretrained.get_pretrained_cfg(model_name.removesuffix("-quickgelu"), tag)
    if not cfg:
        known = oc_pretrained.list_pretrained_tags_by_model(model_name)
        raise InputError(
            f"{tag!r} is neither a file nor an open_clip pretrained tag of "
            f"{model_name} (tags: {', '.join(known) or 'none'})"
        )
    if not allow_download:
        log.warning(
            "CLIP tag %r needs a download, which is not allowed here (allow_download=False)", tag
        )
        return None
    try:
        return Path(oc_pretrained.download_pretrained(cfg, cache_dir=cache_dir))
    except Exception as exc:  # offline, proxy, hub errors: all mean "not available"
        log.warning("downloading CLIP %s/%s failed: %s", model_name, tag, exc)
        return None


def load_clip_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a CLIP checkpoint file into a flat float state dict, never unpickling objects."""
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            raw: Any = load_file(str(path))
        elif _is_torchscript(path):
            with warnings.catch_warnings():  # torch.jit is deprecated, yet OpenAI ships it
                warnings.simplefilter("ignore", FutureWarning)
                raw = torch.jit.load(str(path), map_location="cpu").state_dict()
        else:
            raw = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file, foreign pickle, ...: the file's fault
        raise InputError(f"cannot read CLIP weights: {exc}", path) from None
    if isinstance(raw, Mapping) and isinstance(raw.get("state_dict"), Mapping):
        raw = raw["state_dict"]
    if not isinstance(raw, Mapping) or not raw:
        raise InputError("not a CLIP state dict (expected a mapping of tensors)", path)
    state = {}
    for key, value in raw.items():
        if not isinstance(value, torch.Tensor) or key in _NON_WEIGHT_KEYS:
            continue
        key = key.removeprefix("module.")
        state[key] = value.float() if value.is_floating_point() else value
    return state


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any("/code/" in name or name.endswith("constants.pkl") for name in zf.namelist())


def load_into_clip(
    model: torch.nn.Module, state: dict[str, torch.Tensor], source: str | Path | None = None
) -> None:
    """Load `state` into an open_clip CLIP, adapting grid and text lengths; strict on names."""
    state = dict(state)
    own = model.state_dict()
    _fit_text_positions(state, own, source)
    _fit_attnpool_grid(state, own)
    if "visual.positional_embedding" in state:
        from open_clip.model import resize_pos_embed

        resize_pos_embed(state, model)
    if "logit_scale" in state and "logit_scale" in own:
        state["logit_scale"] = state["logit_scale"].reshape(own["logit_scale"].shape)
    missing, unexpected = _key_mismatch(own, state)
    if missing or unexpected:
        raise InputError(
            f"CLIP weights do not fit this model: missing {missing[:5]}"
            f"{'...' if len(missing) > 5 else ''}, unexpected {unexpected[:5]}"
            f"{'...' if len(unexpected) > 5 else ''}",
            source,
        )
    bad = [k for k, v in state.items() if v.shape != own[k].shape]
    if bad:
        raise InputError(
            f"CLIP weights have other shapes than this model: "
            f"{bad[0]} {tuple(state[bad[0]].shape)} vs {tuple(own[bad[0]].shape)}"
            f" ({len(bad)} tensors differ)",
            source,
        )
    model.load_state_dict(state, strict=True)


def _key_mismatch(own: Mapping[str, Any], state: Mapping[str, Any]) -> tuple[list, list]:
    missing = sorted(k for k in own if k not in state)
    unexpected = sorted(k for k in state if k not in own)
    return missing, unexpected


def _fit_text_positions(
    state: dict[str, torch.Tensor], own: Mapping[str, torch.Tensor], source: str | Path | None
) -> None:
    """Keep the first positions when the model's text is shorter (positions keep meaning)."""
    key = "positional_embedding"
    if key not in state or key not in own:
        return
    have, want = state[key].shape[0], own[key].shape[0]
    if want < have:
        state[key] = state[key][:want].clone()
    elif want > have:
        raise InputError(f"CLIP weights hold {have} text positions, the model needs {want}", source)


def _fit_attnpool_grid(state: dict[str, torch.Tensor], own: Mapping[str, torch.Tensor]) -> None:
    """Resize a ModifiedResNet attention-pool position grid (bilinear, as TCM/DenseCLIP)."""
    key = "visual.attnpool.positional_embedding"
    if key not in state or key not in own or state[key].shape == own[key].shape:
        return
    state[key] = resize_pool_positions(state[key], own[key].shape[0] - 1)


def resize_pool_positions(table: torch.Tensor, grid_tokens: int | tuple[int, int]) -> torch.Tensor:
    """A (1 + h*w, C) table (class position first, square grid) resized to a new grid.

    `grid_tokens` is the new h*w for a square grid, or (h, w)."""
    cls_pos, grid = table[:1], table[1:]
    old = round(grid.shape[0] ** 0.5)
    if old * old != grid.shape[0]:
        raise ValueError(f"position grid of {grid.shape[0]} tokens is not square")
    if isinstance(grid_tokens, tuple):
        size = grid_tokens
    else:
        side = round(grid_tokens**0.5)
        size = (side, side)
    if size == (old, old):
        return table
    channels = grid.shape[1]
    img = grid.reshape(1, old, old, channels).permute(0, 3, 1, 2)
    img = F.interpolate(img, size=size, mode="bilinear", align_corners=False)
    return torch.cat([cls_pos, img.permute(0, 2, 3, 1).reshape(-1, channels)], dim=0)
