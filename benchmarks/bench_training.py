"""Training throughput (samples/s) of each architecture's full config, and synthetic data
speed (images/s).

A training step here is what `fit` does per batch: forward with targets, backward,
gradient clipping and an AdamW step (bf16 autocast on CUDA), on random images with real
target maps (detectors) or random words (recognizers), so the data pipeline is left out.
Seed anchor: CRNN trains at 2,612 images/s on one V100.

    python benchmarks/bench_training.py                       # every architecture, CPU
    python benchmarks/bench_training.py --arch crnn --device cuda --batch 256
    python benchmarks/bench_training.py --synth-only
"""

from __future__ import annotations

import argparse
import json
import random
import time

import numpy as np
import torch

from ocrstudio.core.charset import Charset
from ocrstudio.engine.zoo import ARCHITECTURES, get_spec

DEFAULT_BATCH = {"detector": 2, "recognizer": 32}
SMALL_BATCH = {"clip4str_base": 4, "tcm_resnet50": 1, "abinet_vision": 16}


def _rec_batch(model, batch: int) -> tuple[torch.Tensor, list[str]]:
    inp = model.config.input
    images = torch.randn(batch, inp.channels, inp.height, inp.width)
    chars = [c for c in model.charset.chars if not c.isspace()]
    rng = random.Random(0)
    texts = ["".join(rng.choice(chars) for _ in range(rng.randint(3, 10))) for _ in range(batch)]
    return images, texts


def _det_batch(model, batch: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    from ocrstudio.engine.detection.targets import make_targets

    size = int(getattr(model.config, "train_size", 640))
    rng = np.random.default_rng(0)
    maps = []
    for _ in range(batch):
        polys = []
        for _ in range(10):
            x, y = rng.uniform(0, size - 120), rng.uniform(0, size - 40)
            polys.append(np.array([[x, y], [x + 100, y], [x + 100, y + 30], [x, y + 30]]))
        maps.append(
            make_targets(polys, [False] * len(polys), size, size, model.config.targets).maps()
        )
    targets = {k: torch.from_numpy(np.stack([m[k] for m in maps])) for k in maps[0]}
    return torch.randn(batch, 3, size, size), targets


def bench_arch(
    name: str, device: torch.device, batch: int | None, seconds: float, config: str = "full"
) -> dict:
    spec = get_spec(name)
    torch.manual_seed(0)
    model = spec.build(
        spec.config(config), Charset.default() if spec.role == "recognizer" else None
    )
    model.to(device).train()
    b = batch or SMALL_BATCH.get(name, DEFAULT_BATCH[spec.role])
    images, targets = (_rec_batch if spec.role == "recognizer" else _det_batch)(model, b)
    images = images.to(device)
    if isinstance(targets, dict):
        targets = {k: v.to(device) for k, v in targets.items()}
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    amp = device.type == "cuda"

    def step() -> None:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            loss = model(images, targets)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    step()  # warm-up: allocations, cuDNN autotuning
    _sync(device)
    n, t0 = 0, time.perf_counter()
    while n < 2 or time.perf_counter() - t0 < seconds:
        step()
        n += 1
    _sync(device)
    dt = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    return {
        "arch": name,
        "config": config,
        "role": spec.role,
        "device": str(device),
        "batch": b,
        "steps": n,
        "samples_per_s": round(n * b / dt, 2),
        "s_per_step": round(dt / n, 3),
        "params_m": round(params / 1e6, 2),
        "input": spec.input_size,
        "threads": torch.get_num_threads(),
    }


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_synth(count_words: int, count_scenes: int) -> list[dict]:
    from ocrstudio.training.synth import SceneSynth, WordSynth

    out = []
    for kind, synth, n in (
        ("words", WordSynth(seed=0), count_words),
        ("scenes", SceneSynth(seed=0), count_scenes),
    ):
        synth[10**6]  # fonts, glyph checks and vocabulary load once
        t0 = time.perf_counter()
        for i in range(n):
            synth[i]
        dt = time.perf_counter() - t0
        out.append({"synth": kind, "count": n, "images_per_s": round(n / dt, 2)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", action="append", help="architecture(s); default: all")
    ap.add_argument("--config", default="full", choices=("full", "tiny"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, help="override the per-role batch size")
    ap.add_argument("--seconds", type=float, default=10.0, help="time per architecture")
    ap.add_argument("--threads", type=int, help="torch CPU threads")
    ap.add_argument("--synth-only", action="store_true")
    ap.add_argument("--no-synth", action="store_true")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if not args.synth_only:
        for name in args.arch or list(ARCHITECTURES):
            try:
                row = bench_arch(
                    name, torch.device(args.device), args.batch, args.seconds, args.config
                )
            except Exception as exc:  # one broken architecture must not hide the others
                row = {"arch": name, "error": f"{type(exc).__name__}: {exc}"[:300]}
            print(json.dumps(row), flush=True)
    if not args.no_synth:
        for row in bench_synth(200, 20):
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
