"""Scene-text metrics: detection, end to end and word spotting (ICDAR 2015 protocol), and
recognition (word accuracy, CER, 1-NED).

Detection follows the official ICDAR 2015 Challenge 4 script:
- a detection whose area lies more than 50 % inside any single don't-care ground truth
  (`###`) is dropped before matching;
- matching is one-to-one and greedy in file order (ground truth i, then detection j), a
  pair matching when IoU > 0.5 and neither side is taken or don't-care;
- precision = matched / cared detections, recall = matched / cared ground truths, summed
  over all pages before dividing (0 when a denominator is 0, as the script does).
Detections flagged `ignore` on the prediction side are not detections at all and are left
out first (a prediction file has no business marking don't-care).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ocrstudio.core.geometry import overlap_matrices
from ocrstudio.core.types import Region

IOU_THRESHOLD = 0.5
DONT_CARE_AREA = 0.5
# Word spotting: ground-truth words shorter than this are don't-care (ICDAR 2015 rules).
MIN_SPOTTING_LENGTH = 3
# The official script's punctuation: allowed at a ground-truth word's ends in end to end,
# read as spaces in word spotting.
SPECIAL_CHARACTERS = "!?.:,*\"()\u00b7[]/'"
# Word spotting's letters: a-z, A-Z, Latin-1 to IPA extensions, Greek, the hyphen.
_SPOTTING_RANGES = (
    (0x61, 0x7A),
    (0x41, 0x5A),
    (0xC0, 0x1BF),
    (0x1C4, 0x27F),
    (0x386, 0x3FF),
    (0x2D, 0x2D),
)

PagePair = tuple[Sequence[Region], Sequence[Region]]  # (ground truth, detections)


@dataclass(frozen=True)
class PageMatch:
    """Outcome of matching one page: counts plus the matched (gt, det) index pairs,
    indices into the lists given (prediction-side ignored regions included)."""

    gt_care: int
    det_care: int
    matched: int
    pairs: tuple[tuple[int, int], ...]
    det_dont_care: tuple[int, ...]


@dataclass(frozen=True)
class DetectionResult:
    precision: float
    recall: float
    hmean: float
    matched: int
    gt_care: int
    det_care: int
    images: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class RecognitionResult:
    word_acc: float
    word_acc_cased: float
    cer: float
    one_minus_ned: float
    count: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def hmean(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def match_page(
    gt: Sequence[Region],
    det: Sequence[Region],
    gt_dont_care: Sequence[bool] | None = None,
    iou_threshold: float = IOU_THRESHOLD,
    dont_care_area: float = DONT_CARE_AREA,
) -> PageMatch:
    """Match one page's detections to its ground truth by the ICDAR 2015 rules.

    `gt_dont_care` defaults to each region's `ignore` flag."""
    dc = [r.ignore for r in gt] if gt_dont_care is None else list(gt_dont_care)
    det_idx = [j for j, r in enumerate(det) if not r.ignore]
    iou, det_in_gt = _overlaps(gt, [det[j] for j in det_idx])
    dc_cols = [i for i, d in enumerate(dc) if d]
    dropped: set[int] = set()
    if dc_cols and det_idx:
        # det_in_gt[i, k] = share of detection k's area inside ground truth i
        hits = (det_in_gt[dc_cols] > dont_care_area).any(axis=0)
        dropped = {int(k) for k in np.flatnonzero(hits)}
    gt_taken = np.zeros(len(gt), dtype=bool)
    det_taken = np.zeros(len(det_idx), dtype=bool)
    pairs = []
    for i in range(len(gt)):
        if dc[i]:
            continue
        for k in range(len(det_idx)):
            if gt_taken[i] or det_taken[k] or k in dropped:
                continue
            if iou[i, k] > iou_threshold:
                gt_taken[i] = det_taken[k] = True
                pairs.append((i, det_idx[k]))
    return PageMatch(
        gt_care=len(gt) - len(dc_cols),
        det_care=len(det_idx) - len(dropped),
        matched=len(pairs),
        pairs=tuple(pairs),
        det_dont_care=tuple(det_idx[k] for k in sorted(dropped)),
    )


def _overlaps(gt: Sequence[Region], det: Sequence[Region]) -> tuple[np.ndarray, np.ndarray]:
    """IoU[gt, det] and share of each detection's area inside each gt, shape (gt, det)."""
    iou_dg, ioa_dg = overlap_matrices([r.polygon for r in det], [r.polygon for r in gt])
    return iou_dg.T, ioa_dg.T


def evaluate_detection(pages: Iterable[PagePair]) -> DetectionResult:
    """ICDAR 2015 detection precision / recall / H-mean over a set of pages."""
    matched = gt_care = det_care = images = 0
    for gt, det in pages:
        m = match_page(gt, det)
        matched, gt_care, det_care = matched + m.matched, gt_care + m.gt_care, det_care + m.det_care
        images += 1
    return _result(matched, gt_care, det_care, images)


def evaluate_end_to_end(pages: Iterable[PagePair]) -> DetectionResult:
    """End to end by the official ICDAR 2015 Challenge 4 script (task 4.4, "generic"):
    only `###` ground truth is don't care; a detection is correct when it matches a cared
    ground truth (as in `match_page`) and `transcription_matches` that word. `matched`
    counts the correct ones."""
    return _text_scores(pages, lambda text, ignore: None if ignore else text, transcription_matches)


