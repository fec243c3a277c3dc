"""The recognizer's verify settings for a detector's boxes (`engine.verification.
Verification`): scored and tuned on the validation photos with a given recognizer, and
written into the detector's card, which `services.ocr.build_ocr` reads.

Several validation splits (street photos, forms, rendered receipts and screenshots) count
alike: each split is scored on its own and the search maximises their mean, so a split of
150-word pages does not outweigh one of 5-word photos, and settings that suit one kind of
photo at the others' cost lose."""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from ocrstudio.engine.spec import Preset

# The grid: the detector's candidate box score, the box score it is sure at, the least
# reading score and number of letters or digits an unsure box needs. Candidates at 0.4 let
# in about twice the regions; 3 characters is where ICDAR's word spotting starts counting.
CANDIDATES = (0.4, 0.5, 0.6, 0.7)
SURE = (0.7, 0.8, 0.9)
MIN_READING = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9)
MIN_CHARS = (1, 2, 3)
# Then, at the best of those, joining pieces of words (`Verification.join_gap`, heights
# between boxes); each takes a reading of its own, since it changes what is read. Joining
# reads the photo's candidate pieces a second time (at 960 pixels about a sixth more time
# a photo), so it is kept only when detection + end-to-end H-mean gain this much.
JOIN_GAPS = (0.15, 0.3)
JOIN_MIN_GAIN = 0.005


@dataclasses.dataclass(frozen=True)
class ReadCandidates:
    """Each validation photo's ground truth and its candidate regions as read (words
    split when the detector's card says words), down to the lowest candidate score, and
    the split each photo came from (one name for all: one split)."""

    truth: list[Any]
    regions: list[list[Any]]
    splits: list[str] = dataclasses.field(default_factory=list)

    def by_split(self) -> dict[str, list[int]]:
        """Split name -> its photos' indices (one unnamed split when none are named)."""
        names = self.splits or [""] * len(self.truth)
        out: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            out.setdefault(name, []).append(i)
        return out


def read_candidates(
    det: Path,
    rec: Path,
    split: Path | Sequence[Path],
    lowest: float = min(CANDIDATES),
    device: str = "cpu",
    limit_side: int | None = None,
    verify: Any | None = None,
) -> ReadCandidates:
    """Run the detector (its card's thresholds, box score lowered to `lowest`, input
    `limit_side` or the card's) and the recognizer (as the preset reading at that size
    reads it, `preset_at`) once over the split; every grid point
    is scored from this. With `verify`, the predictor applies those settings (pieces of
    words joined as they say) at their candidate score instead, and keeps only what they
    keep."""
    from ocrstudio.core.images import read_image
    from ocrstudio.engine.card import read_card
    from ocrstudio.engine.detection.predictor import DetectionPredictor
    from ocrstudio.engine.predictor import OcrPredictor
    from ocrstudio.services.ocr import load_recognizer
    from ocrstudio.training.api import load_folder

    card = read_card(det)
    if verify is not None:
        lowest = verify.candidates
    detector = DetectionPredictor.from_checkpoint(
        det,
        device=device,
        postprocess=DetectionPredictor.card_postprocess(det, lowest, limit_side),
        limit_side=limit_side,
    )
    ocr = OcrPredictor(
        detector,
        load_recognizer(rec, device, preset_at(limit_side)),
        split_words=(card.boxes or "words") == "words",
        verify=verify,
    )
    folders = [split] if isinstance(split, Path) else list(split)
    pages = [(f.name, p) for f in folders for p in load_folder(f)]
    found = [list(ocr.predict(read_image(p.image_path)).regions) for _, p in pages]
    return ReadCandidates([p.labels.regions for _, p in pages], found, [n for n, _ in pages])


def preset_at(limit_side: int | None) -> Preset:
    """The preset that reads photos at `limit_side` (fast's 960; else accurate): the
    recognizer is read as that preset reads it (ONNX Runtime on a CPU, fast's narrower
    padding), so the settings are tuned on the readings they will judge."""
    from ocrstudio.services.ocr import PRESET_LIMIT_SIDE

    found = [p for p, side in PRESET_LIMIT_SIDE.items() if side is not None and side == limit_side]
    return cast(Preset, found[0]) if found else "accurate"


def score(read: ReadCandidates, verify: Any | None, box_thresh: float) -> dict[str, Any]:
    """Detection P/R/H, end-to-end and word-spotting H-mean of the regions `verify` keeps
    (None: the detector alone at `box_thresh`): each split's, and their mean (with
    several splits, each split's own figures under "splits")."""

    def kept(r: Any) -> bool:
        s = r.det_score or 0.0
        if verify is None:
            return s >= box_thresh
        return s >= verify.candidates and verify.keeps(s, r.text, r.score or 0.0)

    pairs = [
        (gt, [r for r in regions if kept(r)])
        for gt, regions in zip(read.truth, read.regions, strict=True)
    ]
    each = {name: _figures([pairs[i] for i in idx]) for name, idx in read.by_split().items()}
    mean = {k: sum(f[k] for f in each.values()) / len(each) for k in next(iter(each.values()))}
    return mean if len(each) == 1 else {**mean, "splits": each}


