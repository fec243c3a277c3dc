"""Self-describing checkpoints: weights in safetensors, everything else in JSON beside them.

A checkpoint named by a folder holds `model.safetensors` + `model.json`; named by a file,
`X.safetensors` + `X.json`. Loading reads tensors and JSON only, so it never unpickles
anything (the reason we do not use torch.save/torch.load for models).

Checkpoints come from other people, so everything read is checked and every refusal is a
one-line `InputError` naming the file, before any large allocation: the metadata's types,
shard names (bare file names beside the weights, never a path), and, in `build_checked`,
the parameters a config asks for (counted on the meta device, no memory) against the
weights, then every key and shape. A model file never turns on downloads: any
`allow_download` in its config is read as false; only the user's own choice (a command-line
flag, a GUI option) may set it on the config afterwards.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from ocrstudio.core.errors import InputError

FORMAT_VERSION = 1
WEIGHTS_NAME = "model.safetensors"


def resolve_weights(path: str | Path) -> Path:
    """A model folder or its `.safetensors` file, as a user may name either."""
    p = Path(path)
    if p.is_dir():
        p = p / WEIGHTS_NAME
    if p.suffix == ".json":
        p = p.with_suffix(".safetensors")
    if not p.is_file():
        raise InputError("no model weights here (expected a folder with model.safetensors "
                         "or a .safetensors file)", p)
    return p


def save_checkpoint(path: str | Path, state_dict: dict[str, torch.Tensor], meta: dict[str, Any],
                    half: bool = False, shard_bytes: int | None = None) -> Path:
    """Write weights and metadata; returns the weights path. `half` stores floats as fp16.

    With `shard_bytes`, weights beyond that size go to further files `model-2.safetensors`,
    ... beside the first, listed in the metadata's "shards" (so no one file grows past what
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
    full_meta = {"format_version": FORMAT_VERSION, **meta}
    full_meta.pop("shards", None)
    if len(parts) > 1:
        full_meta["shards"] = names[1:]
    tag = {"architecture": str(meta.get("architecture", ""))}
    for name, part in list(zip(names, parts, strict=True))[::-1]:  # the first file last
        tmp = p.with_name(name + ".tmp")
        with _removed_on_failure(tmp):  # a full disk leaves no cut .tmp behind
            save_file(part, str(tmp), metadata=tag)
        tmp.replace(p.with_name(name))  # rename: a crash never leaves a half-written file
    write_metadata(p, full_meta)
    return p


@contextmanager
def _removed_on_failure(path: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write_metadata(path: str | Path, meta: dict[str, Any]) -> Path:
    """Replace a checkpoint's JSON metadata (a card's figures, say), weights untouched;
    written beside and renamed, so a crash leaves the old file whole."""
    meta_path = resolve_weights(path).with_suffix(".json")
    tmp = meta_path.with_suffix(".json.tmp")
    with _removed_on_failure(tmp):
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True, default=_json_default))
    tmp.replace(meta_path)
    return meta_path


def _shards(tensors: dict[str, torch.Tensor], limit: int | None
            ) -> list[dict[str, torch.Tensor]]:
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
    """Every file of a checkpoint: the weights (first shard), further shards, metadata."""
    weights = resolve_weights(path)
    shards = read_metadata(weights).get("shards", [])
    return [weights, *(weights.with_name(str(n)) for n in shards), weights.with_suffix(".json")]


def read_metadata(path: str | Path) -> dict[str, Any]:
    """A checkpoint's JSON metadata alone (no weights are read), checked (see above)."""
    meta_path = resolve_weights(path).with_suffix(".json")
    if not meta_path.is_file():
        raise InputError("model metadata missing (expected beside the weights)", meta_path)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", meta_path, exc.lineno) from None
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise InputError(f"not valid JSON: {str(exc)[:200]}", meta_path) from None
    return check_metadata(meta, meta_path)


def tuned_at(meta: Any, name: str, limit_side: int | None) -> Any:
    """Settings a card keeps for another input size, `meta["<name>_at"]["<limit_side>"]`
    (as `recipes.detector.file_tuned` writes them), or None."""
    return ((meta or {}).get(f"{name}_at") or {}).get(str(limit_side))


