"""PaddleOCR's PP-OCRv6 recognizer as a CTC recognizer: PP-LCNetV4, a light SVTR neck, CTC.

The network as `PP-OCRv6_rec_small.onnx` (RapidOCR's wheel) holds it, so
`engine/importers/ppocr.py` loads its weights tensor for tensor:

- backbone: the branch stem (stride 4), LCNetV4 stages whose downsampling blocks halve
  only the height (stride (2, 1)), then a 3x2 average pool: a 48-pixel-high crop becomes
  one row of W/8 time steps;
- neck (light SVTR): a 1x1 conv + BN + swish skip path beside a 1x1 conv + BN + swish
  reduction to `dims`, plus a 1x`local_kernel` depthwise conv + BN + swish on it; `depth`
  pre-norm transformer blocks (global attention, `heads` heads, MLP x`mlp_ratio` with
  swish) over the time steps, a final LayerNorm, plus the skip path;
- head: one linear layer to blank + characters (CTC, `crnn.CTCRecognizer`, whose loss it
  trains with).

The BNs stay: the deployed graph keeps them unfolded in the neck. Input: RGB (the
importer reverses the first convolution's channels; PaddleOCR feeds BGR), height 48,
aspect kept, normalised with mean = std = 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ocrstudio.core.charset import Charset
from ocrstudio.engine.lcnetv4 import BlockSpec, Stem, blocks, stage
from ocrstudio.engine.recognition.crnn import CTCRecognizer, Decoder
from ocrstudio.engine.recognition.preprocess import RecInput

# PaddleOCR's NET_CONFIG_REC["small"] rows: (kernel, in, out, stride, squeeze-excite).
SMALL_STAGES = (
    blocks([(3, 96, 96, 1, True)]),
    blocks([(3, 96, 96, 1, False), (3, 96, 96, 1, False)]),
    blocks(
        [
            (3, 96, 192, (2, 1), False),
            (3, 192, 192, 1, True),
            (3, 192, 192, 1, False),
            (3, 192, 192, 1, True),
            (3, 192, 192, 1, False),
            (3, 192, 192, 1, True),
            (3, 192, 192, 1, False),
        ]
    ),
    blocks([(3, 192, 384, (2, 1), False), (3, 384, 384, 1, True), (3, 384, 384, 1, False)]),
)
TINY_STAGES = (
    blocks([(3, 16, 16, 1, True)]),
    blocks([(3, 16, 32, (2, 1), False)]),
    blocks([(3, 32, 48, (2, 1), False)]),
)


def _rgb48() -> RecInput:
    return RecInput(
        48,
        800,
        3,
        (0.5, 0.5, 0.5),
        (0.5, 0.5, 0.5),
        keep_ratio=True,
        dynamic_width=True,
        pad="mean",
        min_width=320,
    )


@dataclass(frozen=True)
class PPOCRRecConfig:
    input: RecInput = field(default_factory=_rgb48)
    stem: tuple[int, int] = (48, 96)
    stages: tuple[tuple[BlockSpec, ...], ...] = SMALL_STAGES
    dims: int = 120
    depth: int = 2
    heads: int = 8
    mlp_ratio: float = 2.0
    local_kernel: int = 7
    decoder: Decoder = "greedy"
    beam_width: int = 10
    # The neck's BatchNorms keep PaddleOCR's statistics while fine-tuning: re-estimated on
    # a few batches of one project's crops they move every feature (a first fine-tune with
    # them training, and other padding, lost 1.8 points of words_val; with them frozen it
    # gained 1.4). A model trained from scratch learns them.
    frozen_bn: bool = True


class ConvBNSwish(nn.Sequential):
    def __init__(
        self, c_in: int, c_out: int, kernel: tuple[int, int] = (1, 1), groups: int = 1
    ) -> None:
        pad = (kernel[0] // 2, kernel[1] // 2)
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, padding=pad, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
            nn.SiLU(),
        )


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)  # softmax(q k^T / sqrt(d)) v
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    """Pre-norm transformer block (SVTR's "Global" mixer)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.SiLU(), nn.Linear(hidden, dim))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class LightSVTR(nn.Module):
    def __init__(self, c_in: int, cfg: PPOCRRecConfig) -> None:
        super().__init__()
        self.skip = ConvBNSwish(c_in, cfg.dims)  # first: the deployed graph's order
        self.reduce = ConvBNSwish(c_in, cfg.dims)
        self.local = ConvBNSwish(cfg.dims, cfg.dims, (1, cfg.local_kernel), groups=cfg.dims)
        self.blocks = nn.ModuleList(
            Block(cfg.dims, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.depth)
        )
        self.norm = nn.LayerNorm(cfg.dims, eps=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        skip = self.skip(x)
        z = self.reduce(x)
        z = z + self.local(z)
        b, c, h, w = z.shape
        t = z.flatten(2).transpose(1, 2)
        for blk in self.blocks:
            t = blk(t)
        z = self.norm(t).reshape(b, h, w, c).permute(0, 3, 1, 2)
        return z + skip


class LCNetV4Rec(nn.Module):
    """(B, 3, 48, W) -> (B, dims, 1, W / 8): backbone, pool, neck."""

    def __init__(self, cfg: PPOCRRecConfig) -> None:
        super().__init__()
        self.stem = Stem(cfg.input.channels, *cfg.stem)
        self.stages = nn.Sequential(*(stage(s) for s in cfg.stages))
        self.pool = nn.AvgPool2d((3, 2), (3, 2))
        self.neck = LightSVTR(cfg.stages[-1][-1].c_out, cfg)
        self.frozen_bn = cfg.frozen_bn

    def forward(self, x: Tensor) -> Tensor:
        return self.neck(self.pool(self.stages(self.stem(x))))

    def train(self, mode: bool = True) -> LCNetV4Rec:
        super().train(mode)
        if mode and self.frozen_bn:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()  # batch statistics neither used nor accumulated
        return self


def build_ppocr_rec(config: PPOCRRecConfig, charset: Charset) -> CTCRecognizer:
    return CTCRecognizer(config, charset, LCNetV4Rec(config), nn.Identity(), config.dims)


DEFAULT_CFGS: dict[str, dict[str, PPOCRRecConfig]] = {
    "ppocr_rec_v6": {
        "full": PPOCRRecConfig(),
        "tiny": PPOCRRecConfig(
            input=RecInput(48, 160, 3, (0.5,) * 3, (0.5,) * 3, keep_ratio=True, dynamic_width=True),
            stem=(8, 16),
            stages=TINY_STAGES,
            dims=32,
            depth=1,
            heads=2,
            frozen_bn=False,
        ),
    }
}


def example_input(config: PPOCRRecConfig) -> Tensor:
    """A batch the network accepts, for tracing its layer order on import."""
    return torch.zeros(1, config.input.channels, config.input.height, 64)
