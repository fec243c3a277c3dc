"""DBNet's probability and threshold heads and the differentiable binarization.

Each head: conv 3x3 (in -> in/4, no bias), BN, ReLU, ConvTranspose 2x2/2, BN, ReLU,
ConvTranspose 2x2/2 to one channel, sigmoid: from the stride-4 fused features to full
input resolution. The approximate binary map is B = 1 / (1 + exp(-k (P - T))), k = 50.
The heads hand back logits as well, so losses can use the numerically safe
`*_with_logits` forms (plain BCE on probabilities is refused under CUDA autocast).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _branch(in_channels: int, batch_norm: bool = True) -> nn.Sequential:
    mid = max(1, in_channels // 4)

    def norm() -> nn.Module:
        return nn.BatchNorm2d(mid) if batch_norm else nn.Identity()

    seq = nn.Sequential(
        nn.Conv2d(in_channels, mid, 3, padding=1, bias=not batch_norm),
        norm(),
        nn.ReLU(inplace=True),
        nn.ConvTranspose2d(mid, mid, 2, 2),
        norm(),
        nn.ReLU(inplace=True),
        nn.ConvTranspose2d(mid, 1, 2, 2),
    )
    for m in seq.modules():  # the reference's initialisation
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
            nn.init.kaiming_normal_(m.weight)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.constant_(m.bias, 1e-4)
    return seq


class DBHead(nn.Module):
    """Probability head, threshold head and approximate binarization."""

    def __init__(self, in_channels: int = 256, k: float = 50.0, batch_norm: bool = True) -> None:
        """`batch_norm=False`: the branches in the folded form of deployed graphs
        (PaddleOCR's), each normalisation merged into the convolution before it."""
        super().__init__()
        self.k = k
        self.prob = _branch(in_channels, batch_norm)
        self.thresh = _branch(in_channels, batch_norm)

    def forward(self, fused: Tensor, with_thresh: bool = True) -> dict[str, Tensor]:
        """ "prob" (and "prob_logits"); with `with_thresh` also "thresh", "binary" and
        "binary_logits" = k (P - T). Inference needs only P (the reference skips T)."""
        logits = self.prob(fused)
        prob = torch.sigmoid(logits)
        out = {"prob": prob, "prob_logits": logits}
        if with_thresh:
            thresh = torch.sigmoid(self.thresh(fused))
            binary_logits = self.k * (prob - thresh)
            out.update(
                thresh=thresh, binary=torch.sigmoid(binary_logits), binary_logits=binary_logits
            )
        return out
