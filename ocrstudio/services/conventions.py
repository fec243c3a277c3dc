"""The person's labelling conventions in "Improve the models on my labels" (Qt-free): the
text they leave unlabelled and how they write what they read, kept apart from what the
models learn.

Before the fine-tunes, `study_labels` reads the train and val photos with the base pair:
what it reads surely where the person drew nothing becomes don't-care in the detector's
training labels (`TrainJob.dont_care`), so the detector learns the person's boxes
without learning that the rest of the photo holds no text; its readings of the labelled
words teach the project's text rules (`training.text_rules`: spaces, punctuation, case)
and the recognizer is fine-tuned on the base's way of writing a word wherever those
rules alone make it the label (`TrainJob.texts`). After the fine-tunes,
`choose_conventions` learns which found regions the person keeps
(`training.keep_filter`) from the kept pair's reading of the train photos, and applies
whichever filter (none, the project's current one, the new one) and rules (none,
current, new) read the judging split best end to end (the fewest on a tie).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ocrstudio.core.types import Region
from ocrstudio.services.model_choice import (
    Conventions,
    ModelChoice,
    set_box_rules,
    set_keep_filter,
    set_text_rules,
)
from ocrstudio.services.ocr import PredictorCache
from ocrstudio.services.project import ProjectHandle
from ocrstudio.services.scoring import Reading, Scores, conventional, read_labelled, scores_of
from ocrstudio.services.training import project_pages
from ocrstudio.training.box_rules import BoxRules, boxed_share, learn_box_rules, person_boxes
from ocrstudio.training.keep_filter import learn_keep_filter, unlabelled_boxes
from ocrstudio.training.text_rules import TextRules, base_style, learn_text_rules

# the probability (per pixel, per box) from which the base detector's text is don't-care
FAINT_PIXELS = 0.2
FAINT_BOXES = 0.3
STUDY_WORDS = 400  # labelled words read for the text rules (a form holds 150 a page)


@dataclass(frozen=True)
class FilterOutcome:
    """What the keep-filter step decided: the kept pair's figures without a filter and
    with the one now applied (the same when none), and why."""

    without: Scores
    chosen: Scores
    learned: bool  # a new filter was learned and is now applied
    applied: bool  # some filter is applied when pre-labelling
    why: str


@dataclass(frozen=True)
class Study:
    """What the base pair's reading of the labelled photos says of the person's ways."""

    dont_care: dict[str, tuple[Region, ...]]  # by image path
    rules: TextRules | None
    texts: dict[str, dict[str, str]]  # by image path: label -> training text
    boxes: BoxRules | None = None
    # by image path: the labels in the base detector's geometry (`person_boxes`)
    boxes_of_labels: dict[str, tuple[Region, ...]] = dataclasses.field(default_factory=dict)
    found_share: float = 0.0  # of the labels, those the base pair boxes (as the rules say)


def study_labels(
    handle: ProjectHandle,
    det: ModelChoice,
    rec: ModelChoice,
    device: str,
    preset: Any,
    seconds: float,
    predictors: PredictorCache | None = None,
) -> Study:
    """Read the train and val photos with `det` + `rec` for at most about `seconds`
    (a seeded draw of them when time runs short; `STUDY_WORDS` labelled words are enough
    for the text rules): the text rules and the training texts they give; and, from
    `det` alone over every photo, the don't-care regions (`unlabelled_regions`)."""
    import random
    import time

    pages = [p for split in ("train", "val") for p in project_pages(handle, split)[1]]
    random.Random(0).shuffle(pages)
    reading = read_labelled(
        det.weights,
        rec.weights,
        pages,
        device,
        preset,
        deadline=time.monotonic() + seconds,
        max_words=STUDY_WORDS,
        predictors=predictors,
    )
    dont_care = unlabelled_regions(pages, det, rec, device, preset, predictors)
    pages = pages[: len(reading.found)]
    rules = learn_text_rules(reading.all_words)
    seen = [(f, p.labels.regions) for p, f in zip(pages, reading.found, strict=True)]
    boxes = learn_box_rules(seen)
    texts: dict[str, dict[str, str]] = {}
    for p, words in zip(pages, reading.words, strict=True):
        own = {
            label: base_style(label, read, rules)
            for label, read in words
            if rules is not None and base_style(label, read, rules) != label
        }
        if own:
            texts[p.labels.image] = own
    return Study(
        dont_care,
        rules,
        texts,
        boxes,
        _in_base_geometry(boxes, pages, reading),
        boxed_share(boxes, seen),
    )


def _in_base_geometry(
    boxes: BoxRules | None, pages: Sequence[Any], reading: Reading
) -> dict[str, tuple[Region, ...]]:
    """Each read photo's labels as the base detector boxes them (`person_boxes`), so a
    detector's fine-tune learns the text it missed and not the person's way of boxing,
    which the box rules keep; nothing where no box rules were learned."""
    if boxes is None:
        return {}
    return {
        p.labels.image: tuple(
            b
            for label in p.labels.regions
            for b in ((label,) if label.ignore else person_boxes(boxes, found, label))
        )
        for p, found in zip(pages, reading.found, strict=True)
    }


