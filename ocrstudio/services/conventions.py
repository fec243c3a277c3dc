"""The person's labelling conventions in "Improve the models on my labels" (Qt-free): the
text they leave unlabelled, kept apart from what the detector learns.

Before the detector's fine-tune, `unlabelled_regions` reads the train and val photos with
the base pair: what it reads surely where the person drew nothing becomes don't-care in
the detector's training labels (`TrainJob.dont_care`), so the detector learns the
person's boxes without learning that the rest of the photo holds no text. After the
fine-tunes, `choose_keep_filter` learns which found regions the person keeps
(`training.keep_filter`) from the kept pair's reading of the train photos, and keeps
whichever of no filter, the project's current one and the new one reads the judging
split best end to end (no filter on a tie).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ocrstudio.core.types import Region
from ocrstudio.services.model_choice import KeepSetting, ModelChoice, set_keep_filter
from ocrstudio.services.project import ProjectHandle
from ocrstudio.services.scoring import Reading, Scores, read_labelled, scores_of
from ocrstudio.services.training import project_pages
from ocrstudio.training.keep_filter import KeepFilter, learn_keep_filter, unlabelled_text

# reading score from which text the person left unlabelled is don't-care, not background
DONT_CARE_READING = 0.5


@dataclass(frozen=True)
class FilterOutcome:
    """What the keep-filter step decided: the kept pair's figures without a filter and
    with the one now applied (the same when none), and why."""

    without: Scores
    chosen: Scores
    learned: bool      # a new filter was learned and is now applied
    applied: bool      # some filter is applied when pre-labelling
    why: str


def unlabelled_regions(handle: ProjectHandle, det: ModelChoice, rec: ModelChoice,
                       device: str, preset: Any) -> dict[str, tuple[Region, ...]]:
    """Don't-care regions by image path: what `det` + `rec` read surely on the train and
    val photos where the person drew no box."""
    pages = [p for split in ("train", "val") for p in project_pages(handle, split)[1]]
    reading = read_labelled(det.weights, rec.weights, pages, device, preset, words=False)
    out = {}
    for p, found in zip(pages, reading.found, strict=True):
        extra = unlabelled_text(found, p.labels.regions, DONT_CARE_READING)
        if extra:
            out[p.labels.image] = tuple(extra)
    return out


def choose_keep_filter(handle: ProjectHandle, pair: tuple[ModelChoice, ModelChoice],
                       pages: Sequence[Any], judged: Reading, current: KeepSetting,
                       device: str, preset: Any) -> FilterOutcome:
    """Learn a filter from `pair`'s reading of the train photos and apply whichever of
    none / `current` / the new one reads `pages` (the judging split, read by `pair` as
    `judged`) best end to end. A filter the person switched off stays as they left it."""
    without = scores_of(pages, judged)
    if current.filter is not None and not current.on:
        return FilterOutcome(without, without, False, False,
                             "the keep filter is switched off in this project: left so")
    train = project_pages(handle, "train")[1]
    read = read_labelled(pair[0].weights, pair[1].weights, train, device, preset,
                         words=False)
    learned = learn_keep_filter([(f, p.labels.regions, *size) for p, f, size in
                                 zip(train, read.found, read.sizes, strict=True)])
    options: list[tuple[str, KeepFilter | None]] = [("none", None), ("current", current.filter),
                                                    ("new", learned)]
    scored = [(name, f, scores_of(pages, judged, f)) for name, f in options
              if name == "none" or f is not None]
    name, keep, chosen = max(scored, key=lambda c: c[2].e2e_hmean)  # first best: none
    if name != "current":
        set_keep_filter(handle, keep)
    return FilterOutcome(without, chosen, name == "new", keep is not None,
                         _why(name, learned, without, chosen))


def _why(name: str, learned: KeepFilter | None, without: Scores, chosen: Scores) -> str:
    gain = f"end to end {without.e2e_hmean:.3f} -> {chosen.e2e_hmean:.3f}"
    if name == "new" and learned is not None:
        return (f"pre-labels keep only regions like the ones you label ({learned.describe()}"
                f"): {gain}")
    if name == "current":
        return f"the project's keep filter still reads best ({gain}): kept"
    if learned is None:
        return "no keep filter: the models find little that you leave unlabelled"
    return "no keep filter: leaving regions out did not read your photos better"
