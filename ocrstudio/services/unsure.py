"""The one rule for "unsure": which model readings a person should check.

The red flag on the canvas, the Score column, the region panel's line and the review
queue all ask `UnsureRule.judge`, which returns the number it judged (the one shown) and
the reason in words (shown as a tooltip), so what is flagged and why never disagree.

- A read region is judged by its reading's score (the recognizer's: it is what predicts
  whether the text is right; the detector's box score says whether there is text at all).
  Below the recognizer card's threshold it is unsure.
- A long number read with no point or comma is unsure whatever its score: a recognizer
  drops the small point of "1.00" and says "100" at 1.00 (receipts), and neither its
  sequence score nor its per-character scores show it (a character that was never read
  has no score; `RecResult.char_scores` only rate what was read, and the sequence score
  is their product, so a per-character minimum flags nothing the score does not).
- A second opinion (another recognizer's reading of the same crop, `SecondOpinion`, kept by
  `services/second_opinion.py`) that reads other text makes a reading unsure whatever its
  score: two recognizers of different families (CTC and attention) rarely agree on the same
  wrong text. `Judgement.disagreement` (their normalised edit distance) is what the review
  queue can sort by, and `agreement_score` ranks readings by both (benchmarks/
  bench_conclr.py measures it).
- A box not read yet is judged by its detection score (DB's box score).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocrstudio.core.errors import InputError
from ocrstudio.services.project import ProjectHandle

# the project setting the second opinions live in (`services.second_opinion` writes it)
SECOND_OPINIONS_KEY = "second_opinion"

if TYPE_CHECKING:
    from ocrstudio.engine.card import ModelCard

# Used when the active recognizer's card names no threshold: the shipped recognizer's, as
# measured on the 451 ICDAR 2015 validation words (90 % of wrong readings below it).
DEFAULT_BELOW = 0.9
# A box with no reading: DB's box score, which the box threshold already keeps above 0.5.
BOX_BELOW = 0.6
CARD_KEY = "low_confidence_threshold"
BARE_NUMBER = re.compile(r"\d{3,}")


@dataclass(frozen=True)
class Judgement:
    score: float | None  # the number the rule judged (what the Score column shows)
    unsure: bool
    why: str  # the rule as it was applied, in words
    disagreement: float = 0.0  # with the second opinion: 0 agree .. 1 nothing in common


@dataclass(frozen=True)
class SecondOpinion:
    """Another recognizer's reading of a region's crop."""

    text: str
    score: float
    source: str = "second opinion"


def disagreement(text: str, other: str) -> float:
    """0 when two readings are the same text (spaces at the ends aside), else their edit
    distance over the longer one's length, in (0, 1]."""
    from ocrstudio.core.metrics import edit_distance

    a, b = text.strip(), other.strip()
    if a == b:
        return 0.0
    return edit_distance(a, b) / max(len(a), len(b))


def agreement_score(score: float, text: str, second: SecondOpinion | None) -> float:
    """A reading's score with a second opinion beside it, for ranking (as if the two
    recognizers erred independently): where they agree, the chance that not both are
    wrong, 1 - (1 - s1)(1 - s2); where they disagree, the first score times the chance
    that the second is wrong, s1 (1 - s2): a sure second opinion against it sinks it."""
    if second is None:
        return score
    if disagreement(text, second.text) == 0.0:
        return 1.0 - (1.0 - score) * (1.0 - second.score)
    return score * (1.0 - second.score)


