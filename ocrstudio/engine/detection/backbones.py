"""DBNet backbones: feature maps at strides 4, 8, 16 and 32 for the FPN.

Built from torchvision parts with random initialisation (nothing is ever downloaded).
The ResNets use torchvision's own blocks and keep torchvision's parameter names
(`conv1`, `layer1.0.conv1`, ...), so ImageNet weights a user has on disk load into them;
a `width` below 1 narrows every stage for the CPU-sized `tiny` configs.

ResNet-50-DCN follows the DB reference (MhLiao/DB backbones/resnet.py): every 3x3 conv
of stages 3-5 (`layer2`..`layer4`) becomes a modulated deformable conv (DCNv2) whose
offsets and mask come from a plain 3x3 conv initialised to zero, so training starts from
an ordinary ResNet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import torch
from torch import Tensor, nn
from torchvision.models import mobilenet_v3_large
from torchvision.models.resnet import BasicBlock, Bottleneck, conv1x1
from torchvision.ops import DeformConv2d

BackboneName = Literal[
    "resnet18", "resnet50", "resnet50_dcn", "mobilenet_v3_large", "vgg16_bn_craft"
]

_RESNET_DEPTHS = {"resnet18": (2, 2, 2, 2), "resnet50": (3, 4, 6, 3), "resnet50_dcn": (3, 4, 6, 3)}
# torchvision's MobileNetV3-Large `features` indices whose outputs are at strides 4/8/16/32.
_MBV3_TAPS = (3, 6, 12, 16)


@dataclass(frozen=True)
class BackboneConfig:
    """`width` multiplies every channel count (1.0 = the published network);
    `depths` overrides a ResNet's blocks per stage (None = the published depths)."""

    name: BackboneName = "resnet18"
    width: float = 1.0
    depths: tuple[int, int, int, int] | None = None


class Trunk(Protocol):
    """What the FPN needs of a trunk: four feature maps, finest first (strides 4..32)."""

    @property
    def out_channels(self) -> tuple[int, ...]: ...

    def __call__(self, x: Tensor) -> list[Tensor]: ...


def _scaled(channels: int, width: float, multiple: int = 8) -> int:
    return max(multiple, int(round(channels * width / multiple)) * multiple)


class ModulatedDeformConv3x3(DeformConv2d):
    """3x3 DCNv2: a zero-initialised conv predicts 18 offsets + 9 mask logits per pixel.

    Subclassing DeformConv2d keeps the weight at `<name>.weight`, where a torchvision
    ResNet keeps its plain conv's weight; the offset conv lives at `<name>.offset`.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.offset = nn.Conv2d(in_channels, 27, 3, stride=stride, padding=1)
        nn.init.zeros_(self.offset.weight)
        if self.offset.bias is not None:  # it is (bias=True); the stubs say Optional
            nn.init.zeros_(self.offset.bias)

    def forward(
        self, x: Tensor, offset: Tensor | None = None, mask: Tensor | None = None
    ) -> Tensor:
        om = self.offset(x)  # (under autocast torchvision runs deform_conv2d in fp32)
        return super().forward(x, om[:, :18], om[:, 18:].sigmoid())


class ResNetTrunk(nn.Module):
    """torchvision's ResNet without pooling/fc, returning the four stage outputs."""

    def __init__(self, cfg: BackboneConfig) -> None:
        super().__init__()
        block: type[BasicBlock] | type[Bottleneck] = (
            BasicBlock if cfg.name == "resnet18" else Bottleneck
        )
        depths = cfg.depths or _RESNET_DEPTHS[cfg.name]
        widths = [_scaled(c, cfg.width) for c in (64, 128, 256, 512)]
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, self.inplanes, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        dcn = cfg.name == "resnet50_dcn"
        self.layer1 = self._stage(block, widths[0], depths[0], 1, False)
        self.layer2 = self._stage(block, widths[1], depths[1], 2, dcn)
        self.layer3 = self._stage(block, widths[2], depths[2], 2, dcn)
        self.layer4 = self._stage(block, widths[3], depths[3], 2, dcn)
        self.out_channels = tuple(w * block.expansion for w in widths)
        self._init_weights()

    def _stage(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        planes: int,
        blocks: int,
        stride: int,
        dcn: bool,
    ) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        if dcn:
            for b in layers:  # the 3x3 conv is conv2 in both block types (stride there too)
                b.conv2 = ModulatedDeformConv3x3(
                    b.conv2.in_channels, b.conv2.out_channels, b.conv2.stride[0]
                )
        return nn.Sequential(*layers)

    def _init_weights(self) -> None:
        # torchvision's ResNet initialisation; the DCN offset convs stay at zero.
        for name, m in self.named_modules():
            if isinstance(m, nn.Conv2d | DeformConv2d) and not name.endswith(".offset"):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> list[Tensor]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        c2 = self.layer1(x)
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        return [c2, c3, c4, self.layer4(c4)]


class MobileNetV3Trunk(nn.Module):
    """torchvision's MobileNetV3-Large `features`, tapped at strides 4, 8, 16 and 32."""

    def __init__(self, cfg: BackboneConfig) -> None:
        super().__init__()
        self.features = mobilenet_v3_large(weights=None, width_mult=cfg.width).features
        self.out_channels = tuple(int(self.features[i].out_channels) for i in _MBV3_TAPS)

    def forward(self, x: Tensor) -> list[Tensor]:
        outs = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in _MBV3_TAPS:
                outs.append(x)
        return outs


def build_backbone(cfg: BackboneConfig) -> Trunk:
    """The trunk for `cfg`; every trunk has `out_channels` (4 ints, strides 4..32)."""
    if cfg.name in _RESNET_DEPTHS:
        return ResNetTrunk(cfg)
    if cfg.name == "mobilenet_v3_large":
        return MobileNetV3Trunk(cfg)
    if cfg.name == "vgg16_bn_craft":
        from ocrstudio.engine.detection.craft_vgg import CraftVGGTrunk

        return CraftVGGTrunk(cfg.width)
    raise ValueError(f"unknown backbone {cfg.name!r}")


def feature_strides(backbone: nn.Module, size: int = 64) -> list[int]:
    """Measured strides of a trunk's outputs (used by tests and sanity checks)."""
    with torch.no_grad():
        was = backbone.training
        backbone.eval()
        feats = backbone(torch.zeros(1, 3, size, size))
        backbone.train(was)
    return [size // f.shape[-1] for f in feats]
