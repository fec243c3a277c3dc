"""DBNet's FPN neck (MhLiao/DB decoders/seg_detector.py), as a module TCM reuses.

Each level goes through a 1x1 lateral to `inner` channels, deeper levels are upsampled
(nearest) and added top-down, each sum is smoothed by a 3x3 conv to `out_per_level`
channels and upsampled to the finest level (stride 4), and the levels are concatenated,
deepest first: 4 levels x 64 = 256 channels in the published network. Convolutions have
no bias, as in the reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class FPN(nn.Module):
    def __init__(
        self, in_channels: tuple[int, ...], inner: int = 256, out_per_level: int = 64
    ) -> None:
        super().__init__()
        self.laterals = nn.ModuleList(nn.Conv2d(c, inner, 1, bias=False) for c in in_channels)
        self.smooth = nn.ModuleList(
            nn.Conv2d(inner, out_per_level, 3, padding=1, bias=False) for _ in in_channels
        )
        self.out_channels = out_per_level * len(in_channels)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, features: Sequence[Tensor]) -> Tensor:
        """`features` finest first (stride 4, 8, ...); returns the fused stride-4 map."""
        lat = [conv(f) for conv, f in zip(self.laterals, features, strict=True)]
        for i in range(len(lat) - 2, -1, -1):
            lat[i] = lat[i] + F.interpolate(lat[i + 1], size=lat[i].shape[-2:], mode="nearest")
        size = lat[0].shape[-2:]
        outs = []
        for i in range(len(lat) - 1, -1, -1):
            p = self.smooth[i](lat[i])
            outs.append(p if i == 0 else F.interpolate(p, size=size, mode="nearest"))
        return torch.cat(outs, dim=1)
