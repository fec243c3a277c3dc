"""What a recognizer returns for one crop."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecResult:
    """A transcription with its confidence.

    `score` is in [0, 1] (the decoder's sequence confidence); `char_scores` has one
    entry per character of `text`, each in [0, 1]. `char_spans`, where the decoder knows
    them (CTC's greedy path), has one (start, end) per character: the columns that emitted
    it, as fractions of the crop's width (of the network's input until the predictor
    takes the padding off); it is how a line's reading is cut into word boxes.
    """

    text: str
    score: float
    char_scores: tuple[float, ...] = ()
    char_spans: tuple[tuple[float, float], ...] = ()
