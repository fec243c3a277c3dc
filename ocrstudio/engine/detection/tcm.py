"""TCM (Yu et al., CVPR 2023, "Turning a CLIP Model into a Scene Text Detector") with a
DBNet head, following the reference code (wenwenyu/TCM, `ocrclip/`).

Data flow for images (B, 3, H, W), CLIP-normalised, sides multiples of 32:

1. CLIP's ModifiedResNet (RN50) gives C2..C5; its attention pool, run densely, gives the
   global feature g (B, D) and pixel embeddings I (B, D, H/32, W/32).
2. Language prompt generator: LN, Linear D->D, ReLU, LN, Linear D->W on g, added to every
   token of "[SOT] ctx_1..ctx_4 text [EOT]" (4 learnable context vectors) before the frozen
   CLIP text encoder, which returns the text embedding t (B, 1, D).
3. Visual prompt generator: a 3-layer transformer decoder (width 256, 4 heads, FFN 1024)
   with the pixels of I as queries and t as keys/values; I' = I + gamma_v * decoder(I, t),
   gamma_v a learnable scalar starting at 1e-3 (the reference's value).
4. As in the reference (`use_context_decoder=True`), t is refined by a decoder of the same
   shape attending to [g; I]: t' = t + gamma_t * decoder(t, [g; I]), gamma_t per channel.
5. Instance-language matching: S = cos(I', t') (B, 1, H/32, W/32); "match" = S / tau
   (tau = 0.07) are the logits of the auxiliary loss, and S is concatenated to C5 (as the
   reference does) before DBNet's FPN and DB head.

CLIP weights: `clip_weights` in the config (or the `clip_weights` constructor argument)
names a local checkpoint file, or an open_clip tag used only when downloads are allowed;
otherwise CLIP starts random, with a warning (see `engine/clip_backbone.py`).

Loss (the reference's `IdentityHead`): DBNet's loss plus lambda x the instance-language
matching loss: the matching logits (cos / tau, stride 32) are upsampled bilinearly to the
target maps' size and scored against the shrunk text mask with DBNet's balanced BCE (all
positives, the hardest 3x as many negatives, ignored regions masked out); lambda = 1.

Configs: the full config is the reference's ICDAR 2015 model
(`clip_dbnet_r50att_prompt_gen_vis_fpnc.py`): CLIP RN50 at input 640, text encoder of 18
positions (4 learnable + 14 for the class prompt), prompt decoders of width 256, 4 heads,
3 layers, FFN 1024, FPN 256 (4 x 64) over C2..C4 and C5 + matching map, DB head with
k = 50, DB loss 5 / 1 / 10 plus lambda = 1 x matching loss, tau = 0.07. The class prompt
is the paper's "text" (the reference's config spells out "the pixels of many
arbitrary-shape text instances."; set `class_prompts` to use that).

open_clip is imported only when a network is built (`tcm_modules`, inside `TCM`), so the
configs and the zoo's listing stay cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ocrstudio.engine.clip_backbone import CLIP_MEAN, CLIP_STD, create_clip
from ocrstudio.engine.detection.dbnet import DBLossConfig, balanced_bce, db_loss
from ocrstudio.engine.detection.fpn import FPN
from ocrstudio.engine.detection.head import DBHead
from ocrstudio.engine.detection.postprocess import PostProcessConfig
from ocrstudio.engine.detection.targets import TargetConfig

__all__ = ["DEFAULT_CFGS", "TCM", "ClipTowers", "TCMConfig", "build_tcm", "matching_loss"]


@dataclass(frozen=True)
class ClipTowers:
    """A custom (small) CLIP in open_clip's terms; TCMConfig.clip_towers = None builds
    open_clip's own `clip_model` config instead."""

    embed_dim: int = 64
    vision_layers: tuple[int, int, int, int] = (1, 1, 1, 1)
    vision_width: int = 16  # ModifiedResNet stem width; C5 has 32x as many channels
    vision_head_width: int = 64
    text_width: int = 64
    text_heads: int = 2
    text_layers: int = 1
    quick_gelu: bool = True

    def open_clip_config(self) -> dict[str, Any]:
        return {
            "embed_dim": self.embed_dim,
            "quick_gelu": self.quick_gelu,
            "vision_cfg": {
                "layers": list(self.vision_layers),
                "width": self.vision_width,
                "head_width": self.vision_head_width,
                "patch_size": None,
                "image_size": 224,
            },
            "text_cfg": {
                "context_length": 77,
                "vocab_size": 49408,
                "width": self.text_width,
                "heads": self.text_heads,
                "layers": self.text_layers,
            },
        }


