"""What every network hands its callers besides its own contract: the part of `nn.Module`
the predictors, the int8 export and the training tasks touch.

A leaf module (torch only under TYPE_CHECKING), so `detection.protocol` and
`recognition.protocol` build on it without loading anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol, Self

if TYPE_CHECKING:
    from torch import nn

__all__ = ["Network", "require"]


class Network(Protocol):
    """Any `nn.Module` matches: train/eval switches, moves between devices and dtypes,
    the submodules (BatchNorm folding walks them)."""

    training: bool

    def train(self, mode: bool = True) -> Self: ...

    def eval(self) -> Self: ...

    # nn.Module.to is overloaded (device, dtype, tensor, memory_format); any call works
    def to(self, *args: Any, **kwargs: Any) -> Self: ...

    def float(self) -> Self: ...

    def modules(self) -> Iterator[nn.Module]: ...


def require(model: object, members: tuple[str, ...], what: str) -> None:
    """TypeError unless `model` has every one of `members`: the check behind
    `as_detector` / `as_recognizer`, which narrow a network typed `nn.Module` (what
    `ArchSpec.build` and `zoo.load_model` return) to its contract."""
    missing = [m for m in members if not hasattr(model, m)]
    if missing:
        raise TypeError(f"{type(model).__name__} is not a {what}: no {', '.join(missing)}")
