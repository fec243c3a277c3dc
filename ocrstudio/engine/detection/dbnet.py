"""DBNet (Liao et al., AAAI 2020): backbone + FPN + probability/threshold heads, its loss,
and its configs (one architecture per trunk in `DEFAULT_CFGS`).

The config also carries the settings that belong with a trained model (target and
post-processing parameters, input sizes), so a checkpoint's JSON describes all of it;
the numpy side (`targets.make_targets`, `postprocess.boxes_from_prob`) sits beside this.

Loss, as the reference code computes it (MhLiao/DB `L1BalanceCELoss`): 5 x balanced BCE
with OHEM (3 negatives per positive) on the probability map P + 1 x dice on the
approximate binary map B + 10 x masked L1 on the threshold map T. The paper (eq. 6)
writes L = Ls + alpha Lb + beta Lt with BCE for both P and B, alpha = 1, beta = 10:
`DBLossConfig.paper()` gives that. Targets are the maps of `targets.py` as (N, H, W)
tensors: "shrink_map", "shrink_mask", "thresh_map", "thresh_mask". Everything is
computed in float32, whatever autocast does. TCM and PP-OCRv6's detector end in the same
head and use the same loss.

Full configs follow the DB paper and reference code: FPN 256 (4 x 64), k = 50, 640 x 640
training crops; inference limits the long side to 1280, which turns an ICDAR 2015 photo
(1280 x 720) into 1280 x 736, the reference's test size for that set. Tiny configs
narrow the backbone (and the FPN to 64) so tests can train them on a CPU.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ocrstudio.engine.detection.backbones import BackboneConfig, build_backbone
from ocrstudio.engine.detection.fpn import FPN
from ocrstudio.engine.detection.head import DBHead
from ocrstudio.engine.detection.postprocess import PostProcessConfig
from ocrstudio.engine.detection.targets import TargetConfig

__all__ = [
    "DEFAULT_CFGS",
    "DBLossConfig",
    "DBNet",
    "DBNetConfig",
    "balanced_bce",
    "build_dbnet",
    "db_loss",
    "dice_loss",
    "masked_l1",
]


@dataclass(frozen=True)
class DBLossConfig:
    prob_weight: float = 5.0  # BCE (OHEM) on P
    binary_weight: float = 1.0  # dice (reference) or BCE (paper) on B
    thresh_weight: float = 10.0  # masked L1 on T
    binary_loss: Literal["dice", "bce"] = "dice"
    ohem_ratio: float = 3.0
    eps: float = 1e-6

    @classmethod
    def paper(cls) -> DBLossConfig:
        """The paper's L = Ls + 1 x Lb + 10 x Lt, BCE with OHEM for both P and B."""
        return cls(prob_weight=1.0, binary_weight=1.0, thresh_weight=10.0, binary_loss="bce")


@dataclass(frozen=True)
class DBNetConfig:
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    fpn_inner: int = 256
    fpn_out_per_level: int = 64
    k: float = 50.0
    loss: DBLossConfig = field(default_factory=DBLossConfig)
    targets: TargetConfig = field(default_factory=TargetConfig)
    postprocess: PostProcessConfig = field(default_factory=PostProcessConfig)
    train_size: int = 640  # square training crops
    limit_side: int = 1280  # inference: longest side at most this (a multiple of 32)


def _configs(backbone: BackboneConfig, tiny: BackboneConfig) -> dict[str, DBNetConfig]:
    return {
        "full": DBNetConfig(backbone=backbone),
        "tiny": DBNetConfig(
            backbone=tiny, fpn_inner=64, fpn_out_per_level=16, train_size=128, limit_side=640
        ),
    }


DEFAULT_CFGS: dict[str, dict[str, DBNetConfig]] = {
    "dbnet_resnet18": _configs(BackboneConfig("resnet18"), BackboneConfig("resnet18", width=0.25)),
    "dbnet_resnet50": _configs(
        BackboneConfig("resnet50"), BackboneConfig("resnet50", width=0.25, depths=(1, 1, 1, 1))
    ),
    "dbnet_resnet50_dcn": _configs(
        BackboneConfig("resnet50_dcn"),
        BackboneConfig("resnet50_dcn", width=0.25, depths=(1, 1, 1, 1)),
    ),
    "dbnet_mobilenet_v3": _configs(
        BackboneConfig("mobilenet_v3_large"), BackboneConfig("mobilenet_v3_large", width=0.5)
    ),
    "dbnet_vgg16_craft": _configs(
        BackboneConfig("vgg16_bn_craft"), BackboneConfig("vgg16_bn_craft", width=0.125)
    ),
}