@dataclass(frozen=True)
class TCMConfig:
    clip_model: str = "RN50-quickgelu"  # open_clip name (OpenAI's RN50 uses QuickGELU)
    clip_towers: ClipTowers | None = None
    clip_weights: str | None = None  # local file or open_clip tag ("openai")
    allow_download: bool = False  # may open_clip fetch a tag's weights?
    image_size: int = 640  # sets the attention pool's position grid
    class_prompts: tuple[str, ...] = ("text",)
    n_context: int = 4  # learnable context tokens
    prompt_tokens: int = 14  # tokenised class prompt length (the reference's)
    decoder_width: int = 256
    decoder_heads: int = 4
    decoder_layers: int = 3
    decoder_ffn: int = 1024
    decoder_dropout: float = 0.1
    text_context_decoder: bool = True  # the reference's post-model text refinement
    visual_gamma_init: float = 1e-3  # the reference's vis_gamma
    text_gamma_init: float = 1e-3  # the reference's gamma
    tau: float = 0.07
    fpn_inner: int = 256
    fpn_out_per_level: int = 64
    k: float = 50.0
    aux_weight: float = 1.0  # lambda of the matching-map loss
    aux_ohem_ratio: float = 3.0
    loss: DBLossConfig = field(default_factory=DBLossConfig)
    targets: TargetConfig = field(default_factory=TargetConfig)
    postprocess: PostProcessConfig = field(default_factory=PostProcessConfig)
    train_size: int = 640
    limit_side: int = 1280
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD


DEFAULT_CFGS: dict[str, dict[str, TCMConfig]] = {
    "tcm_resnet50": {
        "full": TCMConfig(),
        # CPU-sized: a ModifiedResNet of one block per stage at width 16 (C5 = 512 channels), a
        # one-layer 64-wide text tower, decoders of width 64 (3 layers, 4 heads, FFN 256), FPN 64
        "tiny": TCMConfig(
            clip_towers=ClipTowers(),
            image_size=256,
            decoder_width=64,
            decoder_ffn=256,
            fpn_inner=64,
            fpn_out_per_level=16,
            train_size=256,
            limit_side=640,
        ),
    }
}


def matching_loss(
    match_logits: Tensor, targets: Mapping[str, Tensor], ohem_ratio: float = 3.0
) -> Tensor:
    """Balanced BCE of every class channel of (N, K, h, w) logits vs the text mask."""
    gt = (targets["shrink_map"].float() > 0.5).float()
    mask = targets["shrink_mask"].float()
    logits = F.interpolate(
        match_logits.float(), size=gt.shape[-2:], mode="bilinear", align_corners=False
    )
    losses = [balanced_bce(logits[:, i], gt, mask, ohem_ratio) for i in range(logits.shape[1])]
    return sum(losses[1:], losses[0]) / len(losses)


