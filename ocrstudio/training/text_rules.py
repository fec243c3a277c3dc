"""How a person writes what they read: a project's text conventions, learned apart from
the recognizer.

A person labelling licence plates writes "PJY5472" where the plate shows "PJY·5472", and
writes every letter in capitals. A recognizer fine-tuned on such labels learns to drop
spaces and separators everywhere: after a plates fine-tune it read "AyerRajah" and
"MEN'SFOOTWEAR" on street photos (ICDAR 2015 end to end 0.687 -> 0.607). So the rules
are learned here, from the base model's readings of the person's labelled words, and
applied to the texts the project's pre-labels get; the recognizer is fine-tuned on the
base model's way of writing a word wherever the rules alone turn that into the label
(`base_style`), so it learns only what it misread.

The rules: drop spaces, drop some punctuation characters the person never writes, and
one case. Each is kept only where it makes more of the base's readings equal the labels.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ocrstudio.core.errors import InputError

MIN_GAIN = 3  # readings a rule must turn into their label to be kept
MIN_SHARE = 0.05  # ... and this share of the labelled words


@dataclass(frozen=True)
class TextRules:
    drop_spaces: bool = False
    drop: str = ""  # characters the person leaves out
    case: str = ""  # "", "upper" or "lower"

    def apply(self, text: str) -> str:
        if self.drop_spaces:
            text = "".join(text.split())
        if self.drop:
            text = "".join(c for c in text if c not in self.drop)
        if self.case == "upper":
            text = text.upper()
        elif self.case == "lower":
            text = text.lower()
        return text

    @property
    def empty(self) -> bool:
        return not (self.drop_spaces or self.drop or self.case)

    def describe(self) -> str:
        parts = (
            (["no spaces"] if self.drop_spaces else [])
            + ([f"without {' '.join(self.drop)}"] if self.drop else [])
            + ([f"in {self.case} case"] if self.case else [])
        )
        return ", ".join(parts) or "as read"

    def to_dict(self) -> dict[str, Any]:
        return {"drop_spaces": self.drop_spaces, "drop": self.drop, "case": self.case}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TextRules:
        """Stored rules, checked (a crafted value is refused, naming why)."""
        try:
            rules = cls(bool(data["drop_spaces"]), str(data["drop"]), str(data["case"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"the project's text rules cannot be read: {exc}") from None
        if (
            rules.case not in ("", "upper", "lower")
            or len(rules.drop) > 64
            or any(c.isalnum() for c in rules.drop)
        ):
            raise InputError(f"the project's text rules cannot be read: {rules}")
        return rules


def learn_text_rules(pairs: Sequence[tuple[str, str]]) -> TextRules | None:
    """Rules from (label, the base's reading of that labelled word) pairs, or None where
    none makes more readings equal their labels. Greedy: each candidate rule is kept when
    it gains at least MIN_GAIN words and MIN_SHARE of them over the rules kept so far."""
    pairs = [(label, read) for label, read in pairs if label.strip()]
    if not pairs:
        return None
    labels = [label for label, _ in pairs]
    candidates: list[TextRules] = []
    if not any(" " in label for label in labels):
        candidates.append(TextRules(drop_spaces=True))
    written = set("".join(labels))
    for c in sorted({c for _, read in pairs for c in read} - written):
        if not c.isalnum() and not c.isspace():
            candidates.append(TextRules(drop=c))
    letters = "".join(c for c in "".join(labels) if c.isalpha())
    if letters and letters == letters.upper() and letters != letters.lower():
        candidates.append(TextRules(case="upper"))
    elif letters and letters == letters.lower() and letters != letters.upper():
        candidates.append(TextRules(case="lower"))
    rules = TextRules()
    need = max(MIN_GAIN, MIN_SHARE * len(pairs))
    for cand in candidates:
        merged = TextRules(
            rules.drop_spaces or cand.drop_spaces, rules.drop + cand.drop, cand.case or rules.case
        )
        if _matches(merged, pairs) - _matches(rules, pairs) >= need:
            rules = merged
    return None if rules.empty else rules


def base_style(label: str, read: str, rules: TextRules) -> str:
    """The recognizer's training text for a labelled word: the base's own reading where
    the rules turn it into the label (nothing to learn but the convention, which the
    rules keep); where the base misread it, the label with the spaces and separators the
    base read (and the rules drop) put back where the two line up ("OUH-919I" read,
    "OUH9191" labelled: "OUH-9191"), so the recognizer learns the misread letters and
    not to run words together: taught "PJH0957" for "PJH 0957", it read "PERCENTOFF" and
    "MENSFOOTWEAR" in street photos."""
    if read == label or rules.apply(read) == label:
        return read
    return _with_dropped(label, read, rules)


def _with_dropped(label: str, read: str, rules: TextRules) -> str:
    shown: list[str] = []  # what the rules leave of `read`, a character at a time
    gaps: dict[int, str] = {}  # dropped characters before shown[k]
    for c in read:
        if (rules.drop_spaces and c.isspace()) or c in rules.drop:
            gaps[len(shown)] = gaps.get(len(shown), "") + c
            continue
        kept = rules.apply(c)
        if len(kept) != 1:  # a case mapping that changes length: no alignment to trust
            return label
        shown.append(kept)
    to_label: dict[int, int] = {}  # shown index -> label index, where one maps to one
    matcher = difflib.SequenceMatcher(None, "".join(shown), label, autojunk=False)
    for op, i0, i1, j0, j1 in matcher.get_opcodes():
        if op in ("equal", "replace") and i1 - i0 == j1 - j0:
            to_label.update({i0 + k: j0 + k for k in range(i1 - i0)})
    out = list(label)
    # inner gaps only, right to left so earlier label indices stay put
    for k in sorted((k for k in gaps if 0 < k < len(shown)), reverse=True):
        before, after = to_label.get(k - 1), to_label.get(k)
        if before is not None and after == before + 1:
            out.insert(after, gaps[k])
    return "".join(out)


def _matches(rules: TextRules, pairs: Sequence[tuple[str, str]]) -> int:
    return sum(rules.apply(read) == label for label, read in pairs)
