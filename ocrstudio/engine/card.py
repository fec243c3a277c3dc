"""The model card: the JSON beside a checkpoint's weights (`model.json` beside
`model.safetensors`, `X.json` beside `X.safetensors`), as one typed `ModelCard`.

`read_card` is the one reader and `write_card` the one writer (atomic). Cards come from
other people, so the reader checks every field it knows (type and bounds) and refuses a
bad one with a one-line `InputError` naming the file and the field, before any weights
are read. Cards written by earlier versions load (a missing field takes its default);
keys this version does not know (the prose of a shipped card, a newer tool's fields) are
kept in `ModelCard.extras` and written back as they were read.

A model file never turns on downloads: any `allow_download` in its config reads as false;
only the user's own choice (a command-line flag, a GUI option) sets it afterwards.

Each field's checker (and the value types `Normalization`, `InputSize`, `BoxLevel`) is in
`engine.card_fields`; they are re-exported here.

No torch here: the window reads cards (roles, thresholds) without loading a network. The
architecture's config stays a checked JSON object; `engine.zoo.load_model` turns it into
the architecture's own config dataclass.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ocrstudio.core.charset import Charset
from ocrstudio.core.errors import InputError
from ocrstudio.core.types import Role
from ocrstudio.engine.card_fields import (
    BOX_LEVELS,
    FIELDS,
    FIXED,
    MAX_SIDE,
    MIN_SIDE,
    BoxLevel,
    InputSize,
    Normalization,
    check_fine_tune,
)
from ocrstudio.engine.config_json import config_from_dict, json_default
from ocrstudio.engine.spec import FineTune
from ocrstudio.engine.verification import Verification

__all__ = [
    "BOX_LEVELS",
    "FORMAT_VERSION",
    "MAX_SIDE",
    "MIN_SIDE",
    "WEIGHTS_NAME",
    "BoxLevel",
    "InputSize",
    "ModelCard",
    "Normalization",
    "card_from_json",
    "card_path",
    "check_fine_tune",
    "read_card",
    "resolve_weights",
    "write_card",
]

FORMAT_VERSION = 1
WEIGHTS_NAME = "model.safetensors"


def resolve_weights(path: str | Path) -> Path:
    """A model folder or its `.safetensors` file (or its card), as a user may name either."""
    p = Path(path)
    if p.is_dir():
        p = p / WEIGHTS_NAME
    if p.suffix == ".json":
        p = p.with_suffix(".safetensors")
    if not p.is_file():
        raise InputError(
            "no model weights here (expected a folder with model.safetensors "
            "or a .safetensors file)",
            p,
        )
    return p


def card_path(path: str | Path) -> Path:
    """Where the card of the checkpoint at `path` is (beside its weights)."""
    return resolve_weights(path).with_suffix(".json")


@dataclass(frozen=True)
class ModelCard:
    """Everything about a checkpoint but its weights.

    `config`: the architecture's config as a checked JSON object. `role` and `name` may be
    missing in old cards (`role` then follows the architecture). `boxes`: "words" or
    "lines" (what a region of this detector is). `verify` / `verify_at[limit_side]`: the
    recognizer's verify settings, the card's own and those tuned for another input size;
    `postprocess_at[limit_side]`: detector thresholds tuned for another input size, laid
    over the config's. `fine_tune`: the card's own fine-tune settings, a checked subset of
    `FineTune`'s fields laid over the architecture's default (`fine_tune_over`).
    `metrics`, `validation`, `lineage`, `training`: free-form JSON records. `extras`:
    every key this version does not know, kept for the next write."""

    architecture: str
    role: Role | None = None
    name: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    charset: Charset | None = None
    normalization: Normalization | None = None
    input: InputSize | None = None
    boxes: BoxLevel | None = None
    verify: Verification | None = None
    verify_at: Mapping[int, Verification] = field(default_factory=dict)
    postprocess_at: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    fine_tune: Mapping[str, Any] | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    validation: Mapping[str, Any] | None = None
    lineage: Mapping[str, Any] = field(default_factory=dict)
    training: Mapping[str, Any] | None = None
    params: int | None = None
    shards: tuple[str, ...] = ()
    format_version: int = FORMAT_VERSION
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # the free-form parts as JSON holds them (tuples as lists, configs as objects), so
        # a card built in memory equals the same card read back
        for name in (
            "config",
            "metrics",
            "lineage",
            "validation",
            "training",
            "extras",
            "fine_tune",
        ):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _plain(value))

    def with_(self, **changes: Any) -> ModelCard:
        return dataclasses.replace(self, **changes)

    def verify_for(self, limit_side: int | None = None) -> Verification | None:
        """The verify settings tuned at input `limit_side` (`verify_at`) when the card has
        such, else its own `verify`; None when it has neither."""
        at = self.verify_at.get(limit_side) if limit_side is not None else None
        return at or self.verify

    def postprocess_for(self, limit_side: int | None) -> Mapping[str, Any] | None:
        """Detector thresholds tuned for input `limit_side` (`postprocess_at`), or None."""
        return self.postprocess_at.get(limit_side) if limit_side is not None else None

    def fine_tune_over(self, default: FineTune) -> FineTune:
        """The card's own fine-tune settings laid over `default` (its architecture's)."""
        if not self.fine_tune:
            return default
        return cast(
            FineTune, config_from_dict(FineTune, {**dataclasses.asdict(default), **self.fine_tune})
        )

    def to_json(self) -> dict[str, Any]:
        """The card as its file holds it (the extras first: a known field wins)."""
        out: dict[str, Any] = {
            **self.extras,
            "format_version": self.format_version,
            "architecture": self.architecture,
            "config": self.config,
            "metrics": self.metrics,
            "lineage": self.lineage,
        }
        optional = {
            "role": self.role,
            "name": self.name,
            "boxes": self.boxes,
            "fine_tune": self.fine_tune,
            "validation": self.validation,
            "training": self.training,
            "params": self.params,
            "charset": None if self.charset is None else self.charset.to_card(),
            "normalization": _asdict(self.normalization),
            "verify": None if self.verify is None else self.verify.as_card(),
            "input": None if self.input is None else _input_json(self.input),
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.verify_at:
            out["verify_at"] = {str(k): v.as_card() for k, v in self.verify_at.items()}
        if self.postprocess_at:
            out["postprocess_at"] = {str(k): dict(v) for k, v in self.postprocess_at.items()}
        if self.shards:
            out["shards"] = list(self.shards)
        return cast(dict[str, Any], _plain(out))


def _asdict(value: Any) -> dict[str, Any] | None:
    return None if value is None else dataclasses.asdict(value)


def _input_json(value: InputSize) -> dict[str, Any]:
    own = {
        "limit_side": value.limit_side,
        "train_size": value.train_size,
        "multiple": value.multiple,
    }
    return {**value.other, **{k: v for k, v in own.items() if v is not None}}


def _plain(value: Any) -> Any:
    """`value` as JSON holds it; refuses what JSON cannot hold."""
    return json.loads(json.dumps(value, default=json_default))


# --- the one reader ---------------------------------------------------------------------


def read_card(path: str | Path) -> ModelCard:
    """The card of the checkpoint at `path` (a folder, its weights or its card), checked;
    no weights are read."""
    where = card_path(path)
    if not where.is_file():
        raise InputError("model card missing (expected beside the weights)", where)
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", where, exc.lineno) from None
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise InputError(f"not valid JSON: {str(exc)[:200]}", where) from None
    return card_from_json(data, where)


def card_from_json(data: Any, where: str | Path | None = None) -> ModelCard:
    """A card from its JSON form, every known field checked (`where`: the file, named in
    the error)."""
    if not isinstance(data, dict):
        raise InputError("the model card is not a JSON object", where)
    version = data.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError("format_version is not an integer", where)
    if version > FORMAT_VERSION:
        raise InputError(
            f"checkpoint format {version} is newer than this ocrstudio "
            f"understands ({FORMAT_VERSION})",
            where,
        )
    arch = data.get("architecture")
    if not isinstance(arch, str) or not arch:
        raise InputError("the model card names no architecture", where)
    fields: dict[str, Any] = {}
    for key, parse in FIELDS.items():
        if data.get(key) is not None:  # null: as if absent (older writers wrote some)
            with _naming(key, where):
                fields[key] = parse(data[key])
    extras = {k: v for k, v in data.items() if k not in FIELDS and k not in FIXED}
    return ModelCard(architecture=arch, format_version=version, extras=extras, **fields)


@contextmanager
def _naming(key: str, where: str | Path | None) -> Iterator[None]:
    try:
        yield
    except (ValueError, TypeError, KeyError) as exc:
        why = " ".join(str(exc.args[0] if exc.args else exc).split())[:200]
        raise InputError(f"bad {key} in the model card: {why}", where) from None


# --- the one writer ---------------------------------------------------------------------


def write_card(path: str | Path, card: ModelCard) -> Path:
    """Write the card of the checkpoint at `path` (its weights must be there), replacing
    any; written beside and renamed, so a crash leaves the old file whole."""
    where = card_path(path)
    tmp = where.with_suffix(".json.tmp")
    try:
        tmp.write_text(json.dumps(card.to_json(), indent=2, sort_keys=True))
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no cut .tmp behind
        raise
    tmp.replace(where)
    return where