class TCM(nn.Module):
    """A `detection.protocol.Detector`."""

    # open_clip's ModifiedResNet: its layers are attributes it builds itself (untyped)
    visual: Any

    def __init__(
        self, config: TCMConfig = TCMConfig(), clip_weights: str | Path | None = None
    ) -> None:
        from ocrstudio.engine.detection.tcm_modules import (  # open_clip: only when built
            DenseAttentionPool2d,
            LanguagePromptGenerator,
            PromptDecoder,
            PromptedTextEncoder,
        )

        super().__init__()
        c = config
        source = clip_weights if clip_weights is not None else c.clip_weights
        clip: Any = _make_clip(c, source)
        # Once built, the CLIP weights live in this module's state dict: the config a
        # checkpoint records must not send a later load back to the (maybe absent) file.
        self.config = replace(c, clip_weights=None, allow_download=False)
        self.clip_source = None if source is None else str(source)
        visual = clip.visual
        visual.attnpool = DenseAttentionPool2d.from_pool(visual.attnpool)
        self.visual = visual
        self.text_encoder = PromptedTextEncoder(clip, c.class_prompts, c.n_context, c.prompt_tokens)
        dim: int = visual.output_dim
        self.prompt_generator = LanguagePromptGenerator(dim, self.text_encoder.token_dim)

        def decoder() -> PromptDecoder:
            return PromptDecoder(
                dim,
                c.decoder_width,
                c.decoder_heads,
                c.decoder_layers,
                c.decoder_ffn,
                c.decoder_dropout,
            )

        self.visual_prompt = decoder()
        self.vis_gamma = nn.Parameter(torch.full((), c.visual_gamma_init))
        self.text_decoder = decoder() if c.text_context_decoder else None
        self.text_gamma = (
            nn.Parameter(torch.full((dim,), c.text_gamma_init)) if c.text_context_decoder else None
        )
        width = visual.layer1[0].conv1.in_channels  # the stem width (64 for RN50)
        stages = tuple(width * 4 * 2**i for i in range(4))
        n_cls = len(c.class_prompts)
        self.neck = FPN(stages[:3] + (stages[3] + n_cls,), c.fpn_inner, c.fpn_out_per_level)
        self.head = DBHead(self.neck.out_channels, c.k)

    def encode_image(self, images: Tensor) -> tuple[list[Tensor], Tensor, Tensor]:
        """C2..C5, the global feature (B, D) and the pixel embeddings (B, D, h, w)."""
        v = self.visual
        x = v.stem(images)
        feats = []
        for layer in (v.layer1, v.layer2, v.layer3, v.layer4):
            x = layer(x)
            feats.append(x)
        global_feat, dense = v.attnpool(x)
        return feats, global_feat, dense

    def match(self, global_feat: Tensor, dense: Tensor) -> tuple[Tensor, Tensor]:
        """Prompted text embeddings (B, K, D) and the cosine matching map (B, K, h, w)."""
        b, d, h, w = dense.shape
        text = self.text_encoder(self.prompt_generator(global_feat), b)
        pixels = dense.flatten(2).transpose(1, 2)  # (B, hw, D)
        prompted = pixels + self.vis_gamma * self.visual_prompt(pixels, text)
        if self.text_decoder is not None and self.text_gamma is not None:
            context = torch.cat([global_feat[:, None], pixels], dim=1)
            text = text + self.text_gamma * self.text_decoder(text, context)
        cos = torch.einsum("bnd,bkd->bkn", F.normalize(prompted, dim=-1), F.normalize(text, dim=-1))
        return text, cos.reshape(b, -1, h, w)

    def forward(
        self, images: Tensor, targets: Mapping[str, Tensor] | None = None
    ) -> dict[str, Tensor]:
        """images: (N, 3, H, W) CLIP-normalised, H and W multiples of 32.

        Returns what DBNet returns ("prob"; in training mode or with targets "thresh",
        "binary" and logits; with targets "loss" and its parts) plus "match", the
        matching logits cos / tau (N, K, H/32, W/32), and, with targets, "loss_match".
        """
        feats, global_feat, dense = self.encode_image(images)
        _, cos = self.match(global_feat, dense)
        feats[3] = torch.cat([feats[3], cos.to(feats[3].dtype)], dim=1)
        out = self.head(self.neck(feats), with_thresh=self.training or targets is not None)
        out["match"] = cos / self.config.tau
        if targets is not None:
            out.update(self.compute_loss(out, targets))
        return out

    def compute_loss(
        self, out: Mapping[str, Tensor], targets: Mapping[str, Tensor]
    ) -> dict[str, Tensor]:
        """ "loss" = DB loss + aux_weight x "loss_match", with DB's parts alongside
        ("loss_db" the DB loss itself)."""
        parts = db_loss(out, targets, self.config.loss)
        loss_match = matching_loss(out["match"], targets, self.config.aux_ohem_ratio)
        parts["loss_db"] = parts["loss"]
        parts["loss_match"] = loss_match
        parts["loss"] = parts["loss"] + self.config.aux_weight * loss_match
        return parts

    def param_groups(self, lr: float, backbone_lr_mult: float = 0.1) -> list[dict[str, Any]]:
        """Optimizer groups as the reference trains: the CLIP image encoder at 0.1 x lr,
        the frozen text encoder left out, everything else (prompts included) at lr."""
        backbone = [p for p in self.visual.parameters() if p.requires_grad]
        ids = {id(p) for p in self.visual.parameters()}
        rest = [p for p in self.parameters() if p.requires_grad and id(p) not in ids]
        return [{"params": backbone, "lr": lr * backbone_lr_mult}, {"params": rest, "lr": lr}]


def _make_clip(c: TCMConfig, weights: str | Path | None) -> nn.Module:
    towers = c.clip_towers.open_clip_config() if c.clip_towers is not None else None
    name = c.clip_model if towers is None else "custom CLIP towers"
    n_text = c.n_context + c.prompt_tokens
    return create_clip(
        name,
        weights,
        allow_download=c.allow_download,
        model_cfg=towers,
        image_size=c.image_size,
        context_length=n_text,
    )


def build_tcm(config: TCMConfig, charset: object = None) -> TCM:
    return TCM(config)
