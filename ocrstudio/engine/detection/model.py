"""DBNet (Liao et al., AAAI 2020): backbone + FPN + probability/threshold heads.

The network only; targets, loss and post-processing live in their own modules. The
config also carries the settings that belong with a trained model (target and
post-processing parameters, input sizes), so a checkpoint's JSON describes all of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from torch import Tensor, nn

from ocrstudio.engine.detection.backbones import BackboneConfig, build_backbone
from ocrstudio.engine.detection.fpn import FPN
from ocrstudio.engine.detection.head import DBHead
from ocrstudio.engine.detection.losses import DBLoss, DBLossConfig
from ocrstudio.engine.detection.postprocess import PostProcessConfig
from ocrstudio.engine.detection.targets import TargetConfig


@dataclass(frozen=True)
class DBNetConfig:
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    fpn_inner: int = 256
    fpn_out_per_level: int = 64
    k: float = 50.0
    loss: DBLossConfig = field(default_factory=DBLossConfig)
    targets: TargetConfig = field(default_factory=TargetConfig)
    postprocess: PostProcessConfig = field(default_factory=PostProcessConfig)
    train_size: int = 640    # square training crops
    limit_side: int = 1280   # inference: longest side at most this (a multiple of 32)


class DBNet(nn.Module):
    def __init__(self, config: DBNetConfig = DBNetConfig()) -> None:
        super().__init__()
        self.config = config
        self.backbone = build_backbone(config.backbone)
        self.neck = FPN(tuple(self.backbone.out_channels), config.fpn_inner,
                        config.fpn_out_per_level)
        self.head = DBHead(self.neck.out_channels, config.k)
        self.criterion = DBLoss(config.loss)

    def forward(self, images: Tensor, targets: Mapping[str, Tensor] | None = None
                ) -> dict[str, Tensor]:
        """images: (N, 3, H, W) normalised, H and W multiples of 32.

        Returns "prob" (N, 1, H, W); in training mode or with targets also "thresh" and
        "binary" (and their logits); with targets also "loss", "loss_prob",
        "loss_binary" and "loss_thresh".
        """
        fused = self.neck(self.backbone(images))
        out = self.head(fused, with_thresh=self.training or targets is not None)
        if targets is not None:
            out.update(self.criterion(out, targets))
        return out
