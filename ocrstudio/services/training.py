"""Training jobs (Qt-free): a project's verified labels in, a registered model version out.

`TrainJob.run(progress, cancel)` reads the verified images of the train split (and the
val split for model selection) in one session, records the run with exactly that
snapshot (image ids + a hash of their labels), trains, scores the best model on the
verified test split, and registers it as a ModelVersion. A failed or cancelled run is
marked so and leaves no model version and no weights behind.

`resolve_data_spec` turns `ocrstudio train --data SPEC` into a training source: a
project folder, any labelled folder, or `synth:words` / `synth:scenes` / `synth:pages` (or
one page kind; detectors only) (`SPEC@W` weights).

Fine-tuning (a base model given) takes its settings from the base's card
(`training.finetune`): `fine_tune_config` lays the person's explicit choices over them,
and `with_replay` mixes in the general data the card names.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocrstudio import store
from ocrstudio.core.cancel import CancelToken
from ocrstudio.core.errors import CancelledError, InputError
from ocrstudio.core.types import PageLabels, Region, Role
from ocrstudio.engine.card import ModelCard
from ocrstudio.services.project import ProjectHandle, is_project, open_project
from ocrstudio.services.team import accepted_only, training_lease
from ocrstudio.training.api import (
    DataSource,
    evaluate_model,
    load_folder,
    parse_weight,
    synth_source,
    train_model,
)
from ocrstudio.training.callbacks import ProgressCallback
from ocrstudio.training.config import ClipChoice, FitConfig
from ocrstudio.training.data import LabeledPage
from ocrstudio.training.finetune import fit_config as finetune_fit_config
from ocrstudio.training.finetune import settings_for

log = logging.getLogger(__name__)


def architectures() -> list[tuple[str, Role]]:
    """(name, role) of every architecture in the zoo: what a training job can build."""
    from ocrstudio.engine.zoo import ARCHITECTURES

    return [(name, spec.role) for name, spec in ARCHITECTURES.items()]


def uses_clip(architecture: str) -> bool:
    """Does a new model of this architecture start from CLIP weights (TCM, CLIP4STR)?"""
    from ocrstudio.engine.zoo import get_spec

    return hasattr(get_spec(architecture).config("tiny"), "clip_weights")


def role_of(architecture: str) -> Role:
    """ "detector" or "recognizer" (KeyError naming the known ones for an unknown name)."""
    from ocrstudio.engine.zoo import get_spec

    return get_spec(architecture).role


def project_pages(handle: ProjectHandle, split: str) -> tuple[list[int], list[LabeledPage]]:
    """The verified images of a split with their labels, as one consistent snapshot (a
    team project set to train on accepted images only: those, `team.accepted_only`)."""
    with handle.session() as s:
        images = store.list_images(
            s, status="verified", split=split, stage="accepted" if accepted_only(handle) else None
        )
        regions = store.regions_of_images(s, [im.id for im in images])
    pages = [
        LabeledPage(
            im.file,
            PageLabels(im.path, tuple(r.to_region() for r in regions[im.id]), im.width, im.height),
            im.rotation,
        )
        for im in images
    ]
    return [im.id for im in images], pages


def with_dont_care(
    pages: list[LabeledPage], extra: Mapping[str, tuple[Region, ...]]
) -> list[LabeledPage]:
    """`pages` with `extra`'s don't-care regions (by image path) added to their labels."""
    return _relabelled(
        pages, bool(extra), lambda p: p.labels.regions + tuple(extra.get(p.labels.image, ()))
    )


def with_boxes(
    pages: list[LabeledPage], boxes: Mapping[str, tuple[Region, ...]]
) -> list[LabeledPage]:
    """`pages` whose labels `boxes` (by image path) give in another geometry: the base
    detector's, where the project's box rules say how the person boxes
    (`training.box_rules.person_boxes`)."""
    return _relabelled(pages, bool(boxes), lambda p: boxes.get(p.labels.image, p.labels.regions))


def with_texts(
    pages: list[LabeledPage], texts: Mapping[str, Mapping[str, str]]
) -> list[LabeledPage]:
    """`pages` whose region texts `texts` (by image path: label -> training text) say to
    write otherwise (`training.text_rules.base_style`)."""

    def written(p: LabeledPage) -> tuple[Region, ...]:
        own = texts.get(p.labels.image, {})
        return tuple(r.with_(text=own.get(r.text, r.text)) for r in p.labels.regions)

    return _relabelled(pages, bool(texts), written)


def _relabelled(
    pages: list[LabeledPage], change: bool, regions: Callable[[LabeledPage], tuple[Region, ...]]
) -> list[LabeledPage]:
    """`pages` with each page's label regions `regions(page)`; as they are without `change`."""
    if not change:
        return pages
    return [
        dataclasses.replace(p, labels=dataclasses.replace(p.labels, regions=regions(p)))
        for p in pages
    ]


