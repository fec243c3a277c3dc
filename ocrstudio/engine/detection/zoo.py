"""Detector architectures with their published ("full") and CPU-sized ("tiny") configs.

Joined with the recognizers in `engine/zoo.py`. Each architecture's configs are its
module's `DEFAULT_CFGS` (`dbnet`, `tcm`, `ppocr_det`). TCM's network needs open_clip,
which its module imports only when a network is built: listing architectures stays fast.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict
from typing import Any

from ocrstudio.engine.card import InputSize, ModelCard, Normalization
from ocrstudio.engine.detection import dbnet, ppocr_det, tcm
from ocrstudio.engine.detection.dbnet import DBNetConfig, build_dbnet
from ocrstudio.engine.detection.ppocr_det import build_ppocr_det
from ocrstudio.engine.detection.tcm import build_tcm
from ocrstudio.engine.spec import IMAGENET_MEAN, IMAGENET_STD, ArchSpec, FineTune, Recipe

__all__ = [
    "DETECTORS",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "build_dbnet",
    "build_tcm",
    "detector_card",
]

_INPUT = "640x640 RGB (train); long side <= 1280, sides x32 (inference)"
# The DB paper's (and TCM's): SGD, momentum 0.9, weight decay 1e-4, lr 0.007, poly decay.
DB_RECIPE = Recipe(optimizer="sgd", lr=0.007, weight_decay=1e-4, schedule="poly")
# Fine-tuning a trained detector on a person's photos: small AdamW steps on crops cut
# around their words, BatchNorm statistics kept, generated scenes mixed in (replay).
DET_FINE_TUNE = FineTune(
    lr=2e-4, batch_size=8, window=640, replay=("synth:scenes@0.2",), time_share=0.6
)


def _dbnet(name: str, summary: str, fast: bool = False) -> ArchSpec:
    return ArchSpec(
        name=name,
        role="detector",
        summary=summary,
        configs=dbnet.DEFAULT_CFGS[name],
        build=build_dbnet,
        input_size=_INPUT,
        recipe=DB_RECIPE,
        fine_tune=DET_FINE_TUNE,
        int8=True,
        presets=("fast",) if fast else ("accurate",),
    )


DETECTORS: dict[str, ArchSpec] = {
    "dbnet_resnet18": _dbnet(
        "dbnet_resnet18", "DBNet (Liao et al. 2020): ResNet-18 + FPN + DB head, k=50"
    ),
    "dbnet_resnet50": _dbnet("dbnet_resnet50", "DBNet: ResNet-50 + FPN + DB head"),
    "dbnet_resnet50_dcn": _dbnet(
        "dbnet_resnet50_dcn", "DBNet: ResNet-50 with modulated deformable conv in stages 3-5"
    ),
    "dbnet_mobilenet_v3": _dbnet(
        "dbnet_mobilenet_v3",
        "DBNet: MobileNetV3-Large + FPN + DB head, for fast CPU use",
        fast=True,
    ),
    "dbnet_vgg16_craft": _dbnet(
        "dbnet_vgg16_craft", "DBNet on CRAFT's VGG16-BN trunk (can start from craft_mlt_25k)"
    ),
    "tcm_resnet50": ArchSpec(
        name="tcm_resnet50",
        role="detector",
        summary="TCM (Yu et al. 2023): CLIP RN50 + frozen text encoder with learnable and "
        "image-conditioned prompts, visual prompt decoder, matching map -> DB head",
        configs=tcm.DEFAULT_CFGS["tcm_resnet50"],
        build=build_tcm,
        input_size="640x640 RGB, CLIP normalisation (train); long side <= 1280, x32 (inference)",
        # int8 export: made for DBNet's plain convolutions, not CLIP
        recipe=DB_RECIPE,
        fine_tune=DET_FINE_TUNE,
    ),
    "ppocr_det_v6": ArchSpec(
        name="ppocr_det_v6",
        role="detector",
        summary="PaddleOCR PP-OCRv6 small detector as a DBNet: PP-LCNetV4 + RepLKFPN + DB "
        "head (folded form; imports PP-OCRv6_det_small.onnx)",
        configs=ppocr_det.DEFAULT_CFGS["ppocr_det_v6"],
        build=build_ppocr_det,
        input_size="640x640 RGB, mean = std = 0.5 (train); long side <= 1280, x32 (inference)",
        # int8 off: calibrated on generated scenes, its QDQ model lost the photo's text
        # (peak probability 0.07 against 0.98); `fast` runs its fp32 export on ONNX
        # Runtime (0.14 s at 960 pixels on 2 cores, docs/models.md)
        recipe=DB_RECIPE,
        int8=False,
        onnx_fp32=True,
        presets=("fast", "accurate"),
        # the shipped recipe's (docs/models.md): stem + stage 1 frozen, 384 crops of 640
        # windows; higher rates moved validation H-mean 0.866 -> 0.655 in one epoch
        fine_tune=dataclasses.replace(DET_FINE_TUNE, freeze=2, train_size=384),
    ),
}


def detector_card(
    architecture: str,
    config: DBNetConfig | Any,
    *,
    lineage: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    name: str | None = None,
) -> ModelCard:
    """The card of a detector checkpoint (what `DetectionPredictor.from_card` and
    `engine.zoo.load_model` read back)."""
    return ModelCard(
        architecture=architecture,
        name=name or architecture,
        role="detector",
        config=asdict(config),
        normalization=Normalization(  # TCM: CLIP's mean/std
            tuple(getattr(config, "mean", IMAGENET_MEAN)),
            tuple(getattr(config, "std", IMAGENET_STD)),
            255.0,
            "RGB",
        ),
        input=InputSize(
            limit_side=getattr(config, "limit_side", 1280),
            train_size=getattr(config, "train_size", 640),
            multiple=32,
        ),
        lineage=lineage or {},
        metrics=metrics or {},
    )
