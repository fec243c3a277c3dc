"""DBNet's loss, as the reference code computes it, with the paper's variant selectable.

Reference (MhLiao/DB `L1BalanceCELoss`): 5 x balanced BCE with OHEM (3 negatives per
positive) on the probability map P + 1 x dice on the approximate binary map B +
10 x masked L1 on the threshold map T. The paper (Liao et al. 2020, eq. 6) writes
L = Ls + alpha Lb + beta Lt with BCE for both P and B, alpha = 1, beta = 10:
`DBLossConfig.paper()` gives that.

Targets are the maps of `targets.py` as (N, H, W) tensors: "shrink_map", "shrink_mask",
"thresh_map", "thresh_mask". Everything is computed in float32, whatever autocast does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True)
class DBLossConfig:
    prob_weight: float = 5.0     # BCE (OHEM) on P
    binary_weight: float = 1.0   # dice (reference) or BCE (paper) on B
    thresh_weight: float = 10.0  # masked L1 on T
    binary_loss: Literal["dice", "bce"] = "dice"
    ohem_ratio: float = 3.0
    eps: float = 1e-6

    @classmethod
    def paper(cls) -> DBLossConfig:
        """The paper's L = Ls + 1 x Lb + 10 x Lt, BCE with OHEM for both P and B."""
        return cls(prob_weight=1.0, binary_weight=1.0, thresh_weight=10.0, binary_loss="bce")


def balanced_bce(logits: Tensor, gt: Tensor, mask: Tensor, ratio: float = 3.0,
                 eps: float = 1e-6) -> Tensor:
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


class DBLoss(nn.Module):
    """Takes the head's outputs and the target maps; returns "loss" and its parts."""

    def __init__(self, config: DBLossConfig = DBLossConfig()) -> None:
        super().__init__()
        self.config = config

    def forward(self, out: Mapping[str, Tensor], targets: Mapping[str, Tensor]
                ) -> dict[str, Tensor]:
        c = self.config
        gt = targets["shrink_map"].float()
        mask = targets["shrink_mask"].float()
        prob_logits = out["prob_logits"][:, 0].float()
        loss_prob = balanced_bce(prob_logits, gt, mask, c.ohem_ratio, c.eps)
        if c.binary_loss == "dice":
            loss_binary = dice_loss(out["binary"][:, 0].float(), gt, mask, c.eps)
        else:
            loss_binary = balanced_bce(out["binary_logits"][:, 0].float(), gt, mask,
                                       c.ohem_ratio, c.eps)
        loss_thresh = masked_l1(out["thresh"][:, 0].float(), targets["thresh_map"].float(),
                                targets["thresh_mask"].float(), c.eps)
        total = (c.prob_weight * loss_prob + c.binary_weight * loss_binary
                 + c.thresh_weight * loss_thresh)
        return {"loss": total, "loss_prob": loss_prob, "loss_binary": loss_binary,
                "loss_thresh": loss_thresh}
