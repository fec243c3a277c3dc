"""The fields of a model card: the value types it holds (`Normalization`, `InputSize`,
`BoxLevel`) and one checker per field of its JSON form (`FIELDS`), which returns the
field's value or raises ValueError/TypeError saying what is wrong; `engine.card`'s reader
names the file and the field around it.

No torch here (the window reads cards without loading a network).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from ocrstudio.core.charset import Charset
from ocrstudio.core.types import ROLES, Role
from ocrstudio.engine.config_json import config_from_dict
from ocrstudio.engine.spec import FineTune
from ocrstudio.engine.verification import Verification

__all__ = [
    "BOX_LEVELS",
    "FIELDS",
    "FIXED",
    "MAX_SIDE",
    "MIN_SIDE",
    "BoxLevel",
    "InputSize",
    "Normalization",
    "check_fine_tune",
]

BoxLevel = Literal["words", "lines"]
BOX_LEVELS: tuple[BoxLevel, ...] = ("words", "lines")
MIN_SIDE, MAX_SIDE = 32, 8192  # a card's limit_side of 1e9 ran an 8000 x 6000 photo whole


@dataclass(frozen=True)
class Normalization:
    """How pixels become the network's input: (x / 255 * scale/255 - mean) / std per
    channel (`channels` "RGB" or "gray"), with one mean and std per channel."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    scale: float = 255.0
    channels: str = "RGB"


@dataclass(frozen=True)
class InputSize:
    """The input a card names. A detector's: `limit_side` (the long side photos are cut
    to at inference), `train_size` (its training crop), `multiple` (sides rounded to it);
    a recognizer's crop input (its config's `input`, informative) lands in `other`."""

    limit_side: int | None = None
    train_size: int | None = None
    multiple: int | None = None
    other: Mapping[str, Any] = field(default_factory=dict)


def _object(value: Any, what: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what or 'it'} should be a JSON object, not {type(value).__name__}")
    return value


def _number(value: Any, what: str, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} should be a number, not {str(value)[:40]!r}")
    if not low <= value <= high:
        raise ValueError(f"{what} must lie in {low:g}..{high:g}, not {value}")
    return float(value)


def _integer(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} should be an integer, not {str(value)[:40]!r}")
    if not low <= value <= high:
        raise ValueError(f"{what} must lie in {low}..{high}, not {value}")
    return value


def _text(value: Any, what: str = "it") -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} should be text, not {type(value).__name__}")
    return value


def _config(value: Any) -> dict[str, Any]:
    return cast(dict[str, Any], _no_downloads(_object(value)))


def _no_downloads(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (False if k == "allow_download" else _no_downloads(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_downloads(v) for v in value]
    return value


def _role(value: Any) -> Role:
    if value not in ROLES:
        raise ValueError(f"should be one of {', '.join(ROLES)}, not {str(value)[:40]!r}")
    return cast(Role, value)


def _boxes(value: Any) -> BoxLevel:
    if value not in BOX_LEVELS:
        raise ValueError(f"boxes must be one of {', '.join(BOX_LEVELS)}, not {value!r}")
    return cast(BoxLevel, value)


def _charset(value: Any) -> Charset:
    return Charset.from_card(value)


def _normalization(value: Any) -> Normalization:
    d = _object(value)
    mean, std = d.get("mean"), d.get("std")
    if (
        not isinstance(mean, list)
        or not isinstance(std, list)
        or len(mean) != len(std)
        or len(mean) not in (1, 3)
    ):
        raise ValueError("mean and std should be lists of 1 or 3 numbers each")
    return Normalization(
        tuple(_number(m, "mean", -255, 255) for m in mean),
        tuple(_number(s, "std", 1e-6, 255) for s in std),
        _number(d.get("scale", 255.0), "scale", 1e-6, 65535),
        _text(d.get("channels", "RGB" if len(mean) == 3 else "gray"), "channels"),
    )


def _input(value: Any) -> InputSize:
    d = _object(value)

    def side(key: str, low: int) -> int | None:
        return None if d.get(key) is None else _integer(d[key], key, low, MAX_SIDE)

    own = ("limit_side", "train_size", "multiple")
    return InputSize(
        side("limit_side", MIN_SIDE),
        side("train_size", 8),
        side("multiple", 1),
        {k: v for k, v in d.items() if k not in own},
    )


def _verification(value: Any) -> Verification:
    return cast(Verification, config_from_dict(Verification, _object(value)))


def _by_side(parse: Callable[[Any], Any]) -> Callable[[Any], dict[int, Any]]:
    """A `*_at` object: input sizes (written as text, JSON keys) to settings."""

    def read(value: Any) -> dict[int, Any]:
        out = {}
        for key, item in _object(value).items():
            if not (isinstance(key, str) and key.isdigit()):
                raise ValueError(f"{key!r} is not an input size")
            size = _integer(int(key), "an input size", MIN_SIDE, MAX_SIDE)
            try:
                out[size] = parse(item)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"[{key}]: {exc}") from None
        return out

    return read


def _postprocess(value: Any) -> dict[str, Any]:
    """Thresholds laid over a detector's own: PostProcessConfig's fields, its types."""
    from ocrstudio.engine.detection.postprocess import PostProcessConfig  # numpy, cv2

    d = _object(value)
    config_from_dict(PostProcessConfig, {**dataclasses.asdict(PostProcessConfig()), **d})
    return d


def _fine_tune(value: Any) -> dict[str, Any]:
    d = _object(value)
    check_fine_tune(config_from_dict(FineTune, {**dataclasses.asdict(FineTune()), **d}))
    return d


def check_fine_tune(s: FineTune) -> None:
    """Bounds fine-tune settings may not cross (a rate of 10 or a batch of a million is a
    typo); ValueError names the first field out of them."""
    bounds = {
        "lr": (1e-12, 1.0),
        "batch_size": (1, 1024),
        "freeze": (0, 8),
        "time_share": (1e-9, 1.0),
        "warmup": (0.0, 0.999999),
        "blend": (1e-9, 1.0),
        "keep_base": (0.0, 100.0),
    }
    for name, (low, high) in bounds.items():
        value = getattr(s, name)
        if not low <= value <= high:
            raise ValueError(
                f"{name} out of range: {value} (lr, time_share, blend in (0, 1], "
                "batch 1..1024, freeze 0..8, warmup in [0, 1), keep_base 0..100)"
            )
    for name in ("train_size", "window"):
        size = getattr(s, name)
        if size is not None and not 32 <= size <= 4096:
            raise ValueError(f"crop sizes must lie in 32..4096, not {name} {size}")


def _shards(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(_bare_name(n) for n in value):
        raise ValueError("shards must be file names beside the weights (no folders, no '..')")
    return tuple(value)


def _bare_name(name: Any) -> bool:
    return (
        isinstance(name, str)
        and name.endswith(".safetensors")
        and "/" not in name
        and "\\" not in name
        and name not in (".", "..")
        and not name.startswith(".")
    )


FIXED = ("format_version", "architecture")  # read by engine.card itself, before the rest
FIELDS: dict[str, Callable[[Any], Any]] = {
    "role": _role,
    "name": _text,
    "config": _config,
    "charset": _charset,
    "normalization": _normalization,
    "input": _input,
    "boxes": _boxes,
    "verify": _verification,
    "verify_at": _by_side(_verification),
    "postprocess_at": _by_side(_postprocess),
    "fine_tune": _fine_tune,
    "metrics": _object,
    "validation": _object,
    "lineage": _object,
    "training": _object,
    "params": lambda v: _integer(v, "params", 0, 10**13),
    "shards": _shards,
}