def resolve_data_spec(spec: str) -> DataSource:
    """`synth:words`, `synth:scenes`, `synth:pages` (or one page kind), a project folder or
    a labelled folder; `@W` weights."""
    target, weight = parse_weight(spec)
    if target.startswith("synth:"):
        return synth_source(target, weight)
    path = Path(target)
    if is_project(path):
        with open_project(path) as handle:
            _, train = project_pages(handle, "train")
            _, val = project_pages(handle, "val")
        if not train:
            raise InputError("the project has no verified images in its train split", path)
        return DataSource(target, weight, pages=tuple(train), val_pages=tuple(val))
    return DataSource(target, weight, pages=tuple(load_folder(path)))


def resolve_base(base: str | Path) -> Path:
    """A base model: a checkpoint path (folder or .safetensors), or the name of a model
    shipped with ocrstudio (`rec_default`), as `ocrstudio ocr --rec` takes it."""
    from ocrstudio.core.types import ROLES
    from ocrstudio.services.ocr import resolve_model, shipped_models

    for role in ROLES:  # `ocrstudio ocr`'s own lookup, for either role
        try:
            return resolve_model(str(base), role)
        except InputError:
            continue
    known = ", ".join(n for r in ROLES for n in shipped_models(r))
    raise InputError(f"no such model: not a path, nor a shipped model ({known})", base)


def base_card(base: Path) -> ModelCard:
    """A base checkpoint's card (its JSON only; no weights read)."""
    from ocrstudio.engine.card import read_card

    return read_card(base)


def fine_tune_config(
    base: Path, overrides: dict[str, Any] | None = None, start: FitConfig = FitConfig()
) -> FitConfig:
    """The loop's settings for fine-tuning `base`: its card's (`training.finetune`), the
    person's explicit `overrides` over them."""
    return finetune_fit_config(settings_for(base_card(base)), overrides, start)


def with_replay(sources: list[DataSource], base: Path) -> list[DataSource]:
    """`sources` and the general data `base`'s card mixes into a fine-tune (`replay`),
    each unless a source of the same data is there already."""
    have = {s.name for s in sources}
    extra = [resolve_data_spec(spec) for spec in settings_for(base_card(base)).replay]
    return [*sources, *(s for s in extra if s.name not in have)]


SCRATCH_MIN = {"recognizer": 5000, "detector": 500}  # labelled words / photos


def scratch_warning(role: str, pages: list[LabeledPage], extra: tuple[str, ...]) -> str | None:
    """What to tell a person who trains a new model on a few photos without synthetic
    data: it will not learn to read (published models see millions of words)."""
    if any(x.startswith("synth:") for x in extra):
        return None
    count = sum(len(p.labels.legible) for p in pages) if role == "recognizer" else len(pages)
    if count >= SCRATCH_MIN[role]:
        return None
    what = "labelled words" if role == "recognizer" else "photos"
    return (
        f"a new {role} trained from scratch on {count} {what} will not learn to read: "
        "fine-tune a model instead (pick a base model), or mix in synthetic data"
    )


