"""The CLIP-side building blocks of TCM (Yu et al., CVPR 2023), on top of open_clip parts.

- `DenseAttentionPool2d`: CLIP's attention pool run with every location as a query, so it
  returns the per-location ("dense") embeddings beside the global one (TCM and DenseCLIP do
  this); the global output is exactly CLIP's.
- `PromptedTextEncoder`: the frozen CLIP text tower fed "[SOT] ctx_1..ctx_n <class> [EOT]"
  with n learnable context vectors, plus an optional per-image prompt added to every token.
- `LanguagePromptGenerator`: LN, Linear C->C, ReLU, LN, Linear C->D on the global feature.
- `PromptDecoder`: a small transformer decoder (queries attend to themselves, then to a
  memory); TCM's visual prompt generator, and the reference's text context decoder.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from open_clip.modified_resnet import AttentionPool2d
from torch import nn

from ocrstudio.engine.clip_backbone import resize_pool_positions


class DenseAttentionPool2d(AttentionPool2d):
    """open_clip's AttentionPool2d (same parameters, so CLIP weights load) returning
    `(global (B, D), dense (B, D, H, W))` for any input size: the position grid is resized
    bilinearly to the feature map, and all H*W+1 tokens are queries of one attention."""

    def __init__(self, spacial_dim: int, embed_dim: int, num_heads: int, output_dim: int):
        super().__init__(spacial_dim, embed_dim, num_heads, output_dim)
        self.spacial_dim = spacial_dim

    @classmethod
    def from_pool(cls, pool: AttentionPool2d) -> DenseAttentionPool2d:
        grid = round((pool.positional_embedding.shape[0] - 1) ** 0.5)
        dense = cls(grid, pool.k_proj.in_features, pool.num_heads, pool.c_proj.out_features)
        dense.load_state_dict(pool.state_dict())
        return dense

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, c, h, w = x.shape
        tokens = x.flatten(2).permute(2, 0, 1)  # (HW, B, C)
        tokens = torch.cat([tokens.mean(dim=0, keepdim=True), tokens], dim=0)
        pos = resize_pool_positions(self.positional_embedding, (h, w))
        tokens = tokens + pos[:, None, :].to(tokens.dtype)
        out, _ = F.multi_head_attention_forward(
            query=tokens,
            key=tokens,
            value=tokens,
            embed_dim_to_check=c,
            num_heads=self.num_heads,
            q_proj_weight=self.q_proj.weight,
            k_proj_weight=self.k_proj.weight,
            v_proj_weight=self.v_proj.weight,
            in_proj_weight=None,
            in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None,
            bias_v=None,
            add_zero_attn=False,
            dropout_p=0.0,
            out_proj_weight=self.c_proj.weight,
            out_proj_bias=self.c_proj.bias,
            use_separate_proj_weight=True,
            training=self.training,
            need_weights=False,
        )
        global_feat = out[0]
        dense = out[1:].permute(1, 2, 0).reshape(b, -1, h, w)
        return global_feat, dense


def _init_linear_ln(module: nn.Module) -> None:
    """Small-normal Linear weights, zero biases, unit LayerNorms (as the reference)."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class LanguagePromptGenerator(nn.Sequential):
    """Global image feature (B, C) -> a prompt (B, D) added to every text token embedding."""

    def __init__(self, visual_dim: int, token_dim: int):
        super().__init__(
            nn.LayerNorm(visual_dim),
            nn.Linear(visual_dim, visual_dim),
            nn.ReLU(),
            nn.LayerNorm(visual_dim),
            nn.Linear(visual_dim, token_dim),
        )
        self.apply(_init_linear_ln)


