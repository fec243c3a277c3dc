"""TCM's configs, importable without open_clip (the network lives in tcm.py; its zoo entry
in detection/zoo.py imports it only when a model is built, so listing architectures stays
fast).

Full config = the reference's ICDAR 2015 model (wenwenyu/TCM,
`clip_dbnet_r50att_prompt_gen_vis_fpnc.py`): CLIP RN50 at input 640, text encoder of 18
positions (4 learnable + 14 for the class prompt), prompt decoders of width 256, 4 heads,
3 layers, FFN 1024, FPN 256 (4 x 64) over C2..C4 and C5 + matching map, DB head with
k = 50, DB loss 5 / 1 / 10 plus lambda = 1 x matching loss, tau = 0.07. The class prompt
is the paper's "text" (the reference's config spells out "the pixels of many
arbitrary-shape text instances."; set `class_prompts` to use that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ocrstudio.engine.clip_backbone import CLIP_MEAN, CLIP_STD
from ocrstudio.engine.detection.losses import DBLossConfig
from ocrstudio.engine.detection.postprocess import PostProcessConfig
from ocrstudio.engine.detection.targets import TargetConfig


@dataclass(frozen=True)
class ClipTowers:
    """A custom (small) CLIP in open_clip's terms; TCMConfig.clip_towers = None builds
    open_clip's own `clip_model` config instead."""

    embed_dim: int = 64
    vision_layers: tuple[int, int, int, int] = (1, 1, 1, 1)
    vision_width: int = 16          # ModifiedResNet stem width; C5 has 32x as many channels
    vision_head_width: int = 64
    text_width: int = 64
    text_heads: int = 2
    text_layers: int = 1
    quick_gelu: bool = True

    def open_clip_config(self) -> dict[str, Any]:
        return {"embed_dim": self.embed_dim, "quick_gelu": self.quick_gelu,
                "vision_cfg": {"layers": list(self.vision_layers), "width": self.vision_width,
                               "head_width": self.vision_head_width, "patch_size": None,
                               "image_size": 224},
                "text_cfg": {"context_length": 77, "vocab_size": 49408,
                             "width": self.text_width, "heads": self.text_heads,
                             "layers": self.text_layers}}


@dataclass(frozen=True)
class TCMConfig:
    clip_model: str = "RN50-quickgelu"   # open_clip name (OpenAI's RN50 uses QuickGELU)
    clip_towers: ClipTowers | None = None
    clip_weights: str | None = None      # local file or open_clip tag ("openai")
    allow_download: bool = False         # may open_clip fetch a tag's weights?
    image_size: int = 640                # sets the attention pool's position grid
    class_prompts: tuple[str, ...] = ("text",)
    n_context: int = 4                   # learnable context tokens
    prompt_tokens: int = 14              # tokenised class prompt length (the reference's)
    decoder_width: int = 256
    decoder_heads: int = 4
    decoder_layers: int = 3
    decoder_ffn: int = 1024
    decoder_dropout: float = 0.1
    text_context_decoder: bool = True    # the reference's post-model text refinement
    visual_gamma_init: float = 1e-3      # the reference's vis_gamma
    text_gamma_init: float = 1e-3        # the reference's gamma
    tau: float = 0.07
    fpn_inner: int = 256
    fpn_out_per_level: int = 64
    k: float = 50.0
    aux_weight: float = 1.0              # lambda of the matching-map loss
    aux_ohem_ratio: float = 3.0
    loss: DBLossConfig = field(default_factory=DBLossConfig)
    targets: TargetConfig = field(default_factory=TargetConfig)
    postprocess: PostProcessConfig = field(default_factory=PostProcessConfig)
    train_size: int = 640
    limit_side: int = 1280
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD


TCM_FULL = TCMConfig()
# CPU-sized: a ModifiedResNet of one block per stage at width 16 (C5 = 512 channels), a
# one-layer 64-wide text tower, decoders of width 64 (3 layers, 4 heads, FFN 256), FPN 64.
TCM_TINY = TCMConfig(clip_towers=ClipTowers(), image_size=256, decoder_width=64,
                     decoder_ffn=256, fpn_inner=64, fpn_out_per_level=16, train_size=256,
                     limit_side=640)

