"""PaddleOCR's PP-OCRv6 detector as a DBNet: PP-LCNetV4 backbone, RepLKFPN neck, DB head.

The network as its deployed ONNX graph shows it (`PP-OCRv6_det_small.onnx` in RapidOCR's
wheel), in the folded form (see `engine/lcnetv4.py`), so `engine/importers/ppocr.py` can load
those weights one tensor for one tensor:

- backbone: stride-4 stem, four stages of LCNetV4 blocks; outputs at strides 4..32;
- neck (RepLKFPN): per level a 1x1 conv to `neck_out` with a residual squeeze-excite;
  top-down sums with nearest upsampling; per level a k x k depthwise conv (the merged
  dilated branches of UniRepLKNet's block), a 1x1 conv to `neck_out / 4` and a residual
  squeeze-excite; everything upsampled to stride 4 and concatenated (`neck_out` channels);
- head: DB's probability branch (3x3 conv, two 2x2 transposed convs back to full size).
  The deployed graph drops the threshold branch; it is built here too, same shape, so
  training has DB's full loss (P, B = sigmoid(k (P - T)) and T).

Input: RGB scaled to [0, 1], normalised with mean = std = 0.5 (PaddleOCR's det config for
v6); sides multiples of 32. The importer reverses the first convolution's input channels,
since PaddleOCR feeds BGR. Loss: DBNet's (`dbnet.db_loss`), on the full head.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ocrstudio.engine.detection.dbnet import DBDetector, DBLossConfig
from ocrstudio.engine.detection.head import DBHead
from ocrstudio.engine.detection.postprocess import PostProcessConfig
from ocrstudio.engine.detection.targets import TargetConfig
from ocrstudio.engine.lcnetv4 import BlockSpec, SqueezeExcite, Stem, blocks, stage

# PaddleOCR's NET_CONFIG_DET["small"] rows: (kernel, in, out, stride, squeeze-excite).
SMALL_STAGES = (
    blocks([(3, 48, 48, 1, True), (3, 48, 48, 1, False)]),
    blocks([(3, 48, 96, 2, False), (3, 96, 96, 1, True), (3, 96, 96, 1, False)]),
    blocks(
        [
            (3, 96, 192, 2, False),
            (3, 192, 192, 1, True),
            (3, 192, 192, 1, False),
            (3, 192, 192, 1, True),
            (3, 192, 192, 1, False),
        ]
    ),
    blocks([(3, 192, 384, 2, False), (3, 384, 384, 1, True), (3, 384, 384, 1, False)]),
)
TINY_STAGES = (
    blocks([(3, 16, 16, 1, True)]),
    blocks([(3, 16, 24, 2, False)]),
    blocks([(3, 24, 32, 2, False), (3, 32, 32, 1, True)]),
    blocks([(3, 32, 48, 2, False)]),
)


@dataclass(frozen=True)
class PPOCRDetConfig:
    stem: tuple[int, int] = (24, 48)  # (mid, out) channels
    stages: tuple[tuple[BlockSpec, ...], ...] = SMALL_STAGES
    neck_out: int = 96
    neck_kernel: int = 7
    k: float = 50.0
    loss: DBLossConfig = field(default_factory=DBLossConfig)
    targets: TargetConfig = field(default_factory=TargetConfig)
    # PaddleOCR's v6 inference settings (thresh 0.3, box 0.5, unclip 1.6); `shipped`
    # tunes them on validation for a fine-tuned model.
    postprocess: PostProcessConfig = field(
        default_factory=lambda: PostProcessConfig(thresh=0.3, box_thresh=0.5, unclip_ratio=1.6)
    )
    train_size: int = 640
    limit_side: int = 1280
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)


class LCNetV4Backbone(nn.Module):
    def __init__(self, config: PPOCRDetConfig) -> None:
        super().__init__()
        self.stem = Stem(3, *config.stem)
        self.stages = nn.ModuleList(stage(s) for s in config.stages)
        self.out_channels = [s[-1].c_out for s in config.stages]

    def forward(self, x: Tensor) -> list[Tensor]:
        x = self.stem(x)
        outs = []
        for s in self.stages:
            x = s(x)
            outs.append(x)
        return outs


class _ResidualSE(nn.Module):
    """x + squeeze-excite(x), with Paddle's hard sigmoid (slope 0.2)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.se = SqueezeExcite(channels, slope=0.2)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.se(x)


class RepLKFPN(nn.Module):
    def __init__(self, in_channels: list[int], out: int, kernel: int) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c, out, 1, bias=False), _ResidualSE(out)) for c in in_channels
        )
        self.smooth = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(out, out, kernel, padding=kernel // 2, groups=out),
                nn.Conv2d(out, out // 4, 1, bias=False),
                _ResidualSE(out // 4),
            )
            for _ in in_channels
        )
        self.out_channels = out

    def forward(self, feats: list[Tensor]) -> Tensor:
        # The deployed graph's order: deepest lateral first, top-down sums, then smoothing
        # from the deepest level (the importer matches tensors in this order).
        lat = [self.lateral[i](feats[i]) for i in reversed(range(len(feats)))][::-1]
        merged = [lat[-1]]
        for x in reversed(lat[:-1]):
            merged.append(x + F.interpolate(merged[-1], scale_factor=2.0, mode="nearest"))
        merged = merged[::-1]  # strides 4, 8, 16, 32
        smoothed = [self.smooth[i](merged[i]) for i in reversed(range(len(merged)))][::-1]
        up = [
            F.interpolate(p, scale_factor=float(2**i), mode="nearest") if i else p
            for i, p in enumerate(smoothed)
        ]
        return torch.cat(up[::-1], dim=1)


class PPOCRDet(DBDetector):
    """PP-OCRv6's detector: PP-LCNetV4, RepLKFPN, DB's head without BatchNorm."""

    def __init__(self, config: PPOCRDetConfig = PPOCRDetConfig()) -> None:
        super().__init__()
        self.config = config
        self.backbone = LCNetV4Backbone(config)
        self.neck = RepLKFPN(self.backbone.out_channels, config.neck_out, config.neck_kernel)
        self.head = DBHead(config.neck_out, config.k, batch_norm=False)


def build_ppocr_det(config: PPOCRDetConfig, charset: object = None) -> PPOCRDet:
    return PPOCRDet(config)


DEFAULT_CFGS: dict[str, dict[str, PPOCRDetConfig]] = {
    "ppocr_det_v6": {
        "full": PPOCRDetConfig(),
        "tiny": PPOCRDetConfig(
            stem=(8, 16),
            stages=TINY_STAGES,
            neck_out=32,
            neck_kernel=5,
            train_size=128,
            limit_side=640,
        ),
    }
}