class _Attention(nn.Module):
    """Multi-head attention with bias-free q/k/v projections and a biased output one."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(dim, dim, bias=False)
        self.v = nn.Linear(dim, dim, bias=False)
        self.out = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        b, n, c = query.shape
        m = memory.shape[1]
        q = self.q(query).view(b, n, self.heads, -1).transpose(1, 2)
        k = self.k(memory).view(b, m, self.heads, -1).transpose(1, 2)
        v = self.v(memory).view(b, m, self.heads, -1).transpose(1, 2)
        x = F.scaled_dot_product_attention(q, k, v)
        return self.drop(self.out(x.transpose(1, 2).reshape(b, n, c)))


class _DecoderLayer(nn.Module):
    def __init__(self, width: int, heads: int, ffn: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.self_attn = _Attention(width, heads, dropout)
        self.norm2 = nn.LayerNorm(width)
        self.cross_attn = _Attention(width, heads, dropout)
        self.norm3 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, ffn), nn.GELU(), nn.Dropout(dropout), nn.Linear(ffn, width)
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        y = self.norm1(x)
        x = x + self.self_attn(y, y)
        x = x + self.cross_attn(self.norm2(x), memory)
        return x + self.drop(self.mlp(self.norm3(x)))


class PromptDecoder(nn.Module):
    """Queries (B, N, D) attend to a memory (B, M, D) in a `width`-wide pre-norm decoder;
    returns (B, N, D), the difference the caller adds back with a small learnable scale."""

    def __init__(
        self,
        dim: int,
        width: int = 256,
        heads: int = 4,
        layers: int = 3,
        ffn: int = 1024,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.memory_proj = nn.Sequential(
            nn.LayerNorm(dim), nn.Linear(dim, width), nn.LayerNorm(width)
        )
        self.query_proj = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, width))
        self.layers = nn.ModuleList(
            _DecoderLayer(width, heads, ffn, dropout) for _ in range(layers)
        )
        self.out_proj = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, dim))
        self.apply(_init_linear_ln)

    def forward(self, queries: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        mem = self.memory_proj(memory)
        x = self.query_proj(queries)
        for layer in self.layers:
            x = layer(x, mem)
        return self.out_proj(x)


class PromptedTextEncoder(nn.Module):
    """CLIP's text tower (taken from an open_clip CLIP, frozen) with learnable context.

    The class prompt is tokenised once to `prompt_tokens` tokens; `n_context` learnable
    vectors go right after [SOT], so the tower sees `n_context + prompt_tokens` positions
    (its position table must have exactly that many rows). Returns (B, K, D) text
    embeddings taken at [EOT], K = number of class prompts (1 for TCM's "text")."""

    tokens: torch.Tensor  # buffers, registered below
    attn_mask: torch.Tensor

    def __init__(
        self, clip: Any, class_prompts: tuple[str, ...], n_context: int, prompt_tokens: int
    ):
        """`clip`: an open_clip CLIP (untyped: its towers are attributes it builds)."""
        super().__init__()
        import open_clip

        self.transformer: nn.Module = clip.transformer
        self.token_embedding: nn.Embedding = clip.token_embedding
        self.positional_embedding: nn.Parameter = clip.positional_embedding
        self.ln_final: nn.Module = clip.ln_final
        self.text_projection: nn.Parameter | nn.Linear = clip.text_projection
        total = n_context + prompt_tokens
        if self.positional_embedding.shape[0] != total:
            raise ValueError(
                f"text tower has {self.positional_embedding.shape[0]} positions, "
                f"prompts need {total}"
            )
        self.register_buffer("attn_mask", clip.attn_mask, persistent=False)
        tokens = open_clip.tokenize(list(class_prompts), context_length=prompt_tokens)
        self.register_buffer("tokens", tokens, persistent=False)
        width = self.token_embedding.embedding_dim
        self.contexts = nn.Parameter(torch.empty(1, n_context, width))
        nn.init.trunc_normal_(self.contexts)  # std 1, as the reference initialises them
        for module in (self.transformer, self.token_embedding, self.ln_final):
            module.requires_grad_(False)
        self.positional_embedding.requires_grad_(False)
        self.text_projection.requires_grad_(False)

    @property
    def token_dim(self) -> int:
        return self.token_embedding.embedding_dim

    def forward(self, prompt: torch.Tensor | None, batch: int) -> torch.Tensor:
        """`prompt` (B, token_dim) from the language prompt generator, or None."""
        k = self.tokens.shape[0]
        n_ctx = self.contexts.shape[1]
        words = self.token_embedding(self.tokens)  # (K, L, W)
        ctx = self.contexts.expand(k, -1, -1)
        x = torch.cat([words[:, :1], ctx, words[:, 1:]], dim=1)  # (K, n+L, W)
        x = x.unsqueeze(0).expand(batch, -1, -1, -1)
        if prompt is not None:
            x = x + prompt[:, None, None, :]
        x = x.reshape(batch * k, x.shape[2], x.shape[3]) + self.positional_embedding
        x = self.transformer(x, attn_mask=self.attn_mask)
        x = self.ln_final(x)
        eot = (self.tokens.argmax(dim=-1) + n_ctx).repeat(batch)
        x = x[torch.arange(x.shape[0], device=x.device), eot]
        if isinstance(self.text_projection, nn.Linear):
            x = self.text_projection(x)
        else:
            x = x @ self.text_projection
        return x.reshape(batch, k, -1)
