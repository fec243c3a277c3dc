"""Text <-> class indices for the two decoder families, with one fixed convention each.

CTC (`CTCTokenizer`, CRNN):
    index 0 = blank, charset character i -> index i + 1; classes = len(charset) + 1.

Attention / autoregressive (`AttnTokenizer`, ABINet, PARSeq/CLIP4STR):
    index 0 = EOS (end of sequence, also what a position past the text predicts),
    charset character i -> index i + 1 (1..N),
    BOS = N + 1 (start token fed to autoregressive decoders, never predicted),
    PAD = N + 2 (fills targets after EOS; ignored by the loss, never predicted).
    A classifier predicts `num_classes = N + 1` classes (EOS + characters); an input
    embedding that also sees BOS/PAD needs `vocab_size = N + 3` rows.

Decoders take probabilities (softmax already applied) and return `RecResult`s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from ocrstudio.core.charset import Charset
from ocrstudio.engine.recognition.types import RecResult

_NEG_INF = -math.inf


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis, in numpy (float32)."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True), dtype=np.float32)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _as_numpy(probs: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(probs, torch.Tensor):
        return probs.detach().float().cpu().numpy()
    return np.asarray(probs, dtype=np.float32)


class CTCTokenizer:
    """Blank = 0, character i -> i + 1."""

    blank = 0

    def __init__(self, charset: Charset):
        self.charset = charset
        self.num_classes = len(charset) + 1

    def encode(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Flat concatenated targets and per-text lengths, as `F.ctc_loss` wants them.

        Raises KeyError on a character outside the charset: filter labels first with
        `Charset.filter_report`, which counts what it removes.
        """
        ids = [self.charset.index(ch) + 1 for t in texts for ch in t]
        lengths = [len(t) for t in texts]
        return torch.tensor(ids, dtype=torch.long), torch.tensor(lengths, dtype=torch.long)

    def ids_to_text(self, ids: Sequence[int]) -> str:
        chars = self.charset.chars
        return "".join(chars[i - 1] for i in ids if 0 < i <= len(chars))

    def decode_greedy(self, probs: torch.Tensor | np.ndarray) -> list[RecResult]:
        """Best class per frame, repeats collapsed, blanks dropped.

        `probs` is (B, T, C). A character's confidence is the highest probability over the
        frames that emitted it; the text's score is the product of its characters'
        (for an empty text: the mean blank probability).
        """
        p = _as_numpy(probs)
        best = p.argmax(axis=-1)
        best_p = p.max(axis=-1)
        return [self._collapse(best[b], best_p[b], p[b, :, self.blank]) for b in range(len(p))]

    def _collapse(self, ids: np.ndarray, conf: np.ndarray, blank_p: np.ndarray) -> RecResult:
        out: list[int] = []
        scores: list[float] = []
        frames: list[list[int]] = []  # first and last frame of each emitted character
        prev = self.blank
        for t, (i, c) in enumerate(zip(ids.tolist(), conf.tolist(), strict=True)):
            if i != self.blank:
                if i != prev:
                    out.append(i)
                    scores.append(c)
                    frames.append([t, t])
                else:
                    scores[-1] = max(scores[-1], c)
                    frames[-1][1] = t
            prev = i
        if not out:
            return RecResult("", float(blank_p.mean()) if len(blank_p) else 0.0, ())
        text = self.ids_to_text(out)
        n = len(ids)
        spans = tuple((a / n, (b + 1) / n) for a, b in frames) if len(text) == len(out) else ()
        return RecResult(text, float(np.prod(scores)), tuple(scores), spans)

    def decode_beam(
        self, probs: torch.Tensor | np.ndarray, beam_width: int = 10, min_prob: float = 1e-3
    ) -> list[RecResult]:
        """Prefix beam search (Hannun et al. 2014) per sample of a (B, T, C) table.

        Sums the probability of every alignment of a prefix, so it can find a text that
        no single best path spells. Classes below `min_prob` in a frame are skipped (they
        cannot change the top beams). The score is the text's total CTC probability;
        a character's confidence is its probability in the frame that first emitted it.
        """
        p = _as_numpy(probs)
        return [self.decode_beam_one(p[b], beam_width, min_prob) for b in range(len(p))]

    def decode_beam_one(
        self, probs: np.ndarray, beam_width: int = 10, min_prob: float = 1e-3
    ) -> RecResult:
        p = np.asarray(probs, dtype=np.float64)
        logp = np.log(np.clip(p, 1e-30, None))
        # prefix -> [log p(ending in blank), log p(ending in a char), char confidences]
        beams: dict[tuple[int, ...], list] = {(): [0.0, _NEG_INF, ()]}
        for t in range(len(p)):
            cand = [c for c in np.flatnonzero(p[t] >= min_prob).tolist() if c != self.blank]
            nxt: dict[tuple[int, ...], list] = {}
            for prefix, (pb, pnb, cs) in beams.items():
                _add(nxt, prefix, cs, blank=np.logaddexp(pb, pnb) + logp[t, self.blank])
                last = prefix[-1] if prefix else None
                # a rare repeat of the last character still keeps this prefix alive
                cand_here = [*cand, last] if last is not None and last not in cand else cand
                for c in cand_here:
                    if c == last:
                        # a repeat without a blank between merges into the same character
                        _add(nxt, prefix, cs, nonblank=pnb + logp[t, c])
                        _add(nxt, (*prefix, c), (*cs, float(p[t, c])), nonblank=pb + logp[t, c])
                    else:
                        _add(
                            nxt,
                            (*prefix, c),
                            (*cs, float(p[t, c])),
                            nonblank=np.logaddexp(pb, pnb) + logp[t, c],
                        )
            ranked = sorted(nxt.items(), key=lambda kv: -np.logaddexp(kv[1][0], kv[1][1]))
            beams = dict(ranked[:beam_width])
        prefix, (pb, pnb, cs) = next(iter(beams.items()))
        return RecResult(
            self.ids_to_text(prefix), float(math.exp(np.logaddexp(pb, pnb))), tuple(cs)
        )