# -- the loss ---------------------------------------------------------------------------


def balanced_bce(
    logits: Tensor, gt: Tensor, mask: Tensor, ratio: float = 3.0, eps: float = 1e-6
) -> Tensor:
    """BCE over all positives and the hardest `ratio` x as many negatives (whole batch)."""
    loss = F.binary_cross_entropy_with_logits(logits, gt, reduction="none")
    positive = gt * mask
    negative = (1.0 - gt) * mask
    n_pos = int(positive.sum().item())
    n_neg = min(int(negative.sum().item()), int(n_pos * ratio))
    neg_loss = torch.topk((loss * negative).flatten(), n_neg).values.sum()
    return ((loss * positive).sum() + neg_loss) / (n_pos + n_neg + eps)


def dice_loss(pred: Tensor, gt: Tensor, mask: Tensor, eps: float = 1e-6) -> Tensor:
    inter = (pred * gt * mask).sum()
    union = (pred * mask).sum() + (gt * mask).sum() + eps
    return 1.0 - 2.0 * inter / union


def masked_l1(pred: Tensor, gt: Tensor, mask: Tensor, eps: float = 1e-6) -> Tensor:
    return ((pred - gt).abs() * mask).sum() / (mask.sum() + eps)


def db_loss(
    out: Mapping[str, Tensor], targets: Mapping[str, Tensor], c: DBLossConfig = DBLossConfig()
) -> dict[str, Tensor]:
    """ "loss" and its parts from DB's head outputs and the target maps."""
    gt = targets["shrink_map"].float()
    mask = targets["shrink_mask"].float()
    prob_logits = out["prob_logits"][:, 0].float()
    loss_prob = balanced_bce(prob_logits, gt, mask, c.ohem_ratio, c.eps)
    if c.binary_loss == "dice":
        loss_binary = dice_loss(out["binary"][:, 0].float(), gt, mask, c.eps)
    else:
        loss_binary = balanced_bce(
            out["binary_logits"][:, 0].float(), gt, mask, c.ohem_ratio, c.eps
        )
    loss_thresh = masked_l1(
        out["thresh"][:, 0].float(),
        targets["thresh_map"].float(),
        targets["thresh_mask"].float(),
        c.eps,
    )
    total = (
        c.prob_weight * loss_prob + c.binary_weight * loss_binary + c.thresh_weight * loss_thresh
    )
    return {
        "loss": total,
        "loss_prob": loss_prob,
        "loss_binary": loss_binary,
        "loss_thresh": loss_thresh,
    }


# -- the network ------------------------------------------------------------------------


class DBDetector(nn.Module):
    """A backbone, a neck and DB's head, trained with DB's loss: what DBNet and PP-OCR's
    detector share (a `detection.protocol.Detector`); subclasses build the three parts
    and keep their config (with its `loss`) as `config`."""

    config: Any
    backbone: Any  # a detection.backbones Trunk, or PP-LCNetV4's
    neck: nn.Module
    head: nn.Module

    def forward(
        self, images: Tensor, targets: Mapping[str, Tensor] | None = None
    ) -> dict[str, Tensor]:
        """images: (N, 3, H, W) normalised, H and W multiples of 32.

        Returns "prob" (N, 1, H, W); in training mode or with targets also "thresh" and
        "binary" (and their logits); with targets also "loss", "loss_prob",
        "loss_binary" and "loss_thresh".
        """
        fused = self.neck(self.backbone(images))
        out: dict[str, Tensor] = self.head(fused, with_thresh=self.training or targets is not None)
        if targets is not None:
            out.update(self.compute_loss(out, targets))
        return out

    def compute_loss(
        self, out: Mapping[str, Tensor], targets: Mapping[str, Tensor]
    ) -> dict[str, Tensor]:
        return db_loss(out, targets, self.config.loss)


class DBNet(DBDetector):
    """DBNet (Liao et al. 2020): a torchvision or own backbone, an FPN, DB's head."""

    def __init__(self, config: DBNetConfig = DBNetConfig()) -> None:
        super().__init__()
        self.config = config
        backbone = build_backbone(config.backbone)
        neck = FPN(backbone.out_channels, config.fpn_inner, config.fpn_out_per_level)
        self.backbone, self.neck = backbone, neck
        self.head = DBHead(neck.out_channels, config.k)


def build_dbnet(config: DBNetConfig, charset: object = None) -> DBNet:
    return DBNet(config)
