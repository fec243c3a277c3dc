"""PARSeq's decoder (Bautista & Atienza, ECCV 2022) and its permutation language modelling,
as CLIP4STR uses them for both of its branches.

A decoder holds learned position queries, a token embedding (characters + BOS + PAD) and
pre-LN two-stream layers (XLNet): the query stream (position queries) attends to the
content stream (BOS + embedded context tokens) under a permutation's mask, then to the
memory (image tokens, or image + text tokens). Masks are bool, True = may not attend.

Tokens follow `engine/tokenizer.AttnTokenizer`: EOS = 0, characters 1..N, BOS = N + 1,
PAD = N + 2; the head predicts N + 1 classes (EOS + characters). A target row is
[BOS, c1 .. cL, EOS, PAD ...]; `tgt[:, :-1]` is the decoder input, `tgt[:, 1:]` the output.
"""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class DecoderLayer(nn.Module):
    """Pre-LN transformer decoder layer with a query and a content stream."""

    def __init__(self, d_model: int, num_heads: int, ffn_dim: int, dropout: float = 0.1):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, num_heads, dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d_model, num_heads, dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, ffn_dim)
        self.linear2 = nn.Linear(ffn_dim, d_model)
        self.norm_q = nn.LayerNorm(d_model)
        self.norm_c = nn.LayerNorm(d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.drop = nn.Dropout(dropout)

    def _stream(
        self,
        x: Tensor,
        x_norm: Tensor,
        kv: Tensor,
        memory: Tensor,
        mask: Tensor | None,
        padding: Tensor | None,
    ) -> Tensor:
        x = x + self.drop(
            self.self_attn(
                x_norm, kv, kv, attn_mask=mask, key_padding_mask=padding, need_weights=False
            )[0]
        )
        x = x + self.drop(self.cross_attn(self.norm1(x), memory, memory, need_weights=False)[0])
        return x + self.drop(self.linear2(self.drop(F.gelu(self.linear1(self.norm2(x))))))

    def forward(
        self,
        query: Tensor,
        content: Tensor,
        memory: Tensor,
        query_mask: Tensor | None,
        content_mask: Tensor | None,
        padding: Tensor | None,
        update_content: bool,
    ) -> tuple[Tensor, Tensor]:
        content_norm = self.norm_c(content)
        query = self._stream(query, self.norm_q(query), content_norm, memory, query_mask, padding)
        if update_content:
            content = self._stream(
                content, content_norm, content_norm, memory, content_mask, padding
            )
        return query, content


class PARSeqDecoder(nn.Module):
    """Layers + final norm + classifier + token embedding + position queries."""

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        ffn_dim: int,
        num_layers: int,
        num_classes: int,
        vocab_size: int,
        num_positions: int,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.layers = nn.ModuleList(
            DecoderLayer(d_model, num_heads, ffn_dim, dropout) for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, num_classes)
        self.embed = nn.Embedding(vocab_size, d_model)
        self.pos_queries = nn.Parameter(torch.empty(1, num_positions, d_model))
        self.dropout = nn.Dropout(dropout)
        self.d_model = d_model
        self._init_weights()

    def _init_weights(self) -> None:
        # PARSeq's init: truncated normal for linear/embedding weights and the queries
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Embedding):
                nn.init.trunc_normal_(m.weight, std=0.02)
        nn.init.trunc_normal_(self.pos_queries, std=0.02)

    def extend_classes(self, n_chars: int) -> None:
        """Grow from the current number of characters to `n_chars` (appended at the end):
        head rows EOS + characters keep their weights, BOS and PAD move to the new end."""
        old_head, old_embed = self.head, self.embed
        old_n = old_head.out_features - 1
        head = nn.Linear(old_head.in_features, n_chars + 1).to(old_head.weight)
        embed = nn.Embedding(n_chars + 3, old_embed.embedding_dim).to(old_embed.weight)
        with torch.no_grad():
            nn.init.trunc_normal_(head.weight, std=0.02)
            head.bias.fill_(float(old_head.bias.min()))  # new characters start unlikely
            head.weight[: old_n + 1] = old_head.weight
            head.bias[: old_n + 1] = old_head.bias
            nn.init.trunc_normal_(embed.weight, std=0.02)
            embed.weight[: old_n + 1] = old_embed.weight[: old_n + 1]
            embed.weight[n_chars + 1 :] = old_embed.weight[old_n + 1 :]  # BOS, PAD
        self.head, self.embed = head, embed

    def forward(
        self,
        tgt_in: Tensor,
        memory: Tensor,
        query: Tensor | None = None,
        query_mask: Tensor | None = None,
        content_mask: Tensor | None = None,
        padding: Tensor | None = None,
    ) -> Tensor:
        """Logits (B, Q, classes) for input tokens `tgt_in` (B, L) starting with BOS.

        `query` defaults to the first L position queries. BOS is the null context; the
        other input tokens carry the position of the character they are.
        """
        b, length = tgt_in.shape
        emb = self.embed(tgt_in) * math.sqrt(self.d_model)
        content = torch.cat([emb[:, :1], emb[:, 1:] + self.pos_queries[:, : length - 1]], dim=1)
        content = self.dropout(content)
        if query is None:
            query = self.pos_queries[:, :length].expand(b, -1, -1)
        query = self.dropout(query)
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            query, content = layer(
                query, content, memory, query_mask, content_mask, padding, update_content=not last
            )
        return self.head(self.norm(query))


