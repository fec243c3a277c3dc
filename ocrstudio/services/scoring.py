"""Scoring a detector + recognizer pair on a project's labelled photos, as the window
pre-labels them (Qt-free): what "Improve the models on my labels" judges new models by.

A pair reads the photos once (`read_labelled`); `scores_of` turns a reading into
`Scores`, with or without the project's keep filter, so comparing filters costs no
second reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocrstudio.core.types import Region
from ocrstudio.services.ocr import PredictorCache, Preset
from ocrstudio.training.box_rules import BoxRules
from ocrstudio.training.keep_filter import KeepFilter
from ocrstudio.training.text_rules import TextRules

OWN_METRIC: dict[str, str] = {"detector": "det_hmean", "recognizer": "word_acc"}


@dataclass(frozen=True)
class Scores:
    """A detector + recognizer pair on labelled photos: detection and end-to-end H-mean
    (ICDAR 2015 rules, text exact up to case), and word accuracy of the recognizer on the
    labelled words' crops."""

    det_hmean: float
    e2e_hmean: float
    word_acc: float
    images: int
    words: int

    def get(self, name: str) -> float:
        return float(getattr(self, name))


@dataclass(frozen=True)
class Reading:
    """What a pair found on each labelled page, and (label, read) for each of its
    labelled words."""

    found: tuple[tuple[Region, ...], ...]
    words: tuple[tuple[tuple[str, str], ...], ...]
    sizes: tuple[tuple[int, int], ...]  # each page's (width, height) as read

    @property
    def all_words(self) -> list[tuple[str, str]]:
        return [w for page in self.words for w in page]


def keep_better(role: str, before: Scores, after: Scores) -> tuple[bool, str]:
    """The keep-the-better rule: the role's own figure (detection H-mean, word accuracy)
    and end to end both at least the base's, and one of them higher."""
    own = OWN_METRIC[role]
    pairs = [
        (own, before.get(own), after.get(own)),
        ("end to end", before.e2e_hmean, after.e2e_hmean),
    ]
    text = ", ".join(f"{n} {b:.3f} -> {a:.3f}" for n, b, a in pairs)
    worse = [n for n, b, a in pairs if a < b]
    if worse:
        return False, f"{text}: {' and '.join(worse)} fell"
    if all(a == b for _, b, a in pairs):
        return False, f"{text}: no gain"
    return True, f"{text}: better"


def read_labelled(
    det: Path,
    rec: Path,
    pages: Sequence[Any],
    device: str = "auto",
    preset: Preset = "fast",
    words: bool = True,
    deadline: float | None = None,
    max_words: int | None = None,
    predictors: PredictorCache | None = None,
) -> Reading:
    """A pair's reading of labelled pages (`build_ocr`, the window's preset; kept in
    `predictors` when given, as improve reads the same pair again); `words`:
    also read the labelled words' own crops (the recognizer's figure), up to `max_words`.
    With a `deadline` (time.monotonic()) it stops after the page that passes it: the
    reading then covers the first pages only."""
    import time

    from ocrstudio.core.images import read_image
    from ocrstudio.services.ocr import build_ocr
    from ocrstudio.training.data import legible_word_crops

    ocr = (
        build_ocr(det, rec, device, preset)
        if predictors is None
        else predictors.ocr(det, rec, device, preset)
    )
    found: list[tuple[Region, ...]] = []
    pairs: list[tuple[tuple[str, str], ...]] = []
    sizes: list[tuple[int, int]] = []
    read_words = 0
    for p in pages:
        if deadline is not None and found and time.monotonic() > deadline:
            break
        image = read_image(p.image_path, turns=p.turns)
        sizes.append((image.shape[1], image.shape[0]))
        found.append(tuple(ocr.predict(image).regions))
        wanted = words and (max_words is None or read_words < max_words)
        crops = legible_word_crops(image, p.labels) if wanted else []
        read = ocr.rec.predict([c for _, c in crops]) if crops else []
        read_words += len(read)
        pairs.append(tuple((r.text, res.text) for (r, _), res in zip(crops, read, strict=True)))
    return Reading(tuple(found), tuple(pairs), tuple(sizes))


def scores_of(
    pages: Sequence[Any],
    reading: Reading,
    keep: KeepFilter | None = None,
    rules: TextRules | None = None,
    boxes: BoxRules | None = None,
) -> Scores:
    """`Scores` of a reading of `pages`; with `boxes`, of its regions boxed as those rules
    say, with `keep`, of what that filter keeps of them, with `rules`, of their texts
    written as those rules say."""
    from ocrstudio.core.metrics import (
        evaluate_detection,
        evaluate_end_to_end,
        evaluate_recognition,
    )

    found = [
        (p.labels.regions, conventional(f, size, keep, rules, boxes))
        for p, f, size in zip(pages, reading.found, reading.sizes, strict=True)
    ]
    write = rules.apply if rules is not None else str
    rec_result = evaluate_recognition([(label, write(read)) for label, read in reading.all_words])
    return Scores(
        evaluate_detection(found).hmean,
        evaluate_end_to_end(found).hmean,
        rec_result.word_acc,
        len(pages),
        rec_result.count,
    )


def conventional(
    found: Sequence[Region],
    size: tuple[int, int],
    keep: KeepFilter | None,
    rules: TextRules | None,
    boxes: BoxRules | None = None,
) -> list[Region]:
    """A page's found regions as the project's conventions have them: boxed as its box
    rules say, those its keep filter keeps (judged on the models' own readings), written
    as its text rules say."""
    if boxes is not None:
        found = boxes.apply(found, size)
    kept = list(found) if keep is None else keep.apply(found, *size)
    if rules is None:
        return kept
    return [r.with_(text=rules.apply(r.text)) for r in kept]


def score_pair(
    det: Path,
    rec: Path,
    pages: Sequence[Any],
    device: str = "auto",
    preset: Preset = "fast",
    keep: KeepFilter | None = None,
) -> Scores:
    """`Scores` of a detector + recognizer on labelled pages, read as the window pre-labels."""
    return scores_of(pages, read_labelled(det, rec, pages, device, preset), keep)
