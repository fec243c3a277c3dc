"""Word crops in, `RecResult`s out, for any recognizer in the zoo."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ocrstudio.core.charset import Charset
from ocrstudio.engine.card import ModelCard
from ocrstudio.engine.device import pick_device
from ocrstudio.engine.recognition.preprocess import (
    RecInput,
    crops_array,
    prepare_crops,
    resized_width,
)
from ocrstudio.engine.recognition.protocol import Recognizer
from ocrstudio.engine.recognition.types import RecResult
from ocrstudio.engine.tokenizer import softmax


def recognize(model: Recognizer, images: torch.Tensor, **options: Any) -> list[RecResult]:
    """`model.read(images, **options)` in eval mode under `torch.inference_mode()`, the
    model's train/eval state restored after: how a recognizer is read mid-training
    (validation, tests) as well as by the predictor. Models implement `read` alone."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            return list(model.read(images, **options))
    finally:
        model.train(was_training)


class RecognitionPredictor:
    """Batched recognition: crops are sorted by width so a batch's crops need little
    padding (and, for dynamic-width models, fewer time steps); results come back in the
    input order. A crop with no pixels gets an empty text with score 0."""

    def __init__(
        self,
        model: Recognizer,
        card: ModelCard | None = None,
        device: str | torch.device = "auto",
        batch_size: int = 64,
        runner: Callable[[np.ndarray], np.ndarray] | None = None,
        min_width: int | None = None,
    ):
        """`runner` computes a CTC model's logits in place of torch (an int8 ONNX Runtime
        session, see engine/onnx_int8.py); the model then only decodes them.
        `min_width` pads a batch of short crops to fewer pixels than the model's own
        `min_width` (a dynamic-width model only; None: the model's): short words read in
        a fraction of the time, a little less surely (the `fast` preset)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.device = pick_device(device)
        self.model = model.to(self.device).eval()
        self.card = card
        self.batch_size = batch_size
        self.spec: RecInput = model.config.input
        if min_width is not None and self.spec.dynamic_width:
            self.spec = dataclasses.replace(
                self.spec, min_width=min(min_width, self.spec.min_width)
            )
        self.charset: Charset = model.charset
        if runner is not None and not hasattr(model, "decode_probs"):
            raise ValueError("an ONNX runner needs a CTC recognizer (logits + decode_probs)")
        self.runner = runner

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        device: str | torch.device = "auto",
        batch_size: int = 64,
        min_width: int | None = None,
    ) -> RecognitionPredictor:
        from ocrstudio.engine.zoo import load_recognizer

        target = pick_device(device)
        model, card = load_recognizer(path, target)
        return cls(model, card, target, batch_size, min_width=min_width)

    @classmethod
    def from_int8(
        cls,
        onnx_path: str | Path,
        checkpoint: str | Path,
        batch_size: int = 64,
        min_width: int | None = None,
    ) -> RecognitionPredictor:
        """A CTC recognizer whose logits come from an int8 ONNX Runtime model (built by
        `onnx_int8.build_int8` from `checkpoint`, whose torch model decodes them)."""
        from ocrstudio.engine.onnx_int8 import OnnxRunner

        base = cls.from_checkpoint(checkpoint, "cpu", batch_size)
        runner = OnnxRunner(onnx_path)
        return cls(base.model, base.card, "cpu", batch_size, runner, min_width)

    def predict(self, crops: Sequence[np.ndarray]) -> list[RecResult]:
        results: list[RecResult | None] = [None] * len(crops)
        usable = [i for i, c in enumerate(crops) if c.size > 0 and min(c.shape[:2]) > 0]
        for i in set(range(len(crops))) - set(usable):
            results[i] = RecResult("", 0.0, ())
        # by aspect ratio: the width each crop takes once resized to the model's height
        usable.sort(key=lambda i: crops[i].shape[1] / crops[i].shape[0])
        for start in range(0, len(usable), self.batch_size):
            idx = usable[start : start + self.batch_size]
            batch = [crops[i] for i in idx]
            if self.runner is not None:
                reads, width = self._run_onnx(batch)
            else:
                images = self.prepare(batch).to(self.device)
                reads, width = recognize(self.model, images), images.shape[-1]
            for i, res in zip(idx, reads, strict=True):
                results[i] = self._on_crop(res, crops[i], width)
        return [r for r in results if r is not None]

    def _on_crop(self, res: RecResult, crop: np.ndarray, input_width: int) -> RecResult:
        """Character spans as fractions of the crop, not of its padded batch row."""
        if not res.char_spans:
            return res
        k = input_width / resized_width(crop.shape[:2], self.spec)
        spans = tuple((min(1.0, a * k), min(1.0, b * k)) for a, b in res.char_spans)
        return dataclasses.replace(res, char_spans=spans)

    def prepare(self, crops: Sequence[np.ndarray]) -> torch.Tensor:
        """The one preprocessing of recognizer input (inference and int8 calibration):
        crops as the model's normalised (B, C, H, W) float batch, on the CPU."""
        return prepare_crops(crops, self.spec)

    def _run_onnx(self, crops: Sequence[np.ndarray]) -> tuple[list[RecResult], int]:
        """Crops read by the ONNX Runtime session, in numpy from end to end (see
        `crops_array`), and the batch's input width."""
        assert self.runner is not None
        images = crops_array(crops, self.spec)
        net: Any = self.model
        return net.decode_probs(softmax(self.runner(images))), images.shape[-1]

    __call__ = predict
