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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ocrstudio.engine.clip_backbone import create_clip
from ocrstudio.engine.detection.fpn import FPN
from ocrstudio.engine.detection.head import DBHead
from ocrstudio.engine.detection.tcm_config import TCMConfig
from ocrstudio.engine.detection.tcm_loss import TCMLoss
from ocrstudio.engine.detection.tcm_modules import (
    DenseAttentionPool2d,
    LanguagePromptGenerator,
    PromptDecoder,
    PromptedTextEncoder,
)


class TCM(nn.Module):
    def __init__(self, config: TCMConfig = TCMConfig(),
                 clip_weights: str | Path | None = None) -> None:
        super().__init__()
        c = config
        source = clip_weights if clip_weights is not None else c.clip_weights
        clip = _make_clip(c, source)
        # Once built, the CLIP weights live in this module's state dict: the config a
        # checkpoint records must not send a later load back to the (maybe absent) file.
        self.config = replace(c, clip_weights=None, allow_download=False)
        self.clip_source = None if source is None else str(source)
        visual = clip.visual
        visual.attnpool = DenseAttentionPool2d.from_pool(visual.attnpool)
        self.visual = visual
        self.text_encoder = PromptedTextEncoder(clip, c.class_prompts, c.n_context,
                                                c.prompt_tokens)
        dim = visual.output_dim
        self.prompt_generator = LanguagePromptGenerator(dim, self.text_encoder.token_dim)
        dec = {"width": c.decoder_width, "heads": c.decoder_heads, "layers": c.decoder_layers,
               "ffn": c.decoder_ffn, "dropout": c.decoder_dropout}
        self.visual_prompt = PromptDecoder(dim, **dec)
        self.vis_gamma = nn.Parameter(torch.full((), c.visual_gamma_init))
        self.text_decoder = PromptDecoder(dim, **dec) if c.text_context_decoder else None
        self.text_gamma = (nn.Parameter(torch.full((dim,), c.text_gamma_init))
                           if c.text_context_decoder else None)
        width = visual.layer1[0].conv1.in_channels  # the stem width (64 for RN50)
        stages = tuple(width * 4 * 2 ** i for i in range(4))
        n_cls = len(c.class_prompts)
        self.neck = FPN(stages[:3] + (stages[3] + n_cls,), c.fpn_inner, c.fpn_out_per_level)
        self.head = DBHead(self.neck.out_channels, c.k)
        self.criterion = TCMLoss(c.loss, c.aux_weight, c.aux_ohem_ratio)

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
        if self.text_decoder is not None:
            context = torch.cat([global_feat[:, None], pixels], dim=1)
            text = text + self.text_gamma * self.text_decoder(text, context)
        cos = torch.einsum("bnd,bkd->bkn", F.normalize(prompted, dim=-1),
                           F.normalize(text, dim=-1))
        return text, cos.reshape(b, -1, h, w)

    def forward(self, images: Tensor, targets: Mapping[str, Tensor] | None = None
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
            out.update(self.criterion(out, targets))
        return out

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
    return create_clip(name, weights, allow_download=c.allow_download,
                       model_cfg=towers, image_size=c.image_size, context_length=n_text)
