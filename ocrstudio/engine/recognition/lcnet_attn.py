"""An attention recognizer on the PP-OCRv6 trunk, trained with ConCLR (`rec_conclr`).

The trunk and neck are `ppocr_rec`'s (`LCNetV4Rec`: PP-LCNetV4 stem and stages, a 3x2
pool, the light SVTR neck), so they load `rec_default`'s weights key for key; the decoder
is ABINet's vision decoder (Fang et al. 2021): a linear map to `d_model`, sinusoidal
positions, a post-norm transformer encoder, then position attention (`abinet.
PositionAttention`: queries from the reading positions, keys from a mini U-Net) whose
glimpses a linear layer classifies (EOS + characters). The trunk's features form one row of
W / 8 positions (the crop keeps its aspect ratio), so attention runs along the word.

ConCLR (Zhang et al. 2022, `conclr.py`) trains it: ConAug joins each sample with a
partner left or right, the projection head maps glimpses to unit vectors, and the
supervised contrastive loss pulls the glimpses of one character class together across the
two views. With a frozen trunk the join is made on the trunk's features (`feature_views`):
the trunk is convolutional, so the features of two crops side by side are their features
side by side, away from the seam. Inputs have dynamic width, so the joined pair is not
squeezed back to one crop's width (the paper's fixed 32 x 128 input is).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ocrstudio.core.charset import Charset
from ocrstudio.engine.recognition.abinet import decoder_parts, sinusoid_table
from ocrstudio.engine.recognition.classifier import grown_classifier
from ocrstudio.engine.recognition.conclr import (
    ConCLRConfig,
    char_contrastive_loss,
)
from ocrstudio.engine.recognition.ppocr_rec import TINY_STAGES, LCNetV4Rec, PPOCRRecConfig
from ocrstudio.engine.recognition.preprocess import RecInput
from ocrstudio.engine.recognition.types import RecResult
from ocrstudio.engine.tokenizer import AttnTokenizer

MAX_POSITIONS = 512  # feature positions the sinusoid table covers (4096 pixels / 8)


@dataclass(frozen=True)
class LCNetAttnConfig:
    """`trunk`: the PP-OCRv6 recognizer's backbone and neck (its `input` is this model's
    input). `freeze_trunk`: stem and stages take no gradient and keep their BatchNorm-free
    folded weights (the neck's BatchNorms follow `trunk.frozen_bn`)."""

    trunk: PPOCRRecConfig = field(default_factory=PPOCRRecConfig)
    max_length: int = 25
    d_model: int = 128
    num_layers: int = 2
    num_heads: int = 8
    ffn_dim: int = 512
    dropout: float = 0.1
    attn_channels: int = 64
    freeze_trunk: bool = True
    objective: Literal["ce", "conclr"] = "conclr"
    conclr: ConCLRConfig = field(
        default_factory=lambda: ConCLRConfig(proj_hidden=256, proj_dim=128)
    )

    @property
    def input(self) -> RecInput:
        return self.trunk.input


@dataclass(frozen=True)
class FeatureView:
    """A ConAug view on features: (B, C, T) sequences, their texts, and how many positions
    of each hold a crop (the rest is padding)."""

    feats: Tensor
    texts: list[str]
    valid: Tensor


def pad_to(seqs: Sequence[Tensor], pad: Tensor, min_len: int) -> Tensor:
    """(C, T_i) sequences -> (B, C, T) padded on the right with the column `pad` (C,)."""
    t = max(min_len, max(s.shape[1] for s in seqs))
    out = pad.view(1, -1, 1).expand(len(seqs), -1, t).clone()
    for i, s in enumerate(seqs):
        out[i, :, : s.shape[1]] = s
    return out


def feature_views(
    feats: Tensor,
    valid: Tensor,
    texts: Sequence[str],
    pad: Tensor,
    min_len: int,
    max_length: int,
    generator: torch.Generator | None = None,
) -> tuple[FeatureView, FeatureView]:
    """ConAug's two views of a batch of trunk features (B, C, T) with `valid` positions
    each: sample i joined with a random partner, on the left or right at random, labels
    joined in the same order and clipped to `max_length`."""
    views = []
    for _ in range(2):
        b = feats.shape[0]
        partner = torch.randperm(b, generator=generator)
        left = torch.rand(b, generator=generator) < 0.5
        seqs, labels, lengths = [], [], []
        for i in range(b):
            j = int(partner[i])
            a, c = feats[i, :, : int(valid[i])], feats[j, :, : int(valid[j])]
            own, mate = texts[i], texts[j]
            first, second = (a, c) if bool(left[i]) else (c, a)
            seqs.append(torch.cat([first, second], dim=1))
            labels.append(((own + mate) if bool(left[i]) else (mate + own))[:max_length])
            lengths.append(seqs[-1].shape[1])
        views.append(FeatureView(pad_to(seqs, pad, min_len), labels, torch.tensor(lengths)))
    return views[0], views[1]


class LCNetAttn(nn.Module):
    """A `recognition.protocol.Recognizer`: LCNetV4 trunk + neck, ABINet's decoder."""

    pad_column: Tensor  # buffer: the trunk's feature of a zero-padded column
    pos_table: Tensor  # buffer: sinusoidal positions of the feature sequence

    def __init__(self, config: LCNetAttnConfig, charset: Charset):
        super().__init__()
        if config.objective not in ("ce", "conclr"):
            raise ValueError(f"objective must be 'ce' or 'conclr', not {config.objective!r}")
        self.config = config
        self.charset = charset
        self.tokenizer = AttnTokenizer(charset, config.max_length)
        self.backbone = LCNetV4Rec(config.trunk)
        d = config.d_model
        self.embed = nn.Linear(config.trunk.dims, d)
        self.register_buffer("pos_table", sinusoid_table(MAX_POSITIONS, d), persistent=False)
        self.pos_dropout = nn.Dropout(config.dropout)
        self.encoder, self.attention, self.cls, self.projection = decoder_parts(
            config, self.tokenizer.num_classes
        )
        c_out = config.trunk.stages[-1][-1].c_out
        self.register_buffer("pad_column", torch.zeros(c_out))
        if config.freeze_trunk:
            for p in [*self.backbone.stem.parameters(), *self.backbone.stages.parameters()]:
                p.requires_grad_(False)

    # -- the network ---------------------------------------------------------------
    def trunk(self, images: Tensor) -> Tensor:
        """(B, 3, 48, W) -> (B, C, T): the frozen part (what `recipes` precomputes)."""
        b = self.backbone
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.config.freeze_trunk):
            return b.pool(b.stages(b.stem(images)))[:, :, 0]

    def decode(self, feats: Tensor) -> tuple[Tensor, Tensor]:
        """Trunk features (B, C, T) -> glimpses (B, L, d) and logits (B, L, classes)."""
        seq = self.backbone.neck(feats.unsqueeze(2))[:, :, 0].transpose(1, 2)  # (B, T, dims)
        t = seq.shape[1]
        if t > MAX_POSITIONS:
            raise ValueError(f"a crop of {t * 8} pixels is wider than this model reads")
        x = self.encoder(self.pos_dropout(self.embed(seq) + self.pos_table[:t]))
        glimpses, _ = self.attention(x.transpose(1, 2).unsqueeze(2))
        return glimpses, self.cls(glimpses)

    def forward(self, images: Tensor, targets: list[str] | None = None) -> dict[str, Tensor]:
        if targets is None:
            return {"logits": self.decode(self.trunk(images))[1]}
        return self.compute_loss(images, targets)

    def train(self, mode: bool = True) -> LCNetAttn:
        super().train(mode)
        if mode and self.config.freeze_trunk:
            self.backbone.stem.eval()
            self.backbone.stages.eval()
        return self

    # -- training --------------------------------------------------------------------
    def compute_loss(self, images: Tensor, targets: list[str]) -> dict[str, Tensor]:
        """The objective on prepared crops: their features' valid length is where the
        zero padding on the right starts."""
        feats = self.trunk(images)
        cols = (images != 0).flatten(1, 2).any(dim=1)  # (B, W): a column holds the crop
        last = cols.shape[1] - cols.int().flip(1).argmax(1)  # a blank crop: the whole row
        valid = torch.clamp((last + 7) // 8, 1, feats.shape[2])
        return self.feature_loss(feats, valid, targets)

    def feature_loss(
        self,
        feats: Tensor,
        valid: Tensor,
        texts: Sequence[str],
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """Cross-entropy on the batch, plus (objective "conclr") on its two ConAug views
        and the contrastive term over the views' glimpses, weighted as `ConCLRConfig`."""
        tok = self.tokenizer
        texts = [t[: tok.max_len] for t in texts]  # a longer label: its first characters
        if self.projection is None:
            _, logits = self.decode(feats)
            tgt = tok.encode(list(texts)).to(feats.device)
            loss = F.cross_entropy(logits.flatten(0, 1), tgt.flatten(), ignore_index=tok.pad)
            return {"loss": loss, "loss_rec": loss.detach()}
        min_len = self.config.input.min_width // 8
        v1, v2 = feature_views(
            feats, valid, texts, self.pad_column, min_len, tok.max_len, generator
        )
        rec, glimpses = [], []
        for f, t in ((feats, texts), (v1.feats, v1.texts), (v2.feats, v2.texts)):
            g, logits = self.decode(f)
            tgt = tok.encode(t).to(feats.device)
            rec.append(F.cross_entropy(logits.flatten(0, 1), tgt.flatten(), ignore_index=tok.pad))
            glimpses.append((g, tgt))
        (g1, t1), (g2, t2) = glimpses[1], glimpses[2]
        ok1 = (t1 != tok.eos) & (t1 != tok.pad)
        ok2 = (t2 != tok.eos) & (t2 != tok.pad)
        cfg = self.config.conclr
        clr = char_contrastive_loss(
            self.projection(g1), self.projection(g2), t1, t2, ok1, ok2, cfg.temperature
        )
        w = cfg.view_weights
        loss = w[0] * rec[0] + w[1] * rec[1] + w[2] * rec[2] + cfg.clr_weight * clr
        return {
            "loss": loss,
            "loss_rec": rec[0].detach(),
            "loss_view1": rec[1].detach(),
            "loss_view2": rec[2].detach(),
            "loss_clr": clr.detach(),
        }

    # -- reading -----------------------------------------------------------------------
    def read(self, images: Tensor) -> list[RecResult]:
        return self.tokenizer.decode(self.decode(self.trunk(images))[1].softmax(-1))

    def read_features(self, feats: Tensor) -> list[RecResult]:
        return self.tokenizer.decode(self.decode(feats)[1].softmax(-1))

    def extend_charset(self, charset: Charset) -> None:
        """Grow the classifier to a charset that starts with the current one (see
        `Charset.extended`, `classifier.grown_classifier`)."""
        self.cls = grown_classifier(self.cls, self.charset, charset)
        self.charset = charset
        self.tokenizer = AttnTokenizer(charset, self.config.max_length)


def build_lcnet_attn(config: LCNetAttnConfig, charset: Charset | None) -> LCNetAttn:
    if charset is None:
        raise ValueError("a recognizer needs a charset")
    return LCNetAttn(config, charset)


_TINY_TRUNK = PPOCRRecConfig(
    input=RecInput(
        48,
        160,
        3,
        (0.5,) * 3,
        (0.5,) * 3,
        keep_ratio=True,
        dynamic_width=True,
        pad="mean",
        min_width=32,
    ),
    stem=(8, 16),
    stages=TINY_STAGES,
    dims=32,
    depth=1,
    heads=2,
    frozen_bn=False,
)
_TINY = LCNetAttnConfig(
    trunk=_TINY_TRUNK,
    max_length=8,
    d_model=32,
    num_layers=1,
    num_heads=2,
    ffn_dim=64,
    dropout=0.0,
    attn_channels=16,
    freeze_trunk=False,
    conclr=ConCLRConfig(proj_hidden=32, proj_dim=16),
)

DEFAULT_CFGS: dict[str, dict[str, LCNetAttnConfig]] = {
    "lcnet_abinet_conclr": {
        # rec_conclr: rec_default's trunk frozen, its neck and the decoder trained with ConCLR
        "full": LCNetAttnConfig(),
        "ce": LCNetAttnConfig(objective="ce"),
        "tiny": _TINY,
        "tiny_ce": dataclasses.replace(_TINY, objective="ce"),
    }
}
