"""Recognizer architectures with their published ("full") and CPU-sized ("tiny") configs.

Joined with the detectors in `engine/zoo.py`. Each architecture's configs are its module's
`DEFAULT_CFGS`; each `build(config, charset)` returns a `recognition.protocol.Recognizer`.
"""

from __future__ import annotations

from ocrstudio.engine.recognition import abinet, clip4str, crnn, lcnet_attn, ppocr_rec
from ocrstudio.engine.recognition.abinet import build_abinet_vision
from ocrstudio.engine.recognition.clip4str import build_clip4str
from ocrstudio.engine.recognition.crnn import build_crnn, build_crnn_g2
from ocrstudio.engine.recognition.lcnet_attn import build_lcnet_attn
from ocrstudio.engine.recognition.ppocr_rec import build_ppocr_rec
from ocrstudio.engine.spec import ArchSpec, FineTune, Recipe

# CRNN: Adadelta (rho 0.9) at lr 1.0, constant. ABINet: Adam, lr 1e-4. CLIP4STR (as
# PARSeq): AdamW at 8.4e-5 with one-cycle.
CRNN_RECIPE = Recipe(optimizer="adadelta", lr=1.0, weight_decay=0.0, schedule="constant")
ABINET_RECIPE = Recipe(optimizer="adam", lr=1e-4, weight_decay=0.0, schedule="constant")
CLIP4STR_RECIPE = Recipe(optimizer="adamw", lr=8.4e-5, schedule="onecycle")
# Fine-tuning a trained recognizer on a person's crops: AdamW + one-cycle at a rate far
# below training from scratch (1e-3 took the shipped recognizer from 0.943 to 0.009 word
# accuracy in 200 steps), BatchNorm statistics kept, generated words mixed in (replay).
REC_FINE_TUNE = FineTune(lr=1e-4, batch_size=16, replay=("synth:words@0.2",), time_share=0.4)

RECOGNIZERS: dict[str, ArchSpec] = {
    "crnn": ArchSpec(
        name="crnn",
        role="recognizer",
        summary="CRNN (Shi et al. 2015): 7-conv VGG + 2 BiLSTM(256) + CTC",
        configs=crnn.DEFAULT_CFGS["crnn"],
        build=build_crnn,
        input_size="32x100 gray",
        recipe=CRNN_RECIPE,
        fine_tune=REC_FINE_TUNE,
        int8=True,
    ),
    "crnn_small": ArchSpec(
        name="crnn_small",
        role="recognizer",
        summary="CRNN at half width for CPUs: convs 32..256, 2 BiLSTM(128), CTC",
        configs=crnn.DEFAULT_CFGS["crnn_small"],
        build=build_crnn,
        input_size="32x100 gray",
        recipe=CRNN_RECIPE,
        fine_tune=REC_FINE_TUNE,
        int8=True,
        presets=("fast",),
    ),
    "crnn_g2": ArchSpec(
        name="crnn_g2",
        role="recognizer",
        summary="CRNN shaped like EasyOCR english_g2 (loads its weights): VGG-256 + "
        "2 BiLSTM(256) + CTC",
        configs=crnn.DEFAULT_CFGS["crnn_g2"],
        build=build_crnn_g2,
        input_size="64xW gray (W <= 512, aspect kept)",
        recipe=CRNN_RECIPE,
        fine_tune=REC_FINE_TUNE,
        int8=True,
    ),
    "abinet_vision": ArchSpec(
        name="abinet_vision",
        role="recognizer",
        summary="ABINet vision model (Fang et al. 2021): ResNet-45 + 3 transformer layers + "
        "position attention; objective 'ce' or 'conclr' (ConCLR, Zhang et al. 2022)",
        configs=abinet.DEFAULT_CFGS["abinet_vision"],
        build=build_abinet_vision,
        input_size="32x128 RGB",
        recipe=ABINET_RECIPE,
        fine_tune=REC_FINE_TUNE,
    ),
    "lcnet_abinet_conclr": ArchSpec(
        name="lcnet_abinet_conclr",
        role="recognizer",
        summary="PP-OCRv6's PP-LCNetV4 trunk + light SVTR neck (rec_default's weights) + "
        "ABINet's position-attention decoder, trained with ConCLR (rec_conclr)",
        configs=lcnet_attn.DEFAULT_CFGS["lcnet_abinet_conclr"],
        build=build_lcnet_attn,
        input_size="48xW RGB (W <= 800, aspect kept)",
        recipe=Recipe(optimizer="adamw", lr=5e-4, schedule="onecycle"),
        fine_tune=REC_FINE_TUNE,
    ),
    "clip4str_base": ArchSpec(
        name="clip4str_base",
        role="recognizer",
        summary="CLIP4STR-B (Zhao et al. 2023): CLIP ViT-B/16 + text encoder, visual and "
        "cross-modal PARSeq decoders",
        configs=clip4str.DEFAULT_CFGS["clip4str_base"],
        build=build_clip4str,
        input_size="224x224 RGB",
        recipe=CLIP4STR_RECIPE,
        fine_tune=REC_FINE_TUNE,
    ),
    "ppocr_rec_v6": ArchSpec(
        name="ppocr_rec_v6",
        role="recognizer",
        summary="PaddleOCR PP-OCRv6 small recognizer: PP-LCNetV4 + light SVTR neck + CTC "
        "(imports PP-OCRv6_rec_small.onnx, multilingual dictionary)",
        configs=ppocr_rec.DEFAULT_CFGS["ppocr_rec_v6"],
        build=build_ppocr_rec,
        input_size="48xW RGB (W <= 800, aspect kept)",
        recipe=Recipe(optimizer="adamw", lr=1e-4, schedule="onecycle"),
        # the shipped recipe's rate and batch (docs/models.md: 2e-5 .. 3e-5, 32 crops)
        fine_tune=REC_FINE_TUNE,
        # int8 off: static QDQ cost it 8 points on words_val (0.978 -> 0.898) and 27 on
        # ICDAR 2015 val words (0.825 -> 0.550); `fast` runs its fp32 export on ONNX Runtime
        int8=False,
        onnx_fp32=True,
        presets=("fast", "accurate"),
    ),
}
