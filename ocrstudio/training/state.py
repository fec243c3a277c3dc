"""Resumable training state (optimizer, scheduler, counters, RNG) without pickle.

Tensors go into a safetensors file, everything else into JSON beside it, so resuming
never unpickles anything, the same rule the model checkpoints follow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from ocrstudio.core.errors import InputError

_TENSOR = "__tensor__"


def _split(obj: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    """Replace every tensor in a nested structure by a reference into `tensors`."""
    if isinstance(obj, torch.Tensor):
        tensors[prefix] = obj.detach().cpu().contiguous().clone()
        return {_TENSOR: prefix}
    if isinstance(obj, dict):
        return {
            "__dict__": [[_key(k), _split(v, f"{prefix}.{k}", tensors)] for k, v in obj.items()]
        }
    if isinstance(obj, list | tuple):
        return [_split(v, f"{prefix}.{i}", tensors) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"cannot store {type(obj).__name__} at {prefix} in a training state")


def _key(k: Any) -> Any:
    return {"int": k} if isinstance(k, int) else k


def _join(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict) and _TENSOR in obj:
        return tensors[obj[_TENSOR]]
    if isinstance(obj, dict) and "__dict__" in obj:
        return {
            (k["int"] if isinstance(k, dict) else k): _join(v, tensors) for k, v in obj["__dict__"]
        }
    if isinstance(obj, list):
        return [_join(v, tensors) for v in obj]
    return obj


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write `state` (nested dicts/lists of tensors and JSON values) as path.safetensors
    + path.json; atomic like the model checkpoints."""
    tensors: dict[str, torch.Tensor] = {}
    plain = _split(state, "s", tensors)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_w, tmp_j = path.with_suffix(".safetensors.tmp"), path.with_suffix(".json.tmp")
    save_file(tensors, str(tmp_w))
    tmp_j.write_text(json.dumps(plain), encoding="utf-8")
    tmp_w.replace(path.with_suffix(".safetensors"))
    tmp_j.replace(path.with_suffix(".json"))


def load_state(path: Path) -> dict[str, Any]:
    """The state `save_state` wrote; a damaged or foreign one is a one-line `InputError`
    naming the file, never a traceback from safetensors, json or a missing reference."""
    weights, meta = path.with_suffix(".safetensors"), path.with_suffix(".json")
    if not weights.is_file() or not meta.is_file():
        raise InputError("no training state to resume from", path)
    try:
        tensors = load_file(str(weights))
    except Exception as exc:  # safetensors has its own error types for damaged files
        raise InputError(f"damaged training state: {str(exc)[:200]}", weights) from None
    try:
        plain = json.loads(meta.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", meta, exc.lineno) from None
    except (UnicodeDecodeError, RecursionError):
        raise InputError("damaged training state: not UTF-8 JSON", meta) from None
    try:
        return _join(plain, tensors)
    except (KeyError, TypeError, ValueError, RecursionError):
        raise InputError(
            "damaged training state: it refers to tensors that are not "
            "there or has the wrong shape",
            meta,
        ) from None
