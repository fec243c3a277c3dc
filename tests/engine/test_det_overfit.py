"""A tiny DBNet learns two small synthetic images of words, on a CPU, to H-mean >= 0.9."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from ocrstudio.core.metrics import evaluate_detection
from ocrstudio.core.types import Polygon, Region
from ocrstudio.engine.detection.predictor import DetectionPredictor
from ocrstudio.engine.detection.targets import make_targets
from ocrstudio.engine.detection.zoo import DETECTORS, IMAGENET_MEAN, IMAGENET_STD, detector_card

SIZE = 128


def _page(words: list[str], seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Words drawn with cv2.putText on a tinted background, one per line, and their boxes."""
    rng = np.random.default_rng(seed)
    img = np.empty((SIZE, SIZE, 3), np.uint8)
    img[:] = rng.integers(170, 255, 3)
    polys, y = [], 12
    for word in words:
        (tw, th), base = cv2.getTextSize(word, cv2.FONT_HERSHEY_SIMPLEX, 0.7, 2)
        x, y_base = int(rng.integers(4, SIZE - tw - 4)), y + th
        color = tuple(int(c) for c in rng.integers(0, 80, 3))
        cv2.putText(img, word, (x, y_base), cv2.FONT_HERSHEY_SIMPLEX, 0.7, color, 2, cv2.LINE_AA)
        polys.append(
            np.array(
                [
                    [x - 2, y_base - th - 3],
                    [x + tw + 2, y_base - th - 3],
                    [x + tw + 2, y_base + base],
                    [x - 2, y_base + base],
                ],
                float,
            )
        )
        y = y_base + base + 14
    return img, polys


def _hmean(pred: DetectionPredictor, pages: list[tuple[np.ndarray, list[np.ndarray]]]) -> float:
    found = pred.predict_batch([img for img, _ in pages])
    pairs = [
        ([Region(Polygon.from_array(p)) for p in polys], regions)
        for (_, polys), regions in zip(pages, found, strict=True)
    ]
    return evaluate_detection(pairs).hmean


@pytest.mark.slow
def test_tiny_dbnet_overfits_two_images() -> None:
    torch.manual_seed(0)
    pages = [_page(["OCR", "studio", "text"], 1), _page(["DBNet", "word", "42"], 2)]
    spec = DETECTORS["dbnet_resnet18"]
    cfg = spec.config("tiny")
    model = spec.build(cfg, None)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    x = torch.stack([torch.from_numpy(img).permute(2, 0, 1) for img, _ in pages]) / 255.0
    x = (x - mean) / std
    maps = [make_targets(p, [False] * len(p), SIZE, SIZE, cfg.targets).maps() for _, p in pages]
    targets = {k: torch.stack([torch.from_numpy(m[k]) for m in maps]) for k in maps[0]}
    pred = DetectionPredictor.from_card(model, detector_card("dbnet_resnet18", cfg), device="cpu")
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    first = last = None
    hmean = 0.0
    for step in range(1, 401):
        model.train()
        loss = model(x, targets)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
        last = loss.item()
        if step % 25 == 0:
            hmean = _hmean(pred, pages)  # the predictor puts the model in eval mode
            if hmean >= 0.9:
                break
    assert last < first / 2
    assert hmean >= 0.9, f"H-mean {hmean:.2f} after {step} steps"
