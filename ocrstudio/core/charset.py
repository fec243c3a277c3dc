"""The characters a recognizer can read, in the order its classifier rows use.

A `Charset` is plain data stored in every recognizer's model card (`to_card()` /
`Charset.from_card(value)`), so a model always decodes with the alphabet it learned.
Each character is one Unicode code point (Latin with accents, CJK, ... all work); the
order is part of the model: never sort or reorder a trained model's charset, grow it
with `extended()` so the old classifier rows keep their meaning.

Tokenizers (engine/tokenizer.py) add their special tokens around these characters;
the charset itself holds characters only.
"""

from __future__ import annotations

import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

# 94 printable ASCII characters (digits, letters, punctuation) followed by the space.
DEFAULT_CHARS = string.digits + string.ascii_letters + string.punctuation + " "


@dataclass(frozen=True)
class Charset:
    """An ordered set of unique characters (single code points)."""

    chars: str
    if TYPE_CHECKING:  # declared for the type checker only: not a dataclass field
        _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        chars = self.chars if isinstance(self.chars, str) else "".join(self.chars)
        if not chars:
            raise ValueError("a charset needs at least one character")
        seen: dict[str, int] = {}
        for i, ch in enumerate(chars):
            if ch in seen:
                raise ValueError(
                    f"character {ch!r} appears twice in the charset (positions {seen[ch]} and {i})"
                )
            if unicodedata.category(ch) in ("Cc", "Cs"):
                raise ValueError(f"control character {ch!r} cannot be in a charset")
            seen[ch] = i
        object.__setattr__(self, "chars", chars)
        # lookup table, deliberately not a dataclass field (asdict/eq/hash see only chars)
        object.__setattr__(self, "_index", seen)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def default(cls) -> Charset:
        """The 94 printable ASCII characters plus space (95)."""
        return cls(DEFAULT_CHARS)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Charset:
        """Every character used by `texts`, in code-point order (for a new model)."""
        return cls("".join(sorted({ch for t in texts for ch in t if ch.isprintable()})))

    @classmethod
    def from_card(cls, value: Mapping[str, Any] | str) -> Charset:
        """Inverse of `to_card()`; a bare string of characters is accepted too."""
        if isinstance(value, str):
            return cls(value)
        try:
            return cls(str(value["chars"]))
        except (KeyError, TypeError):
            raise ValueError("a charset must be {'chars': '...'}") from None

    def to_card(self) -> dict[str, Any]:
        """JSON-ready form for a model card."""
        return {"chars": self.chars, "size": len(self.chars)}

    def extended(self, new_chars: Iterable[str]) -> Charset:
        """This charset with the characters of `new_chars` it lacks appended at the end,
        in order of first appearance (fine-tuning grows the classifier, old rows stay)."""
        extra: list[str] = []
        for item in new_chars:
            for ch in item:
                if ch not in self._index and ch not in extra:
                    extra.append(ch)
        return self if not extra else Charset(self.chars + "".join(extra))

    # -- lookup -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.chars)

    def __iter__(self) -> Iterator[str]:
        return iter(self.chars)

    def __contains__(self, ch: object) -> bool:
        return ch in self._index

    def index(self, ch: str) -> int:
        """Position of `ch` (0-based, before any tokenizer offset); KeyError if absent."""
        try:
            return self._index[ch]
        except KeyError:
            raise KeyError(f"character {ch!r} (U+{ord(ch):04X}) is not in the charset") from None

    def unknown(self, text: str) -> list[str]:
        """The characters of `text` (with repeats) this charset cannot represent."""
        return [ch for ch in text if ch not in self._index]

    def filter_report(self, texts: Sequence[str]) -> tuple[list[str], Counter[str]]:
        """Strip out-of-charset characters from each text and count what was stripped.

        Returns the texts in the same order (one per input, so they stay aligned with
        their images; a text may become empty) and a Counter of the removed characters,
        which callers must report (`describe_unknown`) rather than silently ignore.
        """
        dropped: Counter[str] = Counter()
        kept: list[str] = []
        for text in texts:
            bad = self.unknown(text)
            if bad:
                dropped.update(bad)
                text = "".join(ch for ch in text if ch in self._index)
            kept.append(text)
        return kept, dropped


def describe_unknown(dropped: Counter[str], limit: int = 20) -> str:
    """One human line for a `filter_report` counter, most frequent first."""
    if not dropped:
        return "all characters are in the charset"
    total = sum(dropped.values())
    shown = ", ".join(f"{ch!r} x{n}" for ch, n in dropped.most_common(limit))
    more = "" if len(dropped) <= limit else f", ... ({len(dropped) - limit} more kinds)"
    return f"{total} characters outside the charset were removed: {shown}{more}"