def check_metadata(meta: Any, meta_path: Path) -> dict[str, Any]:
    """Types of the fields every checkpoint has; downloads switched off."""
    if not isinstance(meta, dict):
        raise InputError("model metadata is not a JSON object", meta_path)
    version = meta.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError("format_version is not an integer", meta_path)
    if version > FORMAT_VERSION:
        raise InputError(f"checkpoint format {version} is newer than this "
                         f"ocrstudio understands ({FORMAT_VERSION})", meta_path)
    arch = meta.get("architecture")
    if not isinstance(arch, str) or not arch:
        raise InputError("model metadata names no architecture", meta_path)
    if not isinstance(meta.get("config", {}), dict):
        raise InputError("model config is not a JSON object", meta_path)
    shards = meta.get("shards", [])
    if not isinstance(shards, list) or not all(_bare_name(n) for n in shards):
        raise InputError("shards must be file names beside the weights (no folders, no "
                         "'..')", meta_path)
    return {**meta, "config": _no_downloads(meta.get("config", {}))}


def _bare_name(name: Any) -> bool:
    return (isinstance(name, str) and name.endswith(".safetensors") and "/" not in name
            and "\\" not in name and name not in (".", "..") and not name.startswith("."))


def _no_downloads(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (False if k == "allow_download" else _no_downloads(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_no_downloads(v) for v in value]
    return value


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu"
                    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    meta = read_metadata(path)
    weights = resolve_weights(path)
    state: dict[str, torch.Tensor] = {}
    for name in [weights.name, *meta.get("shards", [])]:
        part = weights.with_name(str(name))
        if not part.is_file():
            raise InputError("a shard of this checkpoint is missing", part)
        try:
            state.update(load_file(str(part), device=str(device)))
        except Exception as exc:  # safetensors raises its own error types for corrupt files
            raise InputError(f"cannot read weights: {str(exc)[:200]}", part) from None
    return state, meta


def build_checked(build: Callable[[], torch.nn.Module], state: dict[str, torch.Tensor],
                  path: str | Path) -> torch.nn.Module:
    """`build()` the network a checkpoint's config describes, after checking on the meta
    device (no memory) that it needs no more parameters than the weights hold and has
    exactly their keys and shapes: a crafted config cannot ask for terabytes, and a
    mismatch is a one-line error naming the file instead of a torch traceback."""
    try:
        with torch.device("meta"):
            skeleton = build()
    except (TypeError, ValueError, KeyError, RuntimeError, AssertionError,
            AttributeError, OverflowError) as exc:
        raise InputError(f"the model config cannot be built: {str(exc)[:200]}", path) from None
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    wanted = sum(math.prod(s) for s in expected.values())
    held = sum(t.numel() for t in state.values())
    if wanted > 2 * held + 1_000_000:
        raise InputError(f"the model config asks for {wanted:,} parameters but the weights "
                         f"hold {held:,}", path)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        what = (f"missing {missing[0]!r}" if missing else f"unexpected {unexpected[0]!r}")
        raise InputError(f"the weights do not fit the model: {len(missing)} missing and "
                         f"{len(unexpected)} unexpected keys ({what[:120]})", path)
    for k, shape in expected.items():
        if tuple(state[k].shape) != shape:
            raise InputError(f"the weights do not fit the model: {k[:80]} has shape "
                             f"{tuple(state[k].shape)}, the model {shape}", path)
    return build()


def config_to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def config_from_dict(cls: type, data: dict[str, Any]) -> Any:
    """Rebuild a (possibly nested) frozen config dataclass from its JSON form.

    JSON turns tuples into lists; fields annotated as tuples get tuples back so configs
    stay hashable and compare equal to the originals. Unknown keys are an error, missing
    ones take the dataclass default (older checkpoints keep loading).
    """
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__} has no fields {sorted(unknown)[:5]}")
    kwargs = {k: _coerce(hints[k], v) for k, v in data.items()}
    for k, v in kwargs.items():
        if not _fits(hints[k], v):
            raise ValueError(f"{cls.__name__}.{k} should be {hints[k]}, got {str(v)[:40]!r}")
    return cls(**kwargs)


def _fits(hint: Any, value: Any) -> bool:
    """A plain scalar type check (the JSON of a config holds only these); other hints
    are accepted as they are."""
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return isinstance(value, hint)
    return True


def _coerce(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return config_from_dict(hint, value)  # type: ignore[arg-type]
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            if arg is type(None) and value is None:
                return None
            if dataclasses.is_dataclass(arg) and isinstance(value, dict):
                return config_from_dict(arg, value)
            if typing.get_origin(arg) is tuple and isinstance(value, list):
                return _coerce(arg, value)
        return value
    if origin is tuple and isinstance(value, list):
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v) for v in value)
        return tuple(_coerce(a, v) for a, v in zip(args, value, strict=False))
    return value


def _json_default(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return dataclasses.asdict(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, tuple | set):
        return list(obj)
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