def evaluate_word_spotting(pages: Iterable[PagePair]) -> DetectionResult:
    """Word spotting by the official script (its WORD_SPOTTING mode): ground truth that
    `spotting_word` turns away is don't care too; a matched detection is correct when its
    text equals the cleaned word, ignoring case."""
    return _text_scores(
        pages,
        lambda text, ignore: None if ignore else spotting_word(text),
        lambda gt, det: gt.upper() == det.upper(),
    )


def _text_scores(
    pages: Iterable[PagePair],
    cared: Callable[[str, bool], str | None],
    correct: Callable[[str, str], bool],
) -> DetectionResult:
    hits = gt_care = det_care = images = 0
    for gt, det in pages:
        words = [cared(r.text, r.ignore) for r in gt]
        m = match_page(gt, det, gt_dont_care=[w is None for w in words])
        hits += sum(correct(words[i] or "", det[j].text) for i, j in m.pairs)
        gt_care, det_care, images = gt_care + m.gt_care, det_care + m.det_care, images + 1
    return _result(hits, gt_care, det_care, images)


def transcription_matches(gt: str, det: str) -> bool:
    """The official end-to-end rule: equal ignoring case, where the ground truth may also
    lose one SPECIAL character at its start, its end, or both (a reading "Hello" of the
    word "Hello," is right; "Hello," of "Hello" is not)."""
    g, d = gt.upper(), det.upper()
    if not g:
        return False
    forms = {g}
    head, tail = g[0] in SPECIAL_CHARACTERS, g[-1] in SPECIAL_CHARACTERS
    if head:
        forms.add(g[1:])
    if tail:
        forms.add(g[:-1])
    if head and tail:
        forms.add(g[1:-1])
    return d in forms


def spotting_word(text: str) -> str | None:
    """A ground-truth word as word spotting's dictionary takes it, or None (don't care):
    a final 's and hyphens at either end dropped, SPECIAL characters read as spaces, then
    refused when it holds a space, is shorter than MIN_SPOTTING_LENGTH, or has a character
    outside the script's letters (Latin, Latin extensions, Greek, hyphen: so no digits)."""
    word = text[:-2] if text[-2:] in ("'s", "'S") else text
    word = word.strip("-")
    for ch in SPECIAL_CHARACTERS:
        word = word.replace(ch, " ")
    word = word.strip()
    if " " in word or len(word) < MIN_SPOTTING_LENGTH:
        return None
    return word if all(_spotting_letter(ch) for ch in word) else None


def _spotting_letter(ch: str) -> bool:
    code = ord(ch)
    if ch in "\u00d7\u00f7\u00b7":  # × ÷ ·
        return False
    return any(lo <= code <= hi for lo, hi in _SPOTTING_RANGES)


def _result(matched: int, gt_care: int, det_care: int, images: int) -> DetectionResult:
    recall = 0.0 if gt_care == 0 else matched / gt_care
    precision = 0.0 if det_care == 0 else matched / det_care
    return DetectionResult(
        precision, recall, hmean(precision, recall), matched, gt_care, det_care, images
    )


# --- recognition ---------------------------------------------------------------------------

_NOT_36 = re.compile(r"[^0-9a-z]")


def normalize_36(text: str) -> str:
    """The 36-character protocol: lower-case, then keep only 0-9 and a-z."""
    return _NOT_36.sub("", text.lower())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1), a row at a
    time in numpy (a page's text runs to thousands of characters): along a row, the
    insertions are a running minimum."""
    if not a or not b:
        return max(len(a), len(b))
    codes = np.array([ord(c) for c in b], np.int64)
    idx = np.arange(len(b) + 1)
    prev = idx.copy()
    for i, ch in enumerate(a, 1):
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(prev[1:] + 1, prev[:-1] + (codes != ord(ch)))
        prev = np.minimum.accumulate(cur - idx) + idx
    return int(prev[-1])


def evaluate_recognition(pairs: Iterable[tuple[str, str]]) -> RecognitionResult:
    """Metrics over (ground truth, prediction) pairs.

    word_acc: equal after `normalize_36`; word_acc_cased: exactly equal; cer: the sum of
    edit distances over the sum of ground-truth lengths (raw text); one_minus_ned: the
    mean of 1 - ed / max(len(gt), len(pred)) (1 for two empty strings). All 0 for no
    pairs."""
    n = hits = hits_cased = dist_sum = gt_chars = 0
    ned_sum = 0.0
    for gt, pred in pairs:
        n += 1
        hits += normalize_36(gt) == normalize_36(pred)
        hits_cased += gt == pred
        d = edit_distance(gt, pred)
        dist_sum += d
        gt_chars += len(gt)
        longest = max(len(gt), len(pred))
        ned_sum += 1.0 - (d / longest if longest else 0.0)
    if n == 0:
        return RecognitionResult(0.0, 0.0, 0.0, 0.0, 0)
    cer = dist_sum / gt_chars if gt_chars else float(dist_sum > 0)
    return RecognitionResult(hits / n, hits_cased / n, cer, ned_sum / n, n)


def score_auroc(right: Sequence[bool], scores: Sequence[float]) -> float:
    """How well a reading's score separates right readings from wrong ones: the chance
    that a right reading scores above a wrong one (ties count half); NaN without both."""
    ok = np.asarray(right, dtype=bool)
    s = np.asarray(scores, dtype=float)
    pos, neg = s[ok], s[~ok]
    if not len(pos) or not len(neg):
        return float("nan")
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
