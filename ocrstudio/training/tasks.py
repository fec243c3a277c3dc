"""What differs between training a recognizer and a detector: how samples become a
batch, and how a model is scored. `fit` drives either through this small interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ocrstudio.core.charset import Charset
from ocrstudio.core.metrics import evaluate_detection, evaluate_recognition
from ocrstudio.engine.card import ModelCard
from ocrstudio.engine.detection.protocol import Detector
from ocrstudio.engine.recognition.predictor import recognize
from ocrstudio.engine.recognition.preprocess import RecInput, prepare_crops
from ocrstudio.engine.recognition.protocol import Recognizer
from ocrstudio.engine.spec import IMAGENET_MEAN, IMAGENET_STD
from ocrstudio.training.augment import augment_crop, augment_page
from ocrstudio.training.data import DetSample, RecSample


class RecTask:
    """Recognition: crops + texts; metric word accuracy (36-character protocol)."""

    role = "recognizer"
    metric = "word_acc"

    def __init__(self, spec: RecInput, charset: Charset, augment: bool = True):
        self.spec, self.charset, self.augment = spec, charset, augment

    def transform(self, sample: RecSample, rng: np.random.Generator) -> RecSample:
        img, text = sample
        if self.augment:
            img = augment_crop(img, rng)
        text = "".join(ch for ch in text if ch in self.charset)  # counted by the caller
        return img, text

    def collate(self, batch: Sequence[RecSample]) -> tuple[torch.Tensor, list[str]]:
        return prepare_crops([b[0] for b in batch], self.spec), [b[1] for b in batch]

    @staticmethod
    def to_device(targets: list[str], device: torch.device) -> list[str]:
        return targets

    def evaluate(
        self,
        model: Recognizer,
        samples: Sequence[RecSample],
        device: torch.device,
        batch_size: int = 64,
    ) -> dict[str, float]:
        pairs: list[tuple[str, str]] = []
        for i in range(0, len(samples), batch_size):
            chunk = [samples[j] for j in range(i, min(i + batch_size, len(samples)))]
            images = prepare_crops([c[0] for c in chunk], self.spec).to(device)
            results = recognize(model, images)
            pairs.extend((c[1], r.text) for c, r in zip(chunk, results, strict=True))
        res = evaluate_recognition(pairs)
        return {
            "word_acc": res.word_acc,
            "word_acc_cased": res.word_acc_cased,
            "cer": res.cer,
            "one_minus_ned": res.one_minus_ned,
            "count": res.count,
        }


class DetTask:
    """Detection: train_size crops + DB target maps; metric H-mean (ICDAR 2015 rules)."""

    role = "detector"
    metric = "hmean"

    def __init__(self, config: Any, card: ModelCard, augment: bool = True):
        """`config`: the model's (its training crop may differ from the card's)."""
        self.config, self.card, self.augment = config, card, augment
        norm = card.normalization
        self.mean = np.asarray(norm.mean if norm else IMAGENET_MEAN, np.float32) * 255
        self.std = np.asarray(norm.std if norm else IMAGENET_STD, np.float32) * 255
        self.size = int(getattr(config, "train_size", 640))

    def transform(self, sample: DetSample, rng: np.random.Generator) -> dict[str, Any]:
        from ocrstudio.engine.detection.targets import make_targets

        img, labels = sample
        polys = [r.polygon.as_array() for r in labels.regions]
        ignore = [r.ignore for r in labels.regions]
        img, polys, ignore = augment_page(img, polys, ignore, self.size, rng, self.augment)
        t = make_targets(polys, ignore, self.size, self.size, self.config.targets)
        x = (img.astype(np.float32) - self.mean) / self.std
        return {"image": np.ascontiguousarray(x.transpose(2, 0, 1)), **t.maps()}

    @staticmethod
    def collate(batch: Sequence[dict[str, Any]]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        images = torch.from_numpy(np.stack([b["image"] for b in batch]))
        keys = [k for k in batch[0] if k != "image"]
        return images, {k: torch.from_numpy(np.stack([b[k] for b in batch])) for k in keys}

    @staticmethod
    def to_device(
        targets: dict[str, torch.Tensor], device: torch.device
    ) -> dict[str, torch.Tensor]:
        return {k: v.to(device, non_blocking=True) for k, v in targets.items()}

    def evaluate(
        self,
        model: Detector,
        samples: Sequence[DetSample],
        device: torch.device,
        batch_size: int = 4,
    ) -> dict[str, float]:
        from ocrstudio.engine.detection.predictor import DetectionPredictor

        was_training = model.training
        predictor = DetectionPredictor.from_card(
            model, self.card, device=device, batch_size=batch_size
        )
        try:
            pages: list[tuple[Sequence, Sequence]] = []
            for i in range(0, len(samples), batch_size):
                chunk = [samples[j] for j in range(i, min(i + batch_size, len(samples)))]
                found = predictor.predict_batch([c[0] for c in chunk])
                pages.extend((c[1].regions, det) for c, det in zip(chunk, found, strict=True))
        finally:
            model.to(memory_format=torch.contiguous_format)
            model.train(was_training)
        res = evaluate_detection(pages)
        return {
            "hmean": res.hmean,
            "precision": res.precision,
            "recall": res.recall,
            "count": res.images,
        }
