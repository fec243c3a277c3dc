"""Whether a fine-tuned model forgot what its base read (Qt-free).

"Improve the models on my labels" judges a new model on the person's own test split;
a model can win there and still read general text worse: a plates fine-tune once cost
1.5 points of ICDAR 2015 end to end where the run before and after cost 0.3 or gained.
When the person gives general data to keep, `services.replay.hold_out` keeps some of its
photos out of both fine-tunes, and a new model becomes active only if it reads them
end to end no more than `TOLERANCE` below its base (paired: both read the same photos).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ocrstudio.services.scoring import Reading, scores_of

# the most end-to-end H-mean a new model may lose on the held-out general photos (one
# point: within the noise of a 60-photo reading, and what a person would not notice)
TOLERANCE = 0.01

ReadFn = Callable[[Sequence[Any], dict[str, Any]], Reading]


@dataclass(frozen=True)
class GeneralCheck:
    """The held-out general photos and the base pair's end to end on them."""

    pages: tuple[Any, ...]
    before: float
    seconds: float  # one reading's time, kept back from the fine-tunes' budget

    @classmethod
    def start(cls, pages: Sequence[Any], read: ReadFn) -> GeneralCheck | None:
        """The base pair's reading of `pages` (`read(pages, {})`); None without pages."""
        if not pages:
            return None
        t0 = time.monotonic()
        before = scores_of(pages, read(pages, {})).e2e_hmean
        return cls(tuple(pages), before, time.monotonic() - t0)

    def judge(self, read: ReadFn, new: dict[str, Any]) -> tuple[bool, str]:
        """(kept what it knew, why) for the pair with the `new` models in place."""
        after = scores_of(self.pages, read(self.pages, new)).e2e_hmean
        figure = (
            f"your general photos (end to end, {len(self.pages)} held out) "
            f"{self.before:.3f} -> {after:.3f}"
        )
        if after < self.before - TOLERANCE:
            return False, f"{figure}: it forgot what it read"
        return True, figure
