"""PP-LCNetV4, the backbone of PaddleOCR's PP-OCRv6 detector and recognizer, in the
re-parameterised form its inference graphs hold.

PaddleOCR trains each block with parallel branches (a 3x3 and a 1x1 depthwise
convolution plus an identity, each with batch norm) and folds them into one convolution
with a bias for deployment. The ONNX files ship only that folded form, so that is the form
here: every convolution carries a bias and there is no batch norm. Fine-tuning the folded
form is the same function with fewer, equivalent parameters.

Shapes (the stem has stride 4; a stage's first block may downsample):
- stem: 3x3/2 conv -> ReLU, then a 2x2 "same" conv pair beside a 2x2/1 max pool,
  concatenated, 3x3/2 conv -> ReLU, 1x1 conv -> ReLU;
- block: depthwise k x k conv (stride s) [-> squeeze-excite], 1x1 expand x2 -> GELU,
  1x1 compress, plus the input when the shape is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Stride = int | tuple[int, int]


@dataclass(frozen=True)
class BlockSpec:
    """One LCNetV4 block: kernel, in and out channels, stride, squeeze-excite."""

    kernel: int
    c_in: int
    c_out: int
    stride: Stride = 1
    se: bool = False


class SqueezeExcite(nn.Module):
    """Global mean -> 1x1 (c/4) -> ReLU -> 1x1 (c) -> hard sigmoid -> scale the input.

    `slope` is the hard sigmoid's: 1/6 in the backbone (torch's `hardsigmoid`), 0.2 in
    PaddleOCR's FPN necks (Paddle's own `hard_sigmoid`); both cross 0.5 at zero.
    """

    def __init__(self, channels: int, reduction: int = 4, slope: float = 1 / 6) -> None:
        super().__init__()
        self.slope = slope
        self.conv1 = nn.Conv2d(channels, channels // reduction, 1)
        self.conv2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        s = self.conv2(F.relu(self.conv1(x.mean(dim=(2, 3), keepdim=True))))
        return x * torch.clamp(s * self.slope + 0.5, 0.0, 1.0)


class SamePad2x2(nn.Module):
    """Paddle's "SAME" padding for a 2x2 window at stride 1: one row and column, at the
    bottom and right only (torch's symmetric padding cannot express it)."""

    def __init__(self, value: float = 0.0) -> None:
        super().__init__()
        self.value = value

    def forward(self, x: Tensor) -> Tensor:
        return F.pad(x, (0, 1, 0, 1), value=self.value)


class Stem(nn.Module):
    """The branch stem (stride 4): see the module docstring."""

    def __init__(self, c_in: int, mid: int, out: int) -> None:
        super().__init__()
        self.stem1 = nn.Conv2d(c_in, mid, 3, 2, 1)
        self.stem2a = nn.Sequential(SamePad2x2(), nn.Conv2d(mid, mid // 2, 2))
        self.stem2b = nn.Sequential(SamePad2x2(), nn.Conv2d(mid // 2, mid, 2))
        # ReLU outputs are >= 0, so -inf padding is what the max pool ignores.
        self.pool = nn.Sequential(SamePad2x2(float("-inf")), nn.MaxPool2d(2, 1))
        self.stem3 = nn.Conv2d(2 * mid, mid, 3, 2, 1)
        self.stem4 = nn.Conv2d(mid, out, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.stem1(x))
        branch = F.relu(self.stem2b(F.relu(self.stem2a(x))))
        x = torch.cat([self.pool(x), branch], dim=1)
        return F.relu(self.stem4(F.relu(self.stem3(x))))


class LCNetV4Block(nn.Module):
    """Token mixer (depthwise conv, optional squeeze-excite) and channel mixer."""

    def __init__(self, spec: BlockSpec, expand: int = 2) -> None:
        super().__init__()
        c, k = spec.c_in, spec.kernel
        self.residual = spec.stride == 1 and spec.c_in == spec.c_out
        self.dw = nn.Conv2d(c, c, k, spec.stride, k // 2, groups=c)
        self.se = SqueezeExcite(c) if spec.se else nn.Identity()
        self.expand = nn.Conv2d(c, c * expand, 1)
        self.compress = nn.Conv2d(c * expand, spec.c_out, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self.se(self.dw(x))
        y = self.compress(F.gelu(self.expand(x)))
        return x + y if self.residual else y


def stage(blocks: Sequence[BlockSpec]) -> nn.Sequential:
    return nn.Sequential(*(LCNetV4Block(b) for b in blocks))


def blocks(rows: Sequence[tuple[int, int, int, Stride, bool]]) -> tuple[BlockSpec, ...]:
    """BlockSpecs from PaddleOCR's config rows (kernel, in, out, stride, se)."""
    return tuple(BlockSpec(*row) for row in rows)
