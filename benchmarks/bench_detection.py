"""Detector speed: ms per 1280x720 photo for each detector's full config, split into
resize, forward and post-processing; plus target-map and post-processing speed, and
parameter counts next to the DB reference implementation's.

    .venv/bin/python benchmarks/bench_detection.py [--device auto|cpu|cuda] [--arch NAME ...]

Weights are random (speed does not depend on them), so the forward's probability map is
noise and the in-pipeline post-processing time is that of a noisy map; the "post (real
map)" column times post-processing on what a trained model outputs for the photo: the
shrunk ground-truth kernels, blurred. Median of `--repeat` runs after a warm-up. Prints
one line per measurement and a JSON summary on the last line. The machine's load is
printed too: on a shared CPU it moves the figures a lot.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from ocrstudio.engine.detection.postprocess import boxes_from_prob
from ocrstudio.engine.detection.predictor import DetectionPredictor, resized_shape
from ocrstudio.engine.detection.targets import make_targets
from ocrstudio.engine.detection.zoo import DETECTORS, detector_card
from ocrstudio.engine.zoo import count_parameters

DEFAULT_PHOTO = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "icdar2015_train"
    / "images"
    / "img_1.jpg"
)

# MhLiao/DB as built: its ResNet keeps torchvision's `fc` and adds an unused 1x1 conv
# `smooth` (2048 -> 256, with bias); neither runs in forward, both count in its modules.
# Its decoder (SegDetector, adaptive) and DCNv2 blocks match ours tensor for tensor.
_REF_UNUSED = {
    "dbnet_resnet18": 512 * 1000 + 1000 + 2048 * 256 + 256,
    "dbnet_resnet50": 2048 * 1000 + 1000 + 2048 * 256 + 256,
    "dbnet_resnet50_dcn": 2048 * 1000 + 1000 + 2048 * 256 + 256,
}


def _median_ms(fn: Any, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _photo(path: Path) -> tuple[np.ndarray, list[np.ndarray], str]:
    gt = path.parent.parent / "gt" / f"gt_{path.stem}.txt"
    img = cv2.imread(str(path))
    if img is None or not gt.is_file():
        rng = np.random.default_rng(0)
        img = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
        polys = [
            cv2.boxPoints(
                (
                    (rng.uniform(80, 1200), rng.uniform(40, 680)),
                    (rng.uniform(40, 200), rng.uniform(12, 40)),
                    rng.uniform(-20, 20),
                )
            ).astype(float)
            for _ in range(20)
        ]
        return img, polys, "synthetic 1280x720 noise"
    polys = []
    for line in gt.read_text(encoding="utf-8-sig").splitlines():
        vals = line.split(",")
        if len(vals) >= 9:
            polys.append(np.array([float(v) for v in vals[:8]]).reshape(4, 2))
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB), polys, str(path)


def bench_targets(repeat: int) -> float:
    rng = np.random.default_rng(0)
    polys = [
        cv2.boxPoints(
            (
                (rng.uniform(60, 580), rng.uniform(60, 580)),
                (rng.uniform(30, 150), rng.uniform(10, 40)),
                rng.uniform(-30, 30),
            )
        ).astype(float)
        for _ in range(20)
    ]
    return _median_ms(lambda: make_targets(polys, [False] * 20, 640, 640), repeat * 5)


def bench_real_map(img: np.ndarray, polys: list[np.ndarray], repeat: int) -> tuple[float, int]:
    h, w = resized_shape(*img.shape[:2], 1280)
    sx, sy = w / img.shape[1], h / img.shape[0]
    scaled = [p * (sx, sy) for p in polys]
    kernel = make_targets(scaled, [False] * len(scaled), h, w).shrink_map
    prob = cv2.GaussianBlur(kernel, (5, 5), 0) * 0.95
    found = boxes_from_prob(prob, img.shape[:2], valid_size=(h, w))
    return _median_ms(
        lambda: boxes_from_prob(prob, img.shape[:2], valid_size=(h, w)), repeat * 5
    ), len(found)


def bench_arch(name: str, img: np.ndarray, device: str, repeat: int) -> dict[str, Any]:
    spec = DETECTORS[name]
    cfg = spec.config("full")
    torch.manual_seed(0)
    model = spec.build(cfg, None)
    params = count_parameters(model)
    pred = DetectionPredictor.from_card(model, detector_card(name, cfg), device=device, fuse=True)
    stages: dict[str, list[float]] = {"resize_ms": [], "forward_ms": [], "postprocess_ms": []}
    pred.predict(img)  # warm-up (cuDNN autotuning, allocator, oneDNN primitives)
    for _ in range(repeat):
        pred.predict(img)
        for k in stages:
            stages[k].append(pred.timings[k])
    row = {k: round(statistics.median(v), 1) for k, v in stages.items()}
    row["total_ms"] = round(sum(row.values()), 1)
    row.update(
        name=name,
        params=params,
        reference_params=params + _REF_UNUSED.get(name, 0) if name in _REF_UNUSED else None,
        device=str(pred.device),
        amp=str(pred.amp_dtype) if pred.half else "fp32",
    )
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--arch", nargs="*", default=sorted(DETECTORS))
    ap.add_argument("--photo", type=Path, default=DEFAULT_PHOTO)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"cpus {os.cpu_count()}, load {load:.1f}",
        flush=True,
    )
    img, polys, source = _photo(args.photo)
    print(f"photo: {source} {img.shape[1]}x{img.shape[0]}, {len(polys)} ground-truth polygons")
    summary: dict[str, Any] = {"photo": source, "load": load}
    summary["targets_ms_640_20polys"] = round(bench_targets(args.repeat), 2)
    print(f"targets: {summary['targets_ms_640_20polys']} ms per 640x640 sample, 20 polygons")
    post_ms, found = bench_real_map(img, polys, args.repeat)
    summary["postprocess_ms_real_map"] = round(post_ms, 2)
    print(f"post (real map): {post_ms:.2f} ms for a 1280x736 map, {found} regions found")
    rows = []
    for name in args.arch:
        try:
            row = bench_arch(name, img, args.device, args.repeat)
        except Exception as exc:  # one broken architecture should not hide the others
            print(f"{name}: failed: {exc}", file=sys.stderr)
            continue
        rows.append(row)
        ref = f", DB reference {row['reference_params']:,}" if row["reference_params"] else ""
        print(
            f"{name:<20} {row['device']:<6} {row['amp']:<15} resize {row['resize_ms']:>7.1f}"
            f"  forward {row['forward_ms']:>9.1f}  post {row['postprocess_ms']:>7.1f}"
            f"  total {row['total_ms']:>9.1f} ms   params {row['params']:,}{ref}",
            flush=True,
        )
    summary["detectors"] = rows
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
