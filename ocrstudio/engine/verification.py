"""The recognizer's verify settings: which detections it confirms (`Verification`).

One name in code for the idea: "verify" (the card's `verify` / `verify_at` keys, the
`verify` arguments of `OcrPredictor` and `services.ocr.build_ocr`); `--keep-all` is the
command-line flag that turns it off. A leaf module (no torch), so the model card's reader
checks a card's settings with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SHORT_READING", "Verification"]

# The reading score a short word (under `min_chars`) of an unsure box needs, for cards
# that name none (measured on the FUNSD and ICDAR 2015 validation pages, #26)
SHORT_READING = 0.98


@dataclass(frozen=True)
class Verification:
    """Which detections the recognizer confirms. `candidates`: the box score the detector
    runs at (at or below its own threshold, so words it is unsure of come through); a region
    under `sure` stays when its reading scores at least `min_reading` and has at least
    `min_chars` letters or digits (an unsure box read as one or two characters is more
    often a fragment or texture than a word), or, shorter but of at least `short_chars`,
    when it reads at least `short_reading` surely (a word's score is the product of its
    characters' scores: "TO", "No.", "11," on a form read at 0.99, and the detector is
    unsure of such short boxes; a single letter stays a fragment however sure); a region
    read as no letter or digit at all goes whatever its box score (a person would delete
    it).

    `join_gap` (0: off): a word detector sometimes breaks a word into pieces read as one
    or two letters ("HA" "N" "TU"). Boxes on one line at most `join_gap` heights apart,
    one of each pair a fragment (`is_fragment`: fewer than `min_chars` characters), are
    read again as one box, which replaces them when its reading `joins` theirs."""

    candidates: float
    sure: float
    min_reading: float
    min_chars: int = 1
    join_gap: float = 0.0
    short_reading: float = SHORT_READING
    short_chars: int = 2

    def __post_init__(self) -> None:
        # scores are probabilities; more letters than a word holds, or a gap of many
        # heights, is a typo in a card, not a setting
        for name in ("candidates", "sure", "min_reading", "short_reading"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in 0..1, not {getattr(self, name)}")
        for name in ("min_chars", "short_chars"):
            if not 0 <= getattr(self, name) <= 64:
                raise ValueError(f"{name} must lie in 0..64, not {getattr(self, name)}")
        if not 0.0 <= self.join_gap <= 10.0:
            raise ValueError(f"join_gap must lie in 0..10, not {self.join_gap}")

    def as_card(self) -> dict[str, float | int]:
        """The card's `verify` object: the short-word settings only where they differ from
        the defaults (a card written before them reads and writes back unchanged)."""
        out: dict[str, float | int] = dataclasses.asdict(self)
        for name in _NEWER:
            if out[name] == _DEFAULTS[name]:
                del out[name]
        return out

    def keeps(self, det_score: float, text: str, score: float) -> bool:
        chars = _chars(text)
        if chars == 0:
            return False
        if det_score >= self.sure:
            return True
        if chars < self.min_chars:
            return chars >= self.short_chars and score >= max(self.short_reading, self.min_reading)
        return score >= self.min_reading

    def is_fragment(self, text: str) -> bool:
        """Read as fewer than `min_chars` characters, punctuation counted ("10%" and
        "$20" are whole tokens; "HA" and "N" may be pieces of one word)."""
        return len(text.strip()) < self.min_chars

    def joins(self, pieces: Sequence[str], text: str, score: float) -> bool:
        """Whether a joined box's reading replaces its pieces' readings: one word (no
        space inside) of at least `min_chars` letters or digits, read at least
        `min_reading` surely, that holds as many letters and digits as the pieces did (one
        fewer at each seam, where both pieces may have read the same letter): a box that
        reads as less than its pieces spans more than one word."""
        chars = _chars(text)
        return (
            len(text.split()) == 1
            and chars >= self.min_chars
            and chars >= sum(_chars(p) for p in pieces) - (len(pieces) - 1)
            and score >= self.min_reading
        )


_NEWER = ("short_reading", "short_chars")  # fields added after cards were shipped (#26)
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Verification)}


def _chars(text: str) -> int:
    return sum(ch.isalnum() for ch in text)
