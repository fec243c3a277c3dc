"""Self-describing checkpoints: weights in safetensors, their model card in JSON beside them.

A checkpoint named by a folder holds `model.safetensors` + `model.json`; named by a file,
`X.safetensors` + `X.json`. Loading reads tensors and JSON only, so it never unpickles
anything (the reason we do not use torch.save/torch.load for models).

Checkpoints come from other people, so everything read is checked and every refusal is a
one-line `InputError` naming the file, before any large allocation: the card's fields
(`engine.card.read_card`: types, bounds, shard names that are bare file names beside the
weights, downloads off) and, in `build_checked`, the parameters a config asks for
(counted on the meta device, no memory) against the weights, then every key and shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ocrstudio.core.errors import InputError
from ocrstudio.engine.card import (
    FORMAT_VERSION,
    WEIGHTS_NAME,
    ModelCard,
    read_card,
    resolve_weights,
    write_card,
)


def save_checkpoint(
    path: str | Path,
    state_dict: dict[str, torch.Tensor],
    card: ModelCard,
    half: bool = False,
    shard_bytes: int | None = None,
) -> Path:
    """Write weights and card; returns the weights path. `half` stores floats as fp16.

    With `shard_bytes`, weights beyond that size go to further files `model-2.safetensors`,
    ... beside the first, listed in the card's `shards` (so no one file grows past what
    a repository or a file transfer takes well); loading merges them back.
    """
    p = Path(path)
    if p.suffix != ".safetensors":
        p.mkdir(parents=True, exist_ok=True)
        p = p / WEIGHTS_NAME
    p.parent.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for name, t in state_dict.items():
        t = t.detach().to("cpu")
        if half and t.is_floating_point():
            t = t.to(torch.float16)
        tensors[name] = t.contiguous().clone()  # clone: safetensors refuses shared storage
    parts = _shards(tensors, shard_bytes)
    names = [p.name] + [f"{p.stem}-{i}.safetensors" for i in range(2, len(parts) + 1)]
    tag = {"architecture": card.architecture}
    for name, part in list(zip(names, parts, strict=True))[::-1]:  # the first file last
        tmp = p.with_name(name + ".tmp")
        try:
            save_file(part, str(tmp), metadata=tag)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk leaves no cut .tmp behind
            raise
        tmp.replace(p.with_name(name))  # rename: a crash never leaves a half-written file
    # every file is this version's now: the current format, whatever the card was read as
    write_card(p, card.with_(shards=tuple(names[1:]), format_version=FORMAT_VERSION))
    return p


def _shards(tensors: dict[str, torch.Tensor], limit: int | None) -> list[dict[str, torch.Tensor]]:
    """Tensors in order, cut into groups of at most `limit` bytes (a bigger tensor alone)."""
    parts: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for name, t in tensors.items():
        nbytes = t.numel() * t.element_size()
        if limit and parts[-1] and size + nbytes > limit:
            parts.append({})
            size = 0
        parts[-1][name] = t
        size += nbytes
    return parts


def weight_files(path: str | Path) -> list[Path]:
    """Every file of a checkpoint: the weights (first shard), further shards, card."""
    weights = resolve_weights(path)
    shards = read_card(weights).shards
    return [weights, *(weights.with_name(n) for n in shards), weights.with_suffix(".json")]


def load_checkpoint(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[dict[str, torch.Tensor], ModelCard]:
    """The weights (shards merged) and the card of the checkpoint at `path`."""
    card = read_card(path)
    weights = resolve_weights(path)
    state: dict[str, torch.Tensor] = {}
    for name in [weights.name, *card.shards]:
        part = weights.with_name(name)
        if not part.is_file():
            raise InputError("a shard of this checkpoint is missing", part)
        try:
            state.update(load_file(str(part), device=str(device)))
        except Exception as exc:  # safetensors raises its own error types for corrupt files
            raise InputError(f"cannot read weights: {str(exc)[:200]}", part) from None
    return state, card


def build_checked(
    build: Callable[[], torch.nn.Module], state: dict[str, torch.Tensor], path: str | Path
) -> torch.nn.Module:
    """`build()` the network a checkpoint's config describes, after checking on the meta
    device (no memory) that it needs no more parameters than the weights hold and has
    exactly their keys and shapes: a crafted config cannot ask for terabytes, and a
    mismatch is a one-line error naming the file instead of a torch traceback."""
    try:
        with torch.device("meta"):
            skeleton = build()
    except (
        TypeError,
        ValueError,
        KeyError,
        RuntimeError,
        AssertionError,
        AttributeError,
        OverflowError,
    ) as exc:
        raise InputError(f"the model config cannot be built: {str(exc)[:200]}", path) from None
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    wanted = sum(math.prod(s) for s in expected.values())
    held = sum(t.numel() for t in state.values())
    if wanted > 2 * held + 1_000_000:
        raise InputError(
            f"the model config asks for {wanted:,} parameters but the weights hold {held:,}", path
        )
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        what = f"missing {missing[0]!r}" if missing else f"unexpected {unexpected[0]!r}"
        raise InputError(
            f"the weights do not fit the model: {len(missing)} missing and "
            f"{len(unexpected)} unexpected keys ({what[:120]})",
            path,
        )
    for k, shape in expected.items():
        if tuple(state[k].shape) != shape:
            raise InputError(
                f"the weights do not fit the model: {k[:80]} has shape "
                f"{tuple(state[k].shape)}, the model {shape}",
                path,
            )
    return build()
