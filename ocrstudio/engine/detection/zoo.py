"""Detector architectures with their published ("full") and CPU-sized ("tiny") configs.

Joined with the recognizers in `engine/zoo.py` (which imports this module only when its
ARCHITECTURES are first used, so importing ArchSpec from there is not circular).

Full configs follow the DB paper and reference code: FPN 256 (4 x 64), k = 50, 640 x 640
training crops; inference limits the long side to 1280, which turns an ICDAR 2015 photo
(1280 x 720) into 1280 x 736, the reference's test size for that set. Tiny configs
narrow the backbone (and the FPN to 64) so tests can train them on a CPU.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from torch import nn

from ocrstudio.engine.detection.backbones import BackboneConfig
from ocrstudio.engine.detection.model import DBNet, DBNetConfig
from ocrstudio.engine.detection.tcm_config import TCM_SPEC
from ocrstudio.engine.zoo import ArchSpec

# ImageNet statistics: what the torchvision trunks (and CRAFT's VGG) were trained with.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_INPUT = "640x640 RGB (train); long side <= 1280, sides x32 (inference)"


def build_dbnet(config: DBNetConfig, charset: Any = None) -> nn.Module:
    return DBNet(config)


def _tiny(backbone: BackboneConfig) -> DBNetConfig:
    return DBNetConfig(backbone=backbone, fpn_inner=64, fpn_out_per_level=16, train_size=128,
                       limit_side=640)


def _dbnet(name: str, summary: str, backbone: str, tiny: BackboneConfig) -> ArchSpec:
    return ArchSpec(name=name, role="detector", summary=summary,
                    configs={"full": DBNetConfig(backbone=BackboneConfig(backbone)),
                             "tiny": _tiny(tiny)},
                    build=build_dbnet, input_size=_INPUT)


DETECTORS: dict[str, ArchSpec] = {
    "dbnet_resnet18": _dbnet(
        "dbnet_resnet18", "DBNet (Liao et al. 2020): ResNet-18 + FPN + DB head, k=50",
        "resnet18", BackboneConfig("resnet18", width=0.25)),
    "dbnet_resnet50": _dbnet(
        "dbnet_resnet50", "DBNet: ResNet-50 + FPN + DB head", "resnet50",
        BackboneConfig("resnet50", width=0.25, depths=(1, 1, 1, 1))),
    "dbnet_resnet50_dcn": _dbnet(
        "dbnet_resnet50_dcn", "DBNet: ResNet-50 with modulated deformable conv in stages 3-5",
        "resnet50_dcn", BackboneConfig("resnet50_dcn", width=0.25, depths=(1, 1, 1, 1))),
    "dbnet_mobilenet_v3": _dbnet(
        "dbnet_mobilenet_v3", "DBNet: MobileNetV3-Large + FPN + DB head, for fast CPU use",
        "mobilenet_v3_large", BackboneConfig("mobilenet_v3_large", width=0.5)),
    "dbnet_vgg16_craft": _dbnet(
        "dbnet_vgg16_craft", "DBNet on CRAFT's VGG16-BN trunk (can start from craft_mlt_25k)",
        "vgg16_bn_craft", BackboneConfig("vgg16_bn_craft", width=0.125)),
    "tcm_resnet50": TCM_SPEC,
}


def detector_meta(architecture: str, config: DBNetConfig | Any, *,
                  lineage: dict[str, Any] | None = None,
                  metrics: dict[str, Any] | None = None,
                  name: str | None = None) -> dict[str, Any]:
    """Checkpoint metadata for a detector (what `DetectionPredictor` and
    `engine.zoo.load_model` read back)."""
    return {
        "architecture": architecture,
        "name": name or architecture,
        "role": "detector",
        "config": asdict(config),
        "normalization": {"mean": list(getattr(config, "mean", IMAGENET_MEAN)),
                          "std": list(getattr(config, "std", IMAGENET_STD)),
                          "scale": 255.0, "channels": "RGB"},  # TCM: CLIP's mean/std
        "input": {"train_size": getattr(config, "train_size", 640),
                  "limit_side": getattr(config, "limit_side", 1280), "multiple": 32},
        "lineage": lineage or {},
        "metrics": metrics or {},
    }