@dataclass(frozen=True)
class TrainResult:
    run_id: int
    version_id: int
    version_name: str
    weights: Path
    metrics: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class TrainJob:
    """Train `arch` (or fine-tune `base`: a model version name/id of the project, a
    shipped model's name or a checkpoint path) on the project's verified train split,
    mixed with `extra` specs. `fit` holds the person's explicit FitConfig fields: a
    fine-tune takes the rest from the base's card, a new model from FitConfig's defaults;
    `replay` mixes in the general data the base's card names."""

    project: Path
    arch: str | None = None
    config: str = "full"
    base: str | None = None
    fit: dict[str, Any] = field(default_factory=dict)
    extra: tuple[str, ...] = ()
    name: str | None = None
    clip: ClipChoice = ClipChoice()
    replay: bool = True
    score_test: bool = True  # score the new model on the test split (improve does its own)
    # don't-care regions added to the person's labels while training, by image path (the
    # text a person left unlabelled, `training.keep_filter.unlabelled_boxes`)
    dont_care: Mapping[str, tuple[Region, ...]] = field(default_factory=dict)
    # training texts by image path (label -> text) where the person's way of writing is
    # the project's text rules' business, not the recognizer's (`services.conventions`)
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # a detector's labels by image path in the base detector's geometry, where the way the
    # person boxes is the project's box rules' business (`services.conventions`)
    boxes: Mapping[str, tuple[Region, ...]] = field(default_factory=dict)

    def fit_config(self, base: Path | None) -> FitConfig:
        return FitConfig(**self.fit) if base is None else fine_tune_config(base, self.fit)

    def run(
        self, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> TrainResult:
        with open_project(self.project) as handle, training_lease(handle):
            return _run(self, handle, progress, cancel)

    def run_in(
        self,
        handle: ProjectHandle,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> TrainResult:
        """`run` inside a project another job holds open."""
        with training_lease(handle):  # a team project trains one run at a time
            return _run(self, handle, progress, cancel)


def _base(handle: ProjectHandle, base: str | None) -> tuple[Path | None, int | None]:
    if base is None:
        return None, None
    with handle.session() as s:
        rec = (
            store.get_model_version(s, int(base))
            if base.isdigit()
            else store.find_model_version(s, base)
        )
    if rec is not None:
        return handle.folder / rec.weights_path, rec.id
    return resolve_base(base), None


def _run(
    job: TrainJob,
    handle: ProjectHandle,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> TrainResult:
    base_path, base_id = _base(handle, job.base)
    arch = job.arch
    if arch is None and base_path is not None:
        from ocrstudio.engine.card import read_card

        arch = read_card(base_path).architecture
    if arch is None:
        raise InputError("name an architecture or a base model to train")
    role = role_of(arch)
    train_ids, train_pages = project_pages(handle, "train")
    val_ids, val_pages = project_pages(handle, "val")
    train_pages, val_pages = (
        with_texts(with_dont_care(with_boxes(pages, job.boxes), job.dont_care), job.texts)
        for pages in (train_pages, val_pages)
    )
    if not train_pages:
        raise InputError("no verified images in the train split to learn from", handle.folder)
    warning = None if base_path is not None else scratch_warning(role, train_pages, job.extra)
    if warning:
        log.warning(warning)
    with handle.write() as s:
        run = store.add_training_run(
            s,
            arch,
            train_ids + val_ids,
            base_id,
            {
                "fit": dict(job.fit),
                "config": job.config,
                "extra": list(job.extra),
                "base": job.base,
                "dont_care": sum(map(len, job.dont_care.values())),
            },
        )
        store.set_run_status(s, run.id, "running")
    out = handle.models_dir / f"{arch}-run{run.id}"
    try:
        fit = job.fit_config(base_path)  # a base's card is read inside: a bad one fails the run
        sources = [
            DataSource("project", 1.0, tuple(train_pages), val_pages=tuple(val_pages)),
            *(resolve_data_spec(x) for x in job.extra),
        ]
        if base_path is not None and job.replay:
            sources = with_replay(sources, base_path)
        res = train_model(
            sources,
            out,
            arch=arch,
            config=job.config,
            base=base_path,
            fit_config=fit,
            progress=progress,
            cancel=cancel,
            name=job.name or f"{arch}-run{run.id}",
            clip=job.clip,
        )
        _, test_pages = project_pages(handle, "test") if job.score_test else (None, [])
        metrics: dict[str, Any] = dict(res.metrics)
        if test_pages:
            metrics = {**evaluate_model(out, test_pages, fit.device), "split": "test"}
        return _register(handle, job, run.id, arch, role, out, base_id, metrics, res.history)
    except BaseException as exc:
        status = "cancelled" if isinstance(exc, CancelledError | KeyboardInterrupt) else "failed"
        with handle.write() as s:
            store.set_run_status(s, run.id, status, error=str(exc) or type(exc).__name__)
        shutil.rmtree(out, ignore_errors=True)
        raise


def _register(
    handle: ProjectHandle,
    job: TrainJob,
    run_id: int,
    arch: str,
    role: str,
    out: Path,
    base_id: int | None,
    metrics: dict[str, Any],
    history: list[dict[str, Any]],
) -> TrainResult:
    from ocrstudio.engine.card import read_card

    card = read_card(out)
    name = card.name or f"{arch}-run{run_id}"
    charset = card.charset.chars if card.charset else ""
    with handle.write() as s:
        for entry in history:
            store.append_epoch(s, run_id, entry)
        version = store.add_model_version(
            s,
            name,
            arch,
            role,
            str(out.relative_to(handle.folder) / "model.safetensors"),
            charset=charset,
            config=dict(card.config),
            parent_id=base_id,
            metrics=metrics,
        )
        store.set_run_status(s, run_id, "done", result_version_id=version.id)
    return TrainResult(run_id, version.id, name, out / "model.safetensors", metrics, history)
