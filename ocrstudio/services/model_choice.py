"""Which models a project can use and which ones are active (no Qt, no torch).

A choice is either a model version registered in the project (trained or imported there,
weights under its `models/` folder) or a model shipped with ocrstudio (`resources/models`).
The active detector and recognizer are kept in the project's settings under
`active_models`, as keys like "version:12" or "shipped:dbnet_mbv3"; with nothing chosen,
the role's shipped default (a project version only where nothing is shipped): a model a
run has just trained becomes active only when a person or `improve`'s keep-the-better
rule chooses it, never because it is the newest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocrstudio import store
from ocrstudio.core.errors import InputError
from ocrstudio.core.types import ROLES
from ocrstudio.services.project import ProjectHandle
from ocrstudio.training.box_rules import BoxRules
from ocrstudio.training.keep_filter import KeepFilter
from ocrstudio.training.text_rules import TextRules

if TYPE_CHECKING:
    from ocrstudio.engine.card import ModelCard

SETTINGS_KEY = "active_models"


@dataclass(frozen=True)
class ModelChoice:
    key: str
    name: str
    role: str
    architecture: str
    weights: Path
    source: str  # "project" or "shipped"
    metrics: dict[str, Any] = field(default_factory=dict)
    version_id: int | None = None
    parent_id: int | None = None
    created: str = ""


def _role_of(card: ModelCard) -> str | None:
    if card.role is not None:
        return card.role
    try:
        from ocrstudio.engine.zoo import get_spec  # torch: only when a card names no role

        return get_spec(card.architecture).role
    except (KeyError, ImportError):
        return None


def shipped_models() -> list[ModelChoice]:
    """The models shipped with ocrstudio (found by `services.ocr`, as `ocrstudio ocr` does),
    each role's default first: what a project uses until a person picks another."""
    from ocrstudio.engine.card import read_card
    from ocrstudio.services.ocr import preferred_model
    from ocrstudio.services.ocr import shipped_models as shipped

    out: list[ModelChoice] = []
    for role in ROLES:
        found = shipped(role)  # what resolve_model(None, role) picks from, read once
        default = preferred_model(list(found.values()), "accurate").name if found else None
        for name, folder in sorted(found.items(), key=lambda item: item[0] != default):
            try:
                card = read_card(folder)
            except InputError:
                continue
            out.append(
                ModelChoice(
                    f"shipped:{name}",
                    name,
                    role,
                    card.architecture,
                    folder / "model.safetensors",
                    "shipped",
                    dict(card.metrics),
                )
            )
    return out


def project_models(project: ProjectHandle) -> list[ModelChoice]:
    with project.session() as s:
        versions = store.list_model_versions(s)
    return [
        ModelChoice(
            f"version:{v.id}",
            v.name,
            v.role.value,
            v.architecture,
            _resolve(project, v.weights_path),
            "project",
            dict(v.metrics),
            v.id,
            v.parent_id,
            v.created.strftime("%Y-%m-%d %H:%M"),
        )
        for v in versions
    ]


def _resolve(project: ProjectHandle, stored: str) -> Path:
    p = Path(stored)
    return p if p.is_absolute() else project.folder / p


def model_choices(project: ProjectHandle, role: str | None = None) -> list[ModelChoice]:
    """Project versions (newest first), then shipped models."""
    found = [*reversed(project_models(project)), *shipped_models()]
    return [c for c in found if role is None or c.role == role]


def active_models(project: ProjectHandle) -> dict[str, ModelChoice | None]:
    with project.session() as s:
        chosen = dict(store.get_settings(s).get(SETTINGS_KEY, {}))
    out: dict[str, ModelChoice | None] = {}
    for role in ROLES:
        choices = model_choices(project, role)
        by_key = {c.key: c for c in choices}
        shipped = [c for c in choices if c.source == "shipped"]
        fallback = shipped or choices
        out[role] = by_key.get(chosen.get(role, "")) or (fallback[0] if fallback else None)
    return out


def set_active_model(project: ProjectHandle, role: str, key: str) -> ModelChoice:
    choice = find_choice(project, key)
    if choice.role != role:
        raise InputError(f"{choice.name} is a {choice.role}, not a {role}")
    with project.write() as s:
        current = dict(store.get_settings(s).get(SETTINGS_KEY, {}))
        store.update_settings(s, **{SETTINGS_KEY: {**current, role: key}})
    return choice