def gen_tgt_perms(
    max_num_chars: int, num_perms: int = 6, rng: np.random.Generator | None = None
) -> Tensor:
    """PARSeq's permutations of the positions [BOS, c1 .. cL, EOS] (L = max_num_chars).

    Row 0 is the forward (left-to-right) order, row 1 the reverse order with EOS first
    (null context for EOS); the rest are random permutations each followed by its mirror,
    so K = num_perms rows in total when L allows that many distinct ones. BOS stays first
    and EOS last in every row but the reverse one. One set is shared by the whole batch:
    shorter texts are handled by the padding mask.
    """
    rng = rng if rng is not None else np.random.default_rng()
    if max_num_chars == 1:
        return torch.arange(3).unsqueeze(0)
    max_perms = math.factorial(max_num_chars) // 2  # mirrored pairs
    num_gen = min(num_perms // 2, max_perms)
    base = [list(range(max_num_chars))]
    if max_num_chars < 5:
        # sample from the pool of all orders, without repeats (only the first half of the
        # pool: the mirrors of its members make the second half)
        pool = list(permutations(range(max_num_chars)))
        if max_num_chars == 4:
            pool = [pool[i] for i in (0, 3, 4, 6, 9, 10, 12, 16, 17, 18, 19, 21)]
        else:
            pool = pool[: len(pool) // 2]
        pool = pool[1:]  # the forward order is already in
        pick = rng.choice(len(pool), size=min(num_gen - 1, len(pool)), replace=False)
        base += [list(pool[i]) for i in pick]
    else:
        base += [rng.permutation(max_num_chars).tolist() for _ in range(num_gen - 1)]
    perms = torch.tensor(base, dtype=torch.long)
    perms = torch.stack([perms, perms.flip(-1)], dim=1).reshape(-1, max_num_chars)
    bos = torch.zeros(len(perms), 1, dtype=torch.long)
    eos = torch.full((len(perms), 1), max_num_chars + 1, dtype=torch.long)
    perms = torch.cat([bos, perms + 1, eos], dim=1)
    if len(perms) > 1:  # reverse order, EOS predicted from the null context
        perms[1, 1:] = max_num_chars + 1 - torch.arange(max_num_chars + 1)
    return perms


def perm_attn_masks(perm: Tensor) -> tuple[Tensor, Tensor]:
    """(content_mask, query_mask), bool, True = masked, for one permutation of positions.

    A position sees exactly the positions that come before it in `perm`; the content
    stream also sees itself, the query stream does not.
    """
    n = perm.shape[0]
    rank = torch.empty_like(perm)
    rank[perm] = torch.arange(n, device=perm.device)
    later = rank.unsqueeze(0) > rank.unsqueeze(1)  # [q, k]: k comes after q
    content_mask = later[:-1, :-1]
    eye = torch.eye(n, dtype=torch.bool, device=perm.device)
    query_mask = (later | eye)[1:, :-1]
    return content_mask, query_mask


def causal_mask(n: int, device: torch.device | str) -> Tensor:
    return torch.ones(n, n, dtype=torch.bool, device=device).triu(1)


def cloze_query_mask(n: int, device: torch.device | str) -> Tensor:
    """Refinement mask: query i sees every context token except its own (index i + 1)."""
    return torch.eye(n, dtype=torch.bool, device=device).roll(1, dims=1) & causal_mask(n, device)