def _add(
    beams: dict,
    prefix: tuple[int, ...],
    cs: tuple[float, ...],
    blank: float = _NEG_INF,
    nonblank: float = _NEG_INF,
) -> None:
    entry = beams.get(prefix)
    if entry is None:
        beams[prefix] = [blank, nonblank, cs]
        return
    entry[0] = np.logaddexp(entry[0], blank)
    entry[1] = np.logaddexp(entry[1], nonblank)


class AttnTokenizer:
    """EOS = 0, characters 1..N, BOS = N + 1, PAD = N + 2 (see the module docstring)."""

    eos = 0

    def __init__(self, charset: Charset, max_len: int = 25):
        if max_len < 1:
            raise ValueError("max_len must be at least 1")
        self.charset = charset
        self.max_len = max_len
        n = len(charset)
        self.bos = n + 1
        self.pad = n + 2
        self.num_classes = n + 1  # what a classifier predicts: EOS + characters
        self.vocab_size = n + 3  # embedding rows: + BOS and PAD

    def encode(
        self, texts: Sequence[str], bos: bool = False, truncate: bool = False
    ) -> torch.Tensor:
        """(B, max_len + 1) targets: the characters, EOS, then PAD.

        `bos=True` prepends BOS (shape (B, max_len + 2)), the input form of
        autoregressive decoders. Texts longer than `max_len` raise ValueError unless
        `truncate` (then they are cut to `max_len`). Out-of-charset characters raise KeyError.
        """
        width = self.max_len + 1 + int(bos)
        out = torch.full((len(texts), width), self.pad, dtype=torch.long)
        start = 1 if bos else 0
        for row, text in enumerate(texts):
            if len(text) > self.max_len:
                if not truncate:
                    raise ValueError(
                        f"text of {len(text)} characters exceeds max_len {self.max_len}: {text!r}"
                    )
                text = text[: self.max_len]
            ids = [self.charset.index(ch) + 1 for ch in text]
            if bos:
                out[row, 0] = self.bos
            out[row, start : start + len(ids)] = torch.tensor(ids, dtype=torch.long)
            out[row, start + len(ids)] = self.eos
        return out

    def ids_to_text(self, ids: Sequence[int]) -> str:
        chars = self.charset.chars
        return "".join(chars[i - 1] for i in ids if 0 < i <= len(chars))

    def decode(self, probs: torch.Tensor | np.ndarray) -> list[RecResult]:
        """Greedy read of (B, L, C) probabilities, stopping at the first EOS.

        Only the first `num_classes` columns are considered (BOS/PAD are never answers).
        Score = product of the chosen characters' probabilities including the EOS step;
        `char_scores` excludes EOS. Without an EOS all L steps are read.
        """
        p = _as_numpy(probs)[..., : self.num_classes]
        ids = p.argmax(axis=-1)
        conf = p.max(axis=-1)
        results = []
        for b in range(len(p)):
            row = ids[b].tolist()
            end = row.index(self.eos) if self.eos in row else len(row)
            chars = conf[b, :end].tolist()
            with_eos = conf[b, : end + 1]
            results.append(
                RecResult(
                    self.ids_to_text(row[:end]),
                    float(np.prod(with_eos)),
                    tuple(float(c) for c in chars),
                )
            )
        return results