def find_choice(project: ProjectHandle, key_or_path: str) -> ModelChoice:
    """A choice by key ("version:3", "shipped:x"), version or shipped name, or a path to
    a checkpoint (folder or .safetensors) outside the project."""
    for c in model_choices(project):
        if key_or_path in (c.key, c.name):
            return c
    p = Path(key_or_path)
    if p.exists():
        from ocrstudio.engine.card import read_card, resolve_weights

        weights = resolve_weights(p)
        card = read_card(weights)
        role = _role_of(card) or "detector"
        return ModelChoice(
            f"path:{weights}",
            weights.parent.name,
            role,
            card.architecture,
            weights,
            "path",
            dict(card.metrics),
        )
    raise InputError(f"no model named {key_or_path!r} in the project or shipped with ocrstudio")


# --- the project's labelling conventions (services.conventions): how it boxes text
# (training.box_rules), which found regions it keeps (training.keep_filter) and how it
# writes texts (training.text_rules) ------------------------------------------------------

KEEP_KEY = "keep_filter"
RULES_KEY = "text_rules"
BOXES_KEY = "box_rules"


@dataclass(frozen=True)
class Conventions:
    """The project's labelling conventions as stored: its box rules, keep filter and text
    rules (None: none learned) and whether pre-labelling applies them (one switch for
    all)."""

    filter: KeepFilter | None
    on: bool
    rules: TextRules | None = None
    boxes: BoxRules | None = None

    @property
    def active(self) -> KeepFilter | None:
        return self.filter if self.on else None

    @property
    def active_rules(self) -> TextRules | None:
        return self.rules if self.on else None

    @property
    def active_boxes(self) -> BoxRules | None:
        return self.boxes if self.on else None

    @property
    def learned(self) -> bool:
        return self.filter is not None or self.rules is not None or self.boxes is not None

    def describe(self) -> str:
        parts = (
            ([f"{self.boxes.describe()}"] if self.boxes else [])
            + ([f"a keep filter {self.filter.describe()}"] if self.filter else [])
            + ([f"texts written {self.rules.describe()}"] if self.rules else [])
        )
        return "; ".join(parts) or "nothing learned"


def conventions_of(project: ProjectHandle) -> Conventions:
    """The conventions stored in the project's settings (the keep filter under
    `KEEP_KEY`, the text rules under `RULES_KEY`, the switch under `conventions_on`)."""
    with project.session() as s:
        settings = store.get_settings(s)
    stored, rules, boxes = (settings.get(k) for k in (KEEP_KEY, RULES_KEY, BOXES_KEY))
    if stored is not None and (
        not isinstance(stored, dict) or not isinstance(stored.get("filter", {}), dict)
    ):
        raise InputError("the project's keep filter is not a JSON object", project.folder)
    for name, value in (("text rules", rules), ("box rules", boxes)):
        if value is not None and not isinstance(value, dict):
            raise InputError(f"the project's {name} are not a JSON object", project.folder)
    stored = stored or {}
    keep = KeepFilter.from_dict(stored["filter"]) if stored.get("filter") else None
    return Conventions(
        keep,
        bool(settings.get("conventions_on", stored.get("on", True))),
        TextRules.from_dict(rules) if rules else None,
        BoxRules.from_dict(boxes) if boxes else None,
    )


def set_keep_filter(project: ProjectHandle, keep: KeepFilter | None) -> None:
    """Store `keep` (None: forget the filter)."""
    value = None if keep is None else {"filter": keep.to_dict()}
    with project.write() as s:
        store.update_settings(s, **{KEEP_KEY: value})


def set_text_rules(project: ProjectHandle, rules: TextRules | None) -> None:
    """Store the project's text rules (None: forget them)."""
    with project.write() as s:
        store.update_settings(s, **{RULES_KEY: None if rules is None else rules.to_dict()})


def set_box_rules(project: ProjectHandle, rules: BoxRules | None) -> None:
    """Store the project's box rules (None: forget them)."""
    with project.write() as s:
        store.update_settings(s, **{BOXES_KEY: None if rules is None else rules.to_dict()})


def use_conventions(project: ProjectHandle, on: bool) -> None:
    """Apply the stored conventions when pre-labelling, or not (they stay stored)."""
    if not conventions_of(project).learned:
        raise InputError(
            "this project has no conventions: 'Improve the models on my "
            "labels' learns them where they read better",
            project.folder,
        )
    with project.write() as s:
        store.update_settings(s, conventions_on=on)
