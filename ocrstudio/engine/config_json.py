"""Frozen config dataclasses to and from their JSON form (no torch: the model card's
reader and the architecture specs use it without loading a network)."""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

__all__ = ["config_from_dict", "config_to_dict", "json_default"]


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
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return config_from_dict(hint, value)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            if arg is type(None) and value is None:
                return None
            if isinstance(arg, type) and dataclasses.is_dataclass(arg) and isinstance(value, dict):
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


def json_default(obj: Any) -> Any:
    """`json.dumps(default=...)` for what cards and configs hold beside plain JSON."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, tuple | set):
        return list(obj)
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
