"""CLIP4STR (Zhao et al. 2023, reference VamosC/CLIP4STR `vl_str`), PARSeq-style decoders.

* Image encoder: open_clip ViT (ViT-B/16 at 224x224 in the full config) returning all
  tokens (class token + patches) after `ln_post`, projected to the shared CLIP width.
* Text encoder: the CLIP text tower over a 16-token context, returning every token after
  `ln_final`, projected; its token/position embeddings and first half of the layers (6 of
  12) are frozen, as the reference's `text_freeze_nlayer: 6`.
* Visual decoder: PARSeq decoder over the image tokens.
* Cross-modal decoder: PARSeq decoder over [image tokens (detached) ; text-encoder tokens
  of the visual branch's prediction].

Training: permutation language modelling with K = 6 permutations shared by the batch;
loss = visual CE + cross-modal CE summed over permutations (token-weighted mean, EOS
targets only in the forward and reverse orders, as PARSeq). Decoding: visual branch
autoregressive, cross-modal branch autoregressive on image tokens + text features of the
visual prediction, then `refine_iters` rounds of cloze refinement of both branches; the
cross-modal output is the answer.

CLIP weights: `clip_weights` names a local open_clip/OpenAI checkpoint (see
`engine/clip_backbone.py`); without one CLIP starts random with a warning. Once loaded,
the weights live in this module's state dict, so the module's own `config` drops the path:
a saved model rebuilds without the original file and then loads its checkpoint.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ocrstudio.core.charset import Charset
from ocrstudio.engine.clip_backbone import CLIP_MEAN, CLIP_STD, clip_model_config, create_clip
from ocrstudio.engine.recognition.parseq_decoder import (
    PARSeqDecoder,
    causal_mask,
    cloze_query_mask,
    gen_tgt_perms,
    perm_attn_masks,
)
from ocrstudio.engine.recognition.preprocess import RecInput
from ocrstudio.engine.recognition.types import RecResult
from ocrstudio.engine.tokenizer import AttnTokenizer


@dataclass(frozen=True)
class ClipArch:
    """A custom small CLIP (open_clip terms), for tests and CPUs."""

    embed_dim: int = 64
    patch_size: int = 8
    vision_layers: int = 2
    vision_width: int = 64
    vision_head_width: int = 32
    text_layers: int = 2
    text_width: int = 64
    text_heads: int = 2

    def open_clip_config(self) -> dict[str, Any]:
        return {
            "embed_dim": self.embed_dim,
            "vision_cfg": {
                "layers": self.vision_layers,
                "width": self.vision_width,
                "head_width": self.vision_head_width,
                "patch_size": self.patch_size,
                "image_size": 224,
            },
            # vocab: the BPE tokenizer's, which is fixed
            "text_cfg": {
                "context_length": 77,
                "vocab_size": 49408,
                "width": self.text_width,
                "heads": self.text_heads,
                "layers": self.text_layers,
            },
        }


@dataclass(frozen=True)
class CLIP4STRConfig:
    """Defaults are CLIP4STR-B (reference `vl4str.yaml`)."""

    input: RecInput = field(
        default_factory=lambda: RecInput(
            height=224, width=224, channels=3, mean=CLIP_MEAN, std=CLIP_STD
        )
    )
    max_length: int = 25
    clip_model: str = "ViT-B-16-quickgelu"  # OpenAI's ViT-B/16 uses QuickGELU
    clip_arch: ClipArch | None = None  # None: open_clip's built-in `clip_model`
    clip_weights: str | None = None  # local checkpoint file or open_clip tag
    allow_download: bool = False  # may open_clip fetch a tag's weights? (never from a file)
    context_length: int = 16
    text_frozen_layers: int = 6
    dec_heads: int = 8
    dec_mlp_ratio: int = 4
    dec_layers: int = 1
    dropout: float = 0.1
    num_perms: int = 6
    refine_iters: int = 1
    cross_loss_weight: float = 1.0

    def open_clip_config(self) -> dict[str, Any]:
        cfg = (
            self.clip_arch.open_clip_config()
            if self.clip_arch is not None
            else clip_model_config(self.clip_model)
        )
        cfg["vision_cfg"]["image_size"] = (self.input.height, self.input.width)
        return cfg


class CLIP4STR(nn.Module):
    """A `recognition.protocol.Recognizer`."""

    # open_clip's CLIP: its towers are attributes it builds itself (untyped)
    clip: Any

    def __init__(self, config: CLIP4STRConfig, charset: Charset):
        super().__init__()
        self.charset = charset
        self.tokenizer = AttnTokenizer(charset, config.max_length)
        self.clip = create_clip(
            config.clip_model,
            config.clip_weights,
            allow_download=config.allow_download,
            model_cfg=config.open_clip_config(),
            context_length=config.context_length,
        )
        # the weights are in the state dict now (see the module docstring)
        self.config = dataclasses.replace(config, clip_weights=None, allow_download=False)
        self.clip.visual.output_tokens = True
        self._freeze_text(config.text_frozen_layers)
        from open_clip.tokenizer import SimpleTokenizer

        self.text_tokenizer = SimpleTokenizer(context_length=config.context_length)
        d: int = self.clip.text_projection.shape[-1]

        def decoder() -> PARSeqDecoder:
            return PARSeqDecoder(
                d_model=d,
                num_heads=config.dec_heads,
                ffn_dim=d * config.dec_mlp_ratio,
                num_layers=config.dec_layers,
                num_classes=self.tokenizer.num_classes,
                vocab_size=self.tokenizer.vocab_size,
                num_positions=config.max_length + 1,
                dropout=config.dropout,
            )

        self.visual_decoder = decoder()
        self.cross_decoder = decoder()

    def _freeze_text(self, n_layers: int) -> None:
        """Token and position embeddings and the first `n_layers` text blocks stay fixed;
        CLIP's logit scale is unused here, so it is fixed too."""
        fixed = [
            self.clip.token_embedding.weight,
            self.clip.positional_embedding,
            self.clip.logit_scale,
        ]
        for block in self.clip.transformer.resblocks[:n_layers]:
            fixed.extend(block.parameters())
        for p in fixed:
            p.requires_grad_(False)

    # -- encoders ---------------------------------------------------------------------
    def encode_image(self, images: Tensor) -> Tensor:
        """(B, 1 + patches, d): class token and patch tokens, projected."""
        pooled, tokens = self.clip.visual(images)
        proj = self.clip.visual.proj
        tokens = tokens @ proj if proj is not None else tokens
        return torch.cat([pooled.unsqueeze(1), tokens], dim=1)

    def encode_text(self, texts: list[str], device: torch.device) -> Tensor:
        """(B, context_length, d): every token of the CLIP text encoder, projected."""
        ids = self.text_tokenizer(texts).to(device)
        c = self.clip
        n = ids.shape[1]
        x = c.token_embedding(ids) + c.positional_embedding[:n]
        x = c.ln_final(c.transformer(x, attn_mask=c.attn_mask[:n, :n]))
        proj = c.text_projection
        return proj(x) if isinstance(proj, nn.Linear) else x @ proj

    def cross_memory(self, visual_logits: Tensor, image_memory: Tensor) -> Tensor:
        """Image tokens (detached, as the reference's `image_detach`) followed by the text
        features of what the visual branch read."""
        texts = [r.text for r in self.tokenizer.decode(visual_logits.detach().softmax(-1))]
        text_memory = self.encode_text(texts, image_memory.device)
        return torch.cat([image_memory.detach(), text_memory], dim=1)

    # -- training ---------------------------------------------------------------------
    def forward(self, images: Tensor, targets: list[str] | None = None) -> dict[str, Tensor]:
        if targets is None:
            return {"logits": self.decode(images)}
        return self.compute_loss(images, targets)

    def compute_loss(self, images: Tensor, targets: list[str]) -> dict[str, Tensor]:
        """Permutation language modelling on both branches (the module docstring)."""
        dev = images.device
        longest = max((len(t) for t in targets), default=0)
        # [BOS, chars, EOS, PAD..] cut to the longest text of the batch (PARSeq)
        tgt = self.tokenizer.encode(targets, bos=True)[:, : longest + 2].to(dev)
        tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
        pad, eos = self.tokenizer.pad, self.tokenizer.eos
        padding = (tgt_in == pad) | (tgt_in == eos)  # nothing attends to EOS or PAD
        memory = self.encode_image(images)
        perms = gen_tgt_perms(max(longest, 1), self.config.num_perms).to(dev)
        loss_v = loss_c = torch.zeros((), device=dev)
        numel = 0
        for i, perm in enumerate(perms):
            content_mask, query_mask = perm_attn_masks(perm)
            masks = {"query_mask": query_mask, "content_mask": content_mask, "padding": padding}
            vis = self.visual_decoder(tgt_in, memory, **masks)
            loss_v = loss_v + F.cross_entropy(
                vis.flatten(0, 1), tgt_out.flatten(), ignore_index=pad, reduction="sum"
            )
            cross = self.cross_decoder(tgt_in, self.cross_memory(vis, memory), **masks)
            loss_c = loss_c + F.cross_entropy(
                cross.flatten(0, 1), tgt_out.flatten(), ignore_index=pad, reduction="sum"
            )
            numel += int((tgt_out != pad).sum())
            if i == 1:  # EOS is learnt from the forward and reverse orders only
                tgt_out = torch.where(tgt_out == eos, pad, tgt_out)
        loss_v, loss_c = loss_v / max(numel, 1), loss_c / max(numel, 1)
        loss = loss_v + self.config.cross_loss_weight * loss_c
        return {"loss": loss, "loss_visual": loss_v.detach(), "loss_cross": loss_c.detach()}

    # -- decoding ---------------------------------------------------------------------
    def decode(self, images: Tensor, refine_iters: int | None = None) -> Tensor:
        """Cross-modal logits (B, max_length + 1, classes); see the module docstring."""
        iters = self.config.refine_iters if refine_iters is None else refine_iters
        memory = self.encode_image(images)
        steps = self.config.max_length + 1
        visual = self._autoregressive(self.visual_decoder, memory, steps)
        cross = self._autoregressive(self.cross_decoder, self.cross_memory(visual, memory), steps)
        for _ in range(iters):
            visual = self._refine(self.visual_decoder, memory, visual)
            cross = self._refine(self.cross_decoder, self.cross_memory(visual, memory), cross)
        return cross

    def _autoregressive(self, decoder: PARSeqDecoder, memory: Tensor, steps: int) -> Tensor:
        b, dev = memory.shape[0], memory.device
        tgt_in = torch.full((b, steps), self.tokenizer.pad, dtype=torch.long, device=dev)
        tgt_in[:, 0] = self.tokenizer.bos
        mask = causal_mask(steps, dev)
        logits = []
        for i in range(steps):
            j = i + 1
            # one query (position i) at a time; the causal mask makes earlier outputs final
            query = decoder.pos_queries[:, i:j].expand(b, -1, -1)
            p_i = decoder(
                tgt_in[:, :j],
                memory,
                query=query,
                query_mask=mask[i:j, :j],
                content_mask=mask[:j, :j],
            )
            logits.append(p_i)
            if j < steps:
                tgt_in[:, j] = p_i[:, 0].argmax(-1)
                if (tgt_in == self.tokenizer.eos).any(dim=-1).all():
                    break
        out = torch.cat(logits, dim=1)
        if out.shape[1] < steps:  # every text ended: the remaining steps read EOS
            rest = out.new_full((b, steps - out.shape[1], out.shape[2]), -1e4)
            rest[..., self.tokenizer.eos] = 0.0
            out = torch.cat([out, rest], dim=1)
        return out

    def _refine(self, decoder: PARSeqDecoder, memory: Tensor, logits: Tensor) -> Tensor:
        """Cloze refinement: every position re-read with all other predicted tokens as
        context (those after the first EOS masked)."""
        b, steps, dev = logits.shape[0], logits.shape[1], logits.device
        bos = torch.full((b, 1), self.tokenizer.bos, dtype=torch.long, device=dev)
        tgt_in = torch.cat([bos, logits[:, :-1].argmax(-1)], dim=1)
        padding = (tgt_in == self.tokenizer.eos).cumsum(-1) > 0
        return decoder(
            tgt_in,
            memory,
            query=decoder.pos_queries[:, :steps].expand(b, -1, -1),
            query_mask=cloze_query_mask(steps, dev),
            content_mask=causal_mask(steps, dev),
            padding=padding,
        )

    def extend_charset(self, charset: Charset) -> None:
        """Grow both decoders to a charset that starts with the current one (see
        `Charset.extended`); what the model knew keeps its weights."""
        if charset.chars[: len(self.charset)] != self.charset.chars:
            raise ValueError("the new charset must start with the model's charset")
        for decoder in (self.visual_decoder, self.cross_decoder):
            decoder.extend_classes(len(charset))
        self.charset = charset
        self.tokenizer = AttnTokenizer(charset, self.config.max_length)

    def read(self, images: Tensor, refine_iters: int | None = None) -> list[RecResult]:
        return self.tokenizer.decode(self.decode(images, refine_iters).float().softmax(-1).cpu())


def build_clip4str(config: CLIP4STRConfig, charset: Charset | None) -> CLIP4STR:
    if charset is None:
        raise ValueError("a recognizer needs a charset")
    return CLIP4STR(config, charset)


_TINY_INPUT = RecInput(height=32, width=128, channels=3, mean=CLIP_MEAN, std=CLIP_STD)

DEFAULT_CFGS: dict[str, dict[str, CLIP4STRConfig]] = {
    "clip4str_base": {
        "full": CLIP4STRConfig(),
        # 2-layer ViT (width 64, 8x8 patches on 32x128) and 2-layer text tower, one frozen
        "tiny": CLIP4STRConfig(
            input=_TINY_INPUT, clip_arch=ClipArch(), text_frozen_layers=1, dec_heads=4, dropout=0.0
        ),
    }
}
