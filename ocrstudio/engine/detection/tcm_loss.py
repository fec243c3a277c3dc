"""TCM's training loss: DBNet's loss plus lambda x the instance-language matching loss.

The matching loss follows the reference's `IdentityHead`: the matching logits (cos / tau,
stride 32) are upsampled bilinearly to the target maps' size and scored against the
shrunk text mask with DBNet's balanced BCE (all positives, the hardest 3x as many
negatives, ignored regions masked out). lambda = 1 in the paper.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch.nn.functional as F
from torch import Tensor, nn

from ocrstudio.engine.detection.losses import DBLoss, DBLossConfig, balanced_bce


def matching_loss(match_logits: Tensor, targets: Mapping[str, Tensor],
                  ohem_ratio: float = 3.0) -> Tensor:
    """Balanced BCE of every class channel of (N, K, h, w) logits vs the text mask."""
    gt = (targets["shrink_map"].float() > 0.5).float()
    mask = targets["shrink_mask"].float()
    logits = F.interpolate(match_logits.float(), size=gt.shape[-2:], mode="bilinear",
                           align_corners=False)
    losses = [balanced_bce(logits[:, i], gt, mask, ohem_ratio) for i in range(logits.shape[1])]
    return sum(losses[1:], losses[0]) / len(losses)


class TCMLoss(nn.Module):
    """"loss" = DB loss + aux_weight x "loss_match", with DB's parts alongside."""

    def __init__(self, db: DBLossConfig = DBLossConfig(), aux_weight: float = 1.0,
                 ohem_ratio: float = 3.0) -> None:
        super().__init__()
        self.db = DBLoss(db)
        self.aux_weight = aux_weight
        self.ohem_ratio = ohem_ratio

    def forward(self, out: Mapping[str, Tensor], targets: Mapping[str, Tensor]
                ) -> dict[str, Tensor]:
        parts = self.db(out, targets)
        loss_match = matching_loss(out["match"], targets, self.ohem_ratio)
        parts["loss_db"] = parts["loss"]
        parts["loss_match"] = loss_match
        parts["loss"] = parts["loss"] + self.aux_weight * loss_match
        return parts
