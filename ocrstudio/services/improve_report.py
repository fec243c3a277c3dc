"""What one "Improve the models on my labels" run decided, as the window and the CLI
show it: each role's verdict with the figures that decided it (Qt-free)."""

from __future__ import annotations

from dataclasses import dataclass

from ocrstudio.services.conventions import FilterOutcome
from ocrstudio.services.scoring import Scores


@dataclass(frozen=True)
class Outcome:
    """One role's result: the base, the new version, the figures that decided, the verdict."""

    role: str
    base: str
    new: str
    version_id: int
    before: Scores
    after: Scores
    activated: bool
    why: str


@dataclass(frozen=True)
class ImproveReport:
    split: str
    before: Scores
    outcomes: tuple[Outcome, ...]
    both: Scores | None = None  # both new models together, when both were kept
    seconds: float = 0.0
    keep: FilterOutcome | None = None  # the keep filter's step (`services.conventions`)
    skipped: tuple[str, ...] = ()  # roles not fine-tuned, each with why

    def table(self) -> list[tuple[str, float, float]]:
        """(figure, before, after) with the models and keep filter now applied."""
        after = self.keep.chosen if self.keep is not None else self.active_scores
        return [
            (name, self.before.get(name), after.get(name))
            for name in ("det_hmean", "e2e_hmean", "word_acc")
        ]

    @property
    def active_scores(self) -> Scores:
        kept = [o for o in self.outcomes if o.activated]
        if self.both is not None:
            return self.both
        return kept[0].after if kept else self.before

    def summary(self) -> str:
        lines = [
            f"{o.role}: {o.new} {'is now active' if o.activated else 'NOT made active'} ({o.why})"
            for o in self.outcomes
        ]
        lines += list(self.skipped)
        if not any(o.activated for o in self.outcomes):
            lines.append("The active models are unchanged.")
        if self.keep is not None:
            lines.append(f"Your conventions: {self.keep.why}")
        return "\n".join(lines)