@dataclass(frozen=True)
class UnsureRule:
    below: float = DEFAULT_BELOW
    box_below: float = BOX_BELOW
    source: str = "default"  # where `below` came from: a recognizer's name
    # region id -> a second recognizer's reading (`second_opinions`)
    seconds: Mapping[int, SecondOpinion] = field(default_factory=dict, compare=False)

    def judge(
        self,
        text: str,
        score: float | None,
        det_score: float | None,
        verified: bool = False,
        ignore: bool = False,
        second: SecondOpinion | None = None,
    ) -> Judgement:
        if score is not None and second is not None:
            d = disagreement(text, second.text)
            if d > 0.0:
                return Judgement(
                    score,
                    not (verified or ignore),
                    f"reading {score:.2f}, but {second.source} reads "
                    f"{second.text!r} ({second.score:.2f}): check it",
                    d,
                )
        if score is not None:
            shown = f"reading {score:.2f}"
            if score < self.below:
                return Judgement(
                    score,
                    not (verified or ignore),
                    f"{shown} < {self.below:.2f} ({self.source}): unsure",
                )
            if BARE_NUMBER.fullmatch(text.strip()):
                return Judgement(
                    score,
                    not (verified or ignore),
                    f"{shown}, but a number read without a point or comma: "
                    "check it (a dropped point reads confidently)",
                )
            return Judgement(score, False, f"{shown} ≥ {self.below:.2f} ({self.source})")
        if det_score is not None:
            shown = f"box {det_score:.2f}, not read"
            if det_score < self.box_below:
                return Judgement(
                    det_score, not (verified or ignore), f"{shown} < {self.box_below:.2f}: unsure"
                )
            return Judgement(det_score, False, f"{shown} ≥ {self.box_below:.2f}")
        return Judgement(None, False, "a person's")

    def judge_record(self, rec: Any, second: SecondOpinion | None = None) -> Judgement:
        """A `RegionRecord` or `Region` (anything with text, score, det_score, verified,
        ignore), with the second opinion on it if there is one (given, or the rule's
        for the record's id)."""
        if second is None:
            second = self.seconds.get(getattr(rec, "id", None))  # type: ignore[arg-type]
        return self.judge(rec.text, rec.score, rec.det_score, rec.verified, rec.ignore, second)


def card_threshold(card: ModelCard | None) -> float | None:
    """`low_confidence_threshold` at the card's top level or in one of its sections
    (rec_default keeps it with the validation that measured it, a section this version
    keeps among the card's extras)."""
    if card is None:
        return None
    sections = [
        card.extras,
        card.metrics,
        card.validation or {},
        *(v for v in card.extras.values() if isinstance(v, dict)),
    ]
    for section in sections:
        value = section.get(CARD_KEY)
        if isinstance(value, int | float) and 0.0 < float(value) <= 1.0:
            return float(value)
    return None


def _card(weights: Path) -> ModelCard | None:
    """The card, or None where there is none this version reads (the default applies)."""
    from ocrstudio.engine.card import read_card

    try:
        return read_card(weights)
    except InputError:
        return None


def rule_for(project: ProjectHandle) -> UnsureRule:
    """The rule with the active recognizer's threshold (its card's, else the default)."""
    name, card = _active_recognizer_card(project)
    below = card_threshold(card)
    seconds = second_opinions(project)
    if below is None:
        return UnsureRule(source="default", seconds=seconds)
    return UnsureRule(below=below, source=f"{name}'s card", seconds=seconds)


def _active_recognizer_card(project: ProjectHandle) -> tuple[str, ModelCard | None]:
    """Name and card of the active recognizer, found from the cards alone: the window asks
    on opening a project, and `model_choice.active_models` would import torch (seconds) to
    rank the shipped models. With nothing chosen, the shipped `*_default` is active."""
    from ocrstudio import store
    from ocrstudio.services.model_choice import SETTINGS_KEY, project_models
    from ocrstudio.services.ocr import shipped_models

    with project.session() as s:
        chosen = str(dict(store.get_settings(s).get(SETTINGS_KEY, {})).get("recognizer", ""))
    kind, _, key = chosen.partition(":")
    if kind == "version":
        found = next((c for c in project_models(project) if c.key == chosen), None)
        if found is not None:
            return found.name, _card(found.weights)
    shipped = shipped_models("recognizer")
    default = next((n for n in shipped if n.endswith("_default")), next(iter(shipped), ""))
    name = key if kind == "shipped" and key in shipped else default
    return (name, _card(shipped[name] / "model.safetensors")) if name else ("", None)


def second_opinions(project: ProjectHandle) -> dict[int, SecondOpinion]:
    """Region id -> the second opinion on its current reading (`services.second_opinion`
    writes them; one kept only while its region still reads as it did then)."""
    from ocrstudio import store
    from ocrstudio.store import edits

    with project.session() as s:
        saved = dict(store.get_settings(s).get(SECOND_OPINIONS_KEY, {}))
        current = {e.region_id: e.text for e in edits.review_candidates(s)}
    source = str(saved.get("model", "second opinion"))
    out: dict[int, SecondOpinion] = {}
    for key, entry in dict(saved.get("readings", {})).items():
        try:
            rid, (first, text, score) = int(key), entry
        except (TypeError, ValueError):
            continue  # a hand-edited project file: that entry is ignored
        if current.get(rid) == first:
            out[rid] = SecondOpinion(str(text), float(score), source)
    return out