def unlabelled_regions(
    pages: Sequence[Any],
    det: ModelChoice,
    rec: ModelChoice,
    device: str,
    preset: Any,
    predictors: PredictorCache | None = None,
) -> dict[str, tuple[Region, ...]]:
    """By image path, the don't-care regions of every labelled photo: the boxes `det`
    finds where the person drew nothing (`training.keep_filter.unlabelled_boxes`), down to
    faint text it would not propose (`FAINT_PIXELS`, `FAINT_BOXES`): taught that faint
    signs in a car photo are background, a detector lost small street text elsewhere.
    The detector alone reads them, so every photo is covered within a time budget the
    recognizer's reading may run out of."""
    from ocrstudio.core.images import read_image

    ocr = (predictors or PredictorCache()).ocr(det.weights, rec.weights, device, preset)
    faint = copy.copy(ocr.det)  # the same network, its own post-processing
    faint.postprocess = dataclasses.replace(
        ocr.det.postprocess, thresh=FAINT_PIXELS, box_thresh=FAINT_BOXES
    )
    out = {}
    for p in pages:
        found = faint.predict(read_image(p.image_path, turns=p.turns))
        extra = unlabelled_boxes(found, p.labels.regions)
        if extra:
            out[p.labels.image] = tuple(extra)
    return out


def choose_conventions(
    handle: ProjectHandle,
    pair: tuple[ModelChoice, ModelChoice],
    pages: Sequence[Any],
    judged: Reading,
    current: Conventions,
    rules: TextRules | None,
    device: str,
    preset: Any,
    seconds: float | None = None,
    predictors: PredictorCache | None = None,
    boxes: BoxRules | None = None,
) -> FilterOutcome:
    """Learn a keep filter from `pair`'s reading of the train photos (boxed as each box
    rules option says); store whichever box rules (none / current / `boxes`), filter
    (none / current / new) and text rules (none / current / `rules`) read `pages` (the
    judging split, read by `pair` as `judged`) best end to end. Conventions the person
    switched off stay as they left them. The train photos are read for about `seconds`
    at most (the first of a seeded draw, as the study)."""
    without = scores_of(pages, judged)
    if current.learned and not current.on:
        return FilterOutcome(
            without, without, False, False, "the project's conventions are switched off: left so"
        )
    train, read = _read_train(handle, pair, device, preset, seconds, predictors)
    texts = _options(current.rules, rules)
    scored = []
    for box_option in _options(current.boxes, boxes):
        # the filter learns the regions as pre-labelling will box them (inside the photo)
        learned = learn_keep_filter(
            [
                (conventional(f, size, None, None, box_option[1]), p.labels.regions, *size)
                for p, f, size in zip(train, read.found, read.sizes, strict=True)
            ]
        )
        scored += [
            (box_option, f, r, scores_of(pages, judged, f[1], r[1], box_option[1]))
            for r in texts
            for f in _options(current.filter, learned)
        ]
    best = max(scored, key=lambda c: c[3].e2e_hmean)
    (bname, chosen_boxes), (fname, keep), (rname, chosen_rules), chosen = best
    for name, store_it, value in (
        (bname, set_box_rules, chosen_boxes),
        (fname, set_keep_filter, keep),
        (rname, set_text_rules, chosen_rules),
    ):
        if name != "current":
            store_it(handle, value)
    return FilterOutcome(
        without,
        chosen,
        "new" in (bname, fname, rname),
        any(x is not None for x in (chosen_boxes, keep, chosen_rules)),
        _why(best[:3], without, chosen),
    )


def _read_train(
    handle: ProjectHandle,
    pair: tuple[ModelChoice, ModelChoice],
    device: str,
    preset: Any,
    seconds: float | None,
    predictors: PredictorCache | None,
) -> tuple[list[Any], Reading]:
    """`pair`'s reading of the train photos (a seeded draw, the first `seconds`' worth)."""
    import random
    import time

    train = project_pages(handle, "train")[1]
    random.Random(0).shuffle(train)
    read = read_labelled(
        pair[0].weights,
        pair[1].weights,
        train,
        device,
        preset,
        words=False,
        deadline=None if seconds is None else time.monotonic() + seconds,
        predictors=predictors,
    )
    return train[: len(read.found)], read


def _options(current: Any, new: Any) -> list[tuple[str, Any]]:
    """None first (chosen on a tie), then what there is."""
    return [("none", None)] + [
        (n, x) for n, x in (("current", current), ("new", new)) if x is not None
    ]


def _why(chosen_options: tuple[tuple[str, Any], ...], without: Scores, chosen: Scores) -> str:
    (bname, boxes), (fname, keep), (rname, rules) = chosen_options
    gain = f"end to end {without.e2e_hmean:.3f} -> {chosen.e2e_hmean:.3f}"
    if keep is None and rules is None and boxes is None:
        return f"none: keeping every found region as read reads your photos best ({gain})"
    parts = (
        ([f"{boxes.describe()}{' (as before)' if bname == 'current' else ''}"] if boxes else [])
        + (
            [
                f"pre-labels keep only regions like the ones you label ({keep.describe()}"
                f"{', as before' if fname == 'current' else ''})"
            ]
            if keep
            else []
        )
        + (
            [f"texts are written {rules.describe()}{' (as before)' if rname == 'current' else ''}"]
            if rules
            else []
        )
    )
    return f"{'; '.join(parts)}: {gain}"
