"""CTC and attention tokenizers: encodings, round trips, greedy and beam-search decoding."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from ocrstudio.core.charset import Charset
from ocrstudio.engine.tokenizer import AttnTokenizer, CTCTokenizer


def _ctc_table(ids: list[int], num_classes: int, peak: float = 0.9) -> np.ndarray:
    """Frames spelling `ids` as char, char, blank (blank between repeats keeps both)."""
    frames = [c for i in ids for c in (i, i, 0)] + [0]
    table = np.full((len(frames), num_classes), (1 - peak) / (num_classes - 1))
    table[np.arange(len(frames)), frames] = peak
    return table


@pytest.mark.parametrize(
    "charset,texts",
    [
        (Charset.default(), ["Hello, World!", "a  b", "aa", "~"]),
        (Charset("中文字漢한글あい"), ["中文", "漢字字", "한글あい"]),
    ],
)
def test_ctc_round_trip(charset: Charset, texts: list[str]) -> None:
    tok = CTCTokenizer(charset)
    flat, lengths = tok.encode(texts)
    assert lengths.tolist() == [len(t) for t in texts]
    assert int(flat.min()) >= 1 and int(flat.max()) <= len(charset)  # 0 is the blank
    chunks = torch.split(flat, lengths.tolist())
    tables = [_ctc_table(c.tolist(), tok.num_classes) for c in chunks]
    for text, table in zip(texts, tables, strict=True):
        for res in (tok.decode_greedy(table[None])[0], tok.decode_beam(table[None])[0]):
            assert res.text == text
            assert len(res.char_scores) == len(text)


def test_ctc_encode_refuses_characters_outside_the_charset() -> None:
    with pytest.raises(KeyError, match="not in the charset"):
        CTCTokenizer(Charset("ab")).encode(["abc"])


def test_ctc_greedy_collapses_repeats_and_scores_characters() -> None:
    tok = CTCTokenizer(Charset("ab"))  # classes: blank, a, b
    probs = np.array(
        [
            [0.1, 0.7, 0.2],  # a
            [0.1, 0.8, 0.1],  # a (repeat: same character)
            [0.6, 0.2, 0.2],  # blank
            [0.2, 0.5, 0.3],  # a (after a blank: a new character)
            [0.1, 0.1, 0.8],  # b
        ]
    )
    res = tok.decode_greedy(torch.tensor(probs)[None])[0]
    assert res.text == "aab"
    assert res.char_scores == pytest.approx((0.8, 0.5, 0.8))
    assert res.score == pytest.approx(0.8 * 0.5 * 0.8)
    empty = tok.decode_greedy(np.array([[[0.9, 0.05, 0.05], [0.7, 0.2, 0.1]]]))[0]
    assert empty.text == "" and empty.score == pytest.approx(0.8)


def test_beam_search_beats_greedy_when_alignments_add_up() -> None:
    tok = CTCTokenizer(Charset("a"))
    # Each frame prefers blank (0.6), so greedy reads "". But "a" has three alignments
    # (a-, -a, aa): 0.24 + 0.24 + 0.16 = 0.64 > 0.36 for "".
    probs = np.array([[[0.6, 0.4], [0.6, 0.4]]])
    assert tok.decode_greedy(probs)[0].text == ""
    beam = tok.decode_beam(probs, beam_width=4)[0]
    assert beam.text == "a"
    assert beam.score == pytest.approx(0.64)


def _brute_force(probs: np.ndarray, tok: CTCTokenizer) -> dict[str, float]:
    """Probability of every label: sum over all paths that collapse to it."""
    totals: dict[str, float] = {}
    for path in itertools.product(range(probs.shape[1]), repeat=len(probs)):
        ids = [k for k, _ in itertools.groupby(path) if k != 0]
        text = tok.ids_to_text(ids)
        totals[text] = totals.get(text, 0.0) + math.prod(probs[t, c] for t, c in enumerate(path))
    return totals


def test_beam_search_matches_exhaustive_label_probabilities() -> None:
    tok = CTCTokenizer(Charset("ab"))
    rng = np.random.default_rng(3)
    for _ in range(5):
        probs = rng.dirichlet(np.ones(3), size=5)
        totals = _brute_force(probs, tok)
        best = max(totals, key=totals.__getitem__)
        res = tok.decode_beam_one(probs, beam_width=200, min_prob=0.0)
        assert res.text == best
        assert res.score == pytest.approx(totals[best], rel=1e-6)


def test_attention_encoding_convention() -> None:
    cs = Charset("abc")
    tok = AttnTokenizer(cs, max_len=4)
    assert (tok.eos, tok.bos, tok.pad, tok.num_classes, tok.vocab_size) == (0, 4, 5, 4, 6)
    enc = tok.encode(["ab", "cabc", ""])
    assert enc.shape == (3, 5)
    assert enc.tolist() == [[1, 2, 0, 5, 5], [3, 1, 2, 3, 0], [0, 5, 5, 5, 5]]
    with_bos = tok.encode(["ab"], bos=True)
    assert with_bos.tolist() == [[4, 1, 2, 0, 5, 5]]
    with pytest.raises(ValueError, match="max_len"):
        tok.encode(["abcab"])
    assert tok.encode(["abcab"], truncate=True).tolist() == [[1, 2, 3, 1, 0]]


@pytest.mark.parametrize(
    "charset,texts",
    [
        (Charset.default(), ["Hello!", "x", "", "25 chars is the limit ok."]),
        (Charset("中文字漢한글あい"), ["中文", "漢字字", "한글あい"]),
    ],
)
def test_attention_round_trip(charset: Charset, texts: list[str]) -> None:
    tok = AttnTokenizer(charset, max_len=25)
    ids = tok.encode(texts)
    probs = torch.nn.functional.one_hot(ids, tok.vocab_size).float()
    results = tok.decode(probs)
    assert [r.text for r in results] == texts
    assert all(
        r.score == 1.0 and len(r.char_scores) == len(t) for r, t in zip(results, texts, strict=True)
    )


def test_attention_decode_stops_at_eos_and_scores_it() -> None:
    tok = AttnTokenizer(Charset("ab"), max_len=4)
    probs = torch.tensor(
        [
            [
                [0.1, 0.8, 0.1],  # a
                [0.2, 0.1, 0.7],  # b
                [0.9, 0.05, 0.05],  # EOS
                [0.1, 0.8, 0.1],  # after EOS: ignored
            ]
        ]
    )
    res = tok.decode(probs)[0]
    assert res.text == "ab"
    assert res.char_scores == pytest.approx((0.8, 0.7))
    assert res.score == pytest.approx(0.8 * 0.7 * 0.9)
    no_eos = tok.decode(probs[:, :2])[0]
    assert no_eos.text == "ab" and no_eos.score == pytest.approx(0.8 * 0.7)
