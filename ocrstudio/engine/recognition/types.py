"""What a recognizer returns for one crop."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecResult:
    """A transcription with its confidence.

    `score` is in [0, 1] (the decoder's sequence confidence); `char_scores` has one
    entry per character of `text`, each in [0, 1].
    """

    text: str
    score: float
    char_scores: tuple[float, ...] = ()