def _figures(pairs: list[Any]) -> dict[str, float]:
    from ocrstudio.core.metrics import (
        evaluate_detection,
        evaluate_end_to_end,
        evaluate_word_spotting,
    )

    det = evaluate_detection(pairs)
    return {
        "precision": det.precision,
        "recall": det.recall,
        "hmean": det.hmean,
        "e2e_hmean": evaluate_end_to_end(pairs).hmean,
        "spot_hmean": evaluate_word_spotting(pairs).hmean,
    }


def _objective(m: dict[str, Any]) -> float:
    """What the search maximises: detection + end-to-end H-mean (the splits' mean)."""
    return m["hmean"] + m["e2e_hmean"]


def grid_points() -> Sequence[tuple[float, float, float, int]]:
    """Every (candidates, sure, min_reading, min_chars) the search tries."""
    return [p for p in itertools.product(CANDIDATES, SURE, MIN_READING, MIN_CHARS) if p[1] >= p[0]]


def tune(read: ReadCandidates, box_thresh: float) -> tuple[Any, dict[str, Any]]:
    """The grid point with the best detection + end-to-end H-mean, with the figures of the
    detector alone at its `box_thresh` beside it."""
    from ocrstudio.engine.verification import Verification

    best, best_m = None, score(read, None, box_thresh)
    alone = best_m
    for cand, sure, reading, chars in grid_points():
        v = Verification(candidates=cand, sure=sure, min_reading=reading, min_chars=chars)
        m = score(read, v, box_thresh)
        if _objective(m) > _objective(best_m):
            best, best_m = v, m
    return best, {"verified": best_m, "detector_alone": alone}


def tune_join(
    read_with: Callable[[Any], ReadCandidates],
    best: Any,
    figures: dict[str, Any],
    box_thresh: float,
) -> tuple[Any, dict[str, Any]]:
    """`best` with each of `JOIN_GAPS` tried on a reading of its own (`read_with(v)`),
    kept where detection + end-to-end H-mean rise by `JOIN_MIN_GAIN` or more."""
    plain = best_m = figures["verified"]
    need = _objective(plain) + JOIN_MIN_GAIN
    for gap in JOIN_GAPS:
        v = dataclasses.replace(best, join_gap=gap)
        m = score(read_with(v), v, box_thresh)
        if _objective(m) >= need and (best_m is plain or _objective(m) > _objective(best_m)):
            best, best_m = v, m
    return best, {**figures, "verified": best_m}


def tune_and_write(
    det: Path,
    rec: Path,
    split: Path | Sequence[Path],
    write: bool = False,
    device: str = "cpu",
    limit_side: int | None = None,
) -> dict[str, Any]:
    """Tune on `split` (one folder or several, scored alike), the photos read at
    `limit_side` (None: the card's own input), the grid first, then joining pieces of
    words at its best point (`tune_join`).
    The settings the card now applies there are scored beside the best (`card`). With
    `write`, the card gets the best settings and their figures, with the recognizer and
    split named: `verify` and `validation.verified`, or at another input size (the fast
    preset's) `verify_at[limit_side]` and `validation.verified_at[limit_side]`."""
    from ocrstudio.engine.card import read_card
    from ocrstudio.engine.detection.predictor import DetectionPredictor
    from recipes.detector import file_tuned

    card = read_card(det)
    box = DetectionPredictor.postprocess_config(None, card, limit_side).box_thresh
    read = read_candidates(det, rec, split, device=device, limit_side=limit_side)

    @functools.cache  # the card's own settings are often the best ones tried
    def read_with(v: Any) -> ReadCandidates:
        return read_candidates(det, rec, split, device=device, limit_side=limit_side, verify=v)

    best, figures = tune(read, box)
    if best is not None:
        best, figures = tune_join(read_with, best, figures, box)
    out: dict[str, Any] = {**figures, "verify": None if best is None else dataclasses.asdict(best)}
    current = card.verify_for(limit_side)
    if current is not None:
        out["card"] = score(read_with(current) if current.join_gap else read, current, box)
    if write and best is not None:
        record = {
            **figures["verified"],
            "detector_alone": figures["detector_alone"],
            "recognizer": Path(rec).name,
            "split": str(split) if isinstance(split, Path) else ", ".join(map(str, split)),
        }
        tuned = (
            card.with_(verify=best)
            if limit_side is None
            else card.with_(verify_at={**card.verify_at, limit_side: best})
        )
        file_tuned(det, tuned, ("verified", record), limit_side)
    return out
