"""What the synthetic text says: English words by frequency, plus numbers, codes, prices,
dates and punctuated words, in the case mixes that photos show.

The vocabulary is `wordsegment`'s unigram list (web frequencies) kept to the words its own
dictionary also lists, so typos and fragments of the web corpus stay out.
"""

from __future__ import annotations

import functools
import importlib.resources
import string

import numpy as np

# The characters synthetic text may hold by default: printable ASCII without space.
DEFAULT_ALPHABET = string.digits + string.ascii_letters + string.punctuation


@functools.cache
def english_words(limit: int = 40000) -> tuple[str, ...]:
    """The `limit` most frequent dictionary words, most frequent first."""
    pkg = importlib.resources.files("wordsegment")
    dictionary = set(pkg.joinpath("words.txt").read_text(encoding="utf-8").split())
    out: list[str] = []
    for line in pkg.joinpath("unigrams.txt").read_text(encoding="utf-8").splitlines():
        word = line.split("\t", 1)[0]
        if word in dictionary and word.isalpha() and (len(word) > 1 or word in "ai"):
            out.append(word)
            if len(out) >= limit:
                break
    return tuple(out)


def _case(word: str, rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.45:
        return word
    if r < 0.75:
        return word.capitalize()
    return word.upper()


def _word(rng: np.random.Generator) -> str:
    words = english_words()
    # Zipf-ish: half the draws from the 2,000 commonest words, the rest from the long tail.
    hi = 2000 if rng.random() < 0.5 else len(words)
    return _case(words[int(rng.integers(0, hi))], rng)


def _number(rng: np.random.Generator) -> str:
    kind = int(rng.integers(0, 6))
    if kind == 0:
        return str(int(rng.integers(0, 10 ** int(rng.integers(1, 7)))))
    if kind == 1:
        return f"{rng.choice(list('$€£')) if rng.random() < 0.7 else ''}{rng.uniform(0, 999):.2f}"
    if kind == 2:
        d, m, y = int(rng.integers(1, 29)), int(rng.integers(1, 13)), int(rng.integers(1950, 2040))
        return f"{d:02d}{'/.-'[int(rng.integers(0, 3))]}{m:02d}{'/.-'[int(rng.integers(0, 3))]}{y}"
    if kind == 3:
        return f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}"
    if kind == 4:
        return f"{int(rng.integers(1, 100))}%"
    a, b, c = (int(rng.integers(10 ** (k - 1), 10**k)) for k in (3, 3, 4))
    return f"{a}-{b}-{c}" if rng.random() < 0.5 else f"({a}){b}-{c}"


def _code(rng: np.random.Generator) -> str:
    pool = string.ascii_uppercase + string.digits
    if rng.random() < 0.3:
        pool = string.ascii_letters + string.digits
    n = int(rng.integers(2, 10))
    return "".join(pool[int(i)] for i in rng.integers(0, len(pool), n))


def _punctuated(rng: np.random.Generator) -> str:
    w = _word(rng)
    r = rng.random()
    if r < 0.4:
        return w + str(rng.choice(list(".,:;!?")))
    if r < 0.55:
        return f'"{w}"' if rng.random() < 0.5 else f"({w})"
    if r < 0.75:
        return f"{w}'s" if rng.random() < 0.5 else f"{w}-{_word(rng)}"
    if r < 0.9:
        return f"{w}{rng.choice(list('@#&*/_+='))}{_word(rng) if rng.random() < 0.5 else ''}"
    return f"www.{w.lower()}.{rng.choice(['com', 'org', 'net'])}"


def random_text(
    rng: np.random.Generator, alphabet: str = DEFAULT_ALPHABET, max_len: int = 25
) -> str:
    """One 'word' as a scene would show it: mostly dictionary words, some numbers/codes."""
    r = rng.random()
    for _ in range(20):
        if r < 0.62:
            text = _word(rng)
        elif r < 0.77:
            text = _number(rng)
        elif r < 0.87:
            text = _code(rng)
        else:
            text = _punctuated(rng)
        text = "".join(ch for ch in text if ch in alphabet)[:max_len]
        if text.strip():
            return text.strip()
        r = rng.random()
    # An alphabet without any of the above (e.g. only digits): draw from it directly.
    chars = [c for c in alphabet if not c.isspace()]
    n = int(rng.integers(1, min(max_len, 10) + 1))
    return "".join(chars[int(i)] for i in rng.integers(0, len(chars), n))


def random_line(
    rng: np.random.Generator, n_words: int, alphabet: str = DEFAULT_ALPHABET
) -> list[str]:
    return [random_text(rng, alphabet) for _ in range(n_words)]
