"""TCM (tcm_resnet50, full config) figures: parameters next to the reference implementation's,
and ms per 1280x720 photo split into resize, forward (and the forward's parts) and
post-processing.

    .venv/bin/python benchmarks/bench_tcm.py [--device auto|cpu|cuda] [--repeat 3]

The reference count is worked out part by part from the module shapes of wenwenyu/TCM
(`ocrclip/models.py`, `ocrclip.py`, config `clip_dbnet_r50att_prompt_gen_vis_fpnc.py`:
CLIPResNetWithAttention at 640, CLIPTextContextEncoder of 18 positions, two
ContextDecoders, PromptGenerator, 4 learnable contexts, gamma, vis_gamma, mmocr's FPNC
without biases and DBHead), independently of our modules. Weights are random (speed does
not depend on them). Median of `--repeat` runs after a warm-up; the machine's load is
printed, since on a shared CPU it moves the figures a lot. JSON summary on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from ocrstudio.engine.detection.predictor import DetectionPredictor, resized_shape
from ocrstudio.engine.detection.tcm import DEFAULT_CFGS, TCM
from ocrstudio.engine.detection.zoo import detector_card
from ocrstudio.engine.zoo import count_parameters

TCM_FULL = DEFAULT_CFGS["tcm_resnet50"]["full"]
PHOTO = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "icdar2015_train"
    / "images"
    / "img_1.jpg"
)


def _linear(i: int, o: int, bias: bool = True) -> int:
    return i * o + (o if bias else 0)


def _bottleneck(inplanes: int, planes: int, stride: int) -> int:
    n = inplanes * planes + 2 * planes + planes * planes * 9 + 2 * planes
    n += planes * planes * 4 + 2 * planes * 4
    if stride > 1 or inplanes != planes * 4:
        n += inplanes * planes * 4 + 2 * planes * 4
    return n


def _reference_rn50(input_resolution: int = 640) -> int:
    n = 3 * 32 * 9 + 64 + 32 * 32 * 9 + 64 + 32 * 64 * 9 + 128  # 3-conv stem with BNs
    inplanes = 64
    for planes, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for b in range(blocks):
            n += _bottleneck(inplanes, planes, stride if b == 0 else 1)
            inplanes = planes * 4
    grid = input_resolution // 32
    n += (grid * grid + 1) * 2048 + 3 * _linear(2048, 2048) + _linear(2048, 1024)  # attnpool
    return n


def _reference_text(ctx: int = 18, width: int = 512, layers: int = 12) -> int:
    block = 4 * width + _linear(width, 3 * width) + _linear(width, width)
    block += _linear(width, 4 * width) + _linear(4 * width, width)
    return (
        layers * block + 49408 * width + ctx * width + 2 * width + width * 1024 + 4 * width
    )  # + the 4 learnable contexts


def _reference_context_decoder(dim: int = 1024, w: int = 256, layers: int = 3) -> int:
    memory_proj = 2 * dim + _linear(dim, w) + 2 * w
    text_proj = 2 * dim + _linear(dim, w)
    attn = 3 * w * w + _linear(w, w)
    layer = 2 * attn + 3 * 2 * w + _linear(w, 4 * w) + _linear(4 * w, w)
    return memory_proj + text_proj + layers * layer + 2 * w + _linear(w, dim)


def reference_parts() -> dict[str, int]:
    fpn = 256 * (256 + 512 + 1024 + 2049) + 4 * 256 * 64 * 9
    branch = 256 * 64 * 9 + 128 + 64 * 64 * 4 + 64 + 128 + 64 * 4 + 1
    return {
        "image encoder (RN50 @640)": _reference_rn50(),
        "text encoder (+4 contexts)": _reference_text(),
        "language prompt generator": 2 * 1024 + _linear(1024, 1024) + 2 * 1024 + _linear(1024, 512),
        "visual prompt generator": _reference_context_decoder(),
        "text context decoder": _reference_context_decoder(),
        "gammas": 1024 + 1,
        "FPN": fpn,
        "DB head": 2 * branch,
    }


def our_parts(model: TCM) -> dict[str, int]:
    gammas = model.vis_gamma.numel() + (
        model.text_gamma.numel() if model.text_gamma is not None else 0
    )
    return {
        "image encoder (RN50 @640)": count_parameters(model.visual),
        "text encoder (+4 contexts)": count_parameters(model.text_encoder),
        "language prompt generator": count_parameters(model.prompt_generator),
        "visual prompt generator": count_parameters(model.visual_prompt),
        "text context decoder": count_parameters(model.text_decoder)
        if model.text_decoder is not None
        else 0,
        "gammas": gammas,
        "FPN": count_parameters(model.neck),
        "DB head": count_parameters(model.head),
    }


def _median_ms(fn: Any, repeat: int, sync: Any) -> float:
    fn()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def forward_parts(model: TCM, x: torch.Tensor, repeat: int) -> dict[str, float]:
    """The forward's stages timed one by one (same tensors as the full forward)."""
    dev = x.device
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    with torch.inference_mode():
        feats, g, dense = model.encode_image(x)
        _, cos = model.match(g, dense)
        feats[3] = torch.cat([feats[3], cos], dim=1)
        fused = model.neck(feats)
        return {
            "clip_image_encoder_ms": _median_ms(lambda: model.encode_image(x), repeat, sync),
            "prompts_and_matching_ms": _median_ms(lambda: model.match(g, dense), repeat, sync),
            "fpn_ms": _median_ms(lambda: model.neck(feats), repeat, sync),
            "db_head_ms": _median_ms(lambda: model.head(fused, with_thresh=False), repeat, sync),
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"cpus {os.cpu_count()}, load {load:.1f}",
        flush=True,
    )
    torch.manual_seed(0)
    model = TCM(TCM_FULL)
    ours, ref = our_parts(model), reference_parts()
    for part in ref:
        print(f"  {part:<28} ours {ours[part]:>12,}   reference {ref[part]:>12,}")
    total = count_parameters(model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"params: ours {total:,} (trainable {trainable:,}), reference {sum(ref.values()):,}")
    img = cv2.imread(str(PHOTO))
    img = (
        cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        if img is not None
        else np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    )
    pred = DetectionPredictor.from_card(
        model, detector_card("tcm_resnet50", TCM_FULL), device=args.device, fuse=True
    )
    stages: dict[str, list[float]] = {"resize_ms": [], "forward_ms": [], "postprocess_ms": []}
    pred.predict(img)
    cpu_ms = []  # CPU time of this process: less at the mercy of other jobs than wall time
    for _ in range(args.repeat):
        c0 = time.process_time()
        pred.predict(img)
        cpu_ms.append((time.process_time() - c0) * 1000)
        for k in stages:
            stages[k].append(pred.timings[k])
    row: dict[str, Any] = {k: round(statistics.median(v), 1) for k, v in stages.items()}
    row["total_ms"] = round(sum(row.values()), 1)
    row["process_cpu_ms"] = round(statistics.median(cpu_ms), 1)
    h, w = resized_shape(720, 1280, TCM_FULL.limit_side)
    x = torch.randn(1, 3, h, w, device=pred.device).contiguous(memory_format=torch.channels_last)
    row.update({k: round(v, 1) for k, v in forward_parts(pred.model, x, args.repeat).items()})
    print(
        f"tcm_resnet50 {pred.device} {'amp ' + str(pred.amp_dtype) if pred.half else 'fp32'}"
        f" {w}x{h}: " + ", ".join(f"{k} {v}" for k, v in row.items()),
        flush=True,
    )
    print(
        json.dumps(
            {
                "load": load,
                "device": str(pred.device),
                "params": total,
                "reference_params": sum(ref.values()),
                **row,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
