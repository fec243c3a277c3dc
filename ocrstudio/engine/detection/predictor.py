"""Detector inference: image arrays in, scored text regions in original coordinates out.

Works with any detector whose forward(images) returns a dict with "prob" (N, 1, H, W)
(DBNet, and TCM which ends in the same head). Images are resized keeping their aspect
ratio so the long side is at most `limit_side` and both sides are multiples of 32,
padded to a common size per batch, normalised on the device, and run under
`torch.inference_mode()` with channels_last and, on a GPU, bf16 (or fp16) autocast.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import torch

from ocrstudio.core.types import Polygon, Region
from ocrstudio.engine.card import MAX_SIDE, MIN_SIDE, ModelCard, Normalization, read_card
from ocrstudio.engine.config_json import config_from_dict
from ocrstudio.engine.detection.fuse import fold_batchnorm
from ocrstudio.engine.detection.postprocess import PostProcessConfig, boxes_from_prob
from ocrstudio.engine.detection.protocol import Detector
from ocrstudio.engine.detection.text_scale import TextScale, rescanned
from ocrstudio.engine.device import pick_device
from ocrstudio.engine.spec import IMAGENET_MEAN, IMAGENET_STD


def resized_shape(height: int, width: int, limit_side: int, multiple: int = 32) -> tuple[int, int]:
    """Aspect kept, long side <= limit_side, both sides rounded to `multiple` (>= one)."""
    cap = max(multiple, limit_side // multiple * multiple)
    h, w = scaled_shape(height, width, min(1.0, limit_side / max(height, width)), multiple)
    return min(cap, h), min(cap, w)


def scaled_shape(height: int, width: int, scale: float, multiple: int = 32) -> tuple[int, int]:
    """Both sides times `scale` (up or down), rounded half up to `multiple` (>= one)."""

    def fit(side: int) -> int:
        # half up (not Python's half-to-even): 720 -> 736, the reference's IC15 height
        return max(multiple, int(side * scale / multiple + 0.5) * multiple)

    return fit(height), fit(width)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB from RGB, RGBA or grayscale uint8 arrays."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("expected a uint8 numpy image (HxWx3 RGB)")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.ndim == 3 and image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2RGB)
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3])
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 image, got shape {image.shape}")
    if min(image.shape[:2]) < 1:
        raise ValueError("empty image")
    return image


class DetectionPredictor:
    """`predict(image) -> list[Region]`; `timings` holds the last call's ms per stage.

    Built from a model and its architecture's config (`__init__`), or from a model card
    (`from_card`, `from_checkpoint`, `from_int8`), whose input size, normalisation and
    thresholds then apply."""

    def __init__(
        self,
        model: Detector | None,
        config: Any,
        device: str | torch.device = "auto",
        limit_side: int | None = None,
        half: bool | None = None,
        postprocess: PostProcessConfig | None = None,
        batch_size: int = 4,
        name: str | None = None,
        fuse: bool = False,
        runner: Callable[[np.ndarray], np.ndarray] | None = None,
        normalization: Normalization | None = None,
        text_scale: TextScale | None = None,
    ) -> None:
        """`config`: the detector's config dataclass (its `limit_side`, `postprocess` and,
        for TCM, CLIP's `mean`/`std` apply where not given). `fuse` folds BatchNorm into
        the convolutions (faster, ~15-20 % on a CPU) and so changes `model` for good: only
        for a model this predictor owns (from_checkpoint). `runner` replaces the torch model
        with a callable from normalised NCHW float32 to the probability map (an ONNX
        Runtime session, see onnx_int8); `model` is then None. `text_scale`: pages whose
        text is too small or too large for the network are read again at a scale that
        fits it (`text_scale.TextScale`); None: one pass at `limit_side`."""
        self.device = pick_device(device)
        self.name = name or "detector"
        self.limit_side = (
            int(limit_side) if limit_side else int(getattr(config, "limit_side", 1280))
        )
        if not MIN_SIDE <= self.limit_side <= MAX_SIDE:  # before any photo is resized to it
            raise ValueError(
                f"input limit_side must lie in {MIN_SIDE}..{MAX_SIDE}, not {self.limit_side}"
            )
        own = getattr(config, "postprocess", None)
        self.postprocess = postprocess or (
            own if isinstance(own, PostProcessConfig) else PostProcessConfig()
        )
        mean = normalization.mean if normalization else getattr(config, "mean", IMAGENET_MEAN)
        std = normalization.std if normalization else getattr(config, "std", IMAGENET_STD)
        self._mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1) * 255.0
        self._std = torch.tensor(std, device=self.device).view(1, 3, 1, 1) * 255.0
        self._pad = tuple(int(round(m * 255)) for m in mean)  # normalises to ~0
        self.batch_size = max(1, batch_size)
        on_gpu = self.device.type == "cuda"
        self.half = on_gpu if half is None else half
        bf16 = (not on_gpu) or torch.cuda.is_bf16_supported()
        self.amp_dtype = torch.bfloat16 if bf16 else torch.float16
        self.runner = runner
        self.model = (
            None
            if model is None
            else model.eval().to(self.device).to(memory_format=torch.channels_last)
        )
        if fuse and self.model is not None:
            fold_batchnorm(self.model)
        self.text_scale = text_scale
        self.timings: dict[str, float] = {}

    @classmethod
    def from_card(
        cls, model: Detector | None, card: ModelCard, **kwargs: Any
    ) -> DetectionPredictor:
        """A predictor of `model` (None with a `runner`) as its card says: the card's input
        size, normalisation, name and thresholds (those tuned for the input size laid over
        the config's, `postprocess_config`); `kwargs` as `__init__`'s win."""
        config = getattr(model, "config", None)
        if model is None:  # an ONNX runner: the architecture's config from the card
            from ocrstudio.engine.zoo import get_spec

            config = get_spec(card.architecture).config(card.config)
        own = card.input.limit_side if card.input else None
        limit: int = (
            kwargs.pop("limit_side", None) or own or int(getattr(config, "limit_side", 1280))
        )
        if kwargs.get("postprocess") is None:
            kwargs["postprocess"] = cls.postprocess_config(config, card, limit)
        kwargs.setdefault("normalization", card.normalization)
        kwargs["name"] = kwargs.get("name") or card.name or card.architecture
        return cls(model, config, limit_side=limit, **kwargs)

    @staticmethod
    def postprocess_config(
        config: Any, card: ModelCard | None, limit_side: int | None = None
    ) -> PostProcessConfig:
        """The post-processing settings of a config (else of the card's config), with
        those its card tuned for input `limit_side` laid over them (`postprocess_at`, keyed
        by input size: a map read at fewer pixels wants other thresholds)."""
        pp = getattr(config, "postprocess", None)
        if isinstance(pp, PostProcessConfig):
            post = pp
        else:
            raw = card.config.get("postprocess") if card else None
            post = config_from_dict(PostProcessConfig, raw) if raw else PostProcessConfig()
        at = card.postprocess_for(limit_side) if card else None
        if not at:
            return post
        # checked when the card was read; the typed reader makes the dataclass
        return cast(
            PostProcessConfig,
            config_from_dict(PostProcessConfig, {**dataclasses.asdict(post), **at}),
        )

    @classmethod
    def card_postprocess(
        cls, checkpoint: str | Path, box_thresh: float | None = None, limit_side: int | None = None
    ) -> PostProcessConfig:
        """A checkpoint's own post-processing settings (at input `limit_side`), its box
        score replaced by `box_thresh` when given (callers that read candidates below the
        card's score)."""
        post = cls.postprocess_config(None, read_card(checkpoint), limit_side)
        return post if box_thresh is None else dataclasses.replace(post, box_thresh=box_thresh)

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, device: str | torch.device = "auto", **kwargs: Any
    ) -> DetectionPredictor:
        from ocrstudio.engine.zoo import load_detector

        model, card = load_detector(path, device="cpu")
        kwargs.setdefault("fuse", True)  # the model is ours alone: fold its BatchNorms
        return cls.from_card(model, card, device=device, **kwargs)

    @classmethod
    def from_int8(
        cls, onnx_path: str | Path, checkpoint: str | Path, **kwargs: Any
    ) -> DetectionPredictor:
        """An int8 ONNX Runtime detector (built by `onnx_int8.build_int8` from
        `checkpoint`, whose card gives input size, normalisation and thresholds)."""
        from ocrstudio.engine.onnx_int8 import OnnxRunner

        return cls.from_card(
            None, read_card(checkpoint), device="cpu", runner=OnnxRunner(onnx_path), **kwargs
        )

    def predict(self, image: np.ndarray) -> list[Region]:
        return self.predict_batch([image])[0]

    def predict_batch(self, images: Sequence[np.ndarray]) -> list[list[Region]]:
        self.timings = {
            "resize_ms": 0.0,
            "forward_ms": 0.0,
            "postprocess_ms": 0.0,
            "images": float(len(images)),
        }
        results: list[list[Region]] = []
        for i in range(0, len(images), self.batch_size):
            results.extend(self._run(images[i : i + self.batch_size]))
        if self.text_scale is None or not images:
            return results
        scales = [  # the first pass's input pixels per image pixel
            resized_shape(im.shape[0], im.shape[1], self.limit_side)[1] / im.shape[1]
            for im in images
        ]
        return rescanned(
            images,
            results,
            scales,
            lambda im, scale: self._run([im], [scale])[0],  # alone: no padding to others
            self.text_scale,
        )

    def prepare(
        self, images: Sequence[np.ndarray], scales: Sequence[float] | None = None
    ) -> tuple[np.ndarray, list[tuple[int, int]], list[tuple[int, int]]]:
        """The one preprocessing of detector input (inference, validation scoring and int8
        calibration all call it): images resized for `limit_side` (or by `scales`, one per
        image, up or down), padded with the mean colour to one (N, H, W, 3) uint8 batch;
        also each image's size and resized shape. `normalize` turns the batch into the
        network's float input."""
        rgb = [as_rgb(im) for im in images]
        sizes = [im.shape[:2] for im in rgb]
        shapes = (
            [resized_shape(h, w, self.limit_side) for h, w in sizes]
            if scales is None
            else [scaled_shape(h, w, s) for (h, w), s in zip(sizes, scales, strict=True)]
        )
        bh, bw = max(s[0] for s in shapes), max(s[1] for s in shapes)
        batch = np.empty((len(rgb), bh, bw, 3), np.uint8)
        batch[:] = self._pad
        for b, (im, (h, w)) in enumerate(zip(rgb, shapes, strict=True)):
            same = im.shape[:2] == (h, w)
            batch[b, :h, :w] = (
                im if same else cv2.resize(im, (w, h), interpolation=cv2.INTER_LINEAR)
            )
        return batch, [tuple(s) for s in sizes], shapes

    def normalize(self, batch: np.ndarray) -> np.ndarray:
        """A `prepare` batch as the network's input: NCHW float32 with the checkpoint's
        mean and std (on the CPU; the torch path does the same on the device)."""
        mean, std = self._mean.cpu().numpy(), self._std.cpu().numpy()
        return (batch.transpose(0, 3, 1, 2).astype(np.float32) - mean) / std

    def forward(self, batch: np.ndarray) -> np.ndarray:
        """Probability maps (N, H, W) of a `prepare` batch."""
        if self.runner is not None:
            return self.runner(self.normalize(batch))[:, 0]
        assert self.model is not None
        x = torch.from_numpy(batch).to(self.device, non_blocking=True)
        x = x.permute(0, 3, 1, 2).float().sub_(self._mean).div_(self._std)
        x = x.contiguous(memory_format=torch.channels_last)
        with (
            torch.inference_mode(),
            torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.half),
        ):
            prob = self.model(x)["prob"][:, 0]
        return prob.float().cpu().numpy()

    def _run(
        self, images: Sequence[np.ndarray], scales: Sequence[float] | None = None
    ) -> list[list[Region]]:
        t0 = time.perf_counter()
        batch, sizes, shapes = self.prepare(images, scales)
        t1 = time.perf_counter()
        probs = self.forward(batch)  # .cpu() waits for the device, so timings are honest
        t2 = time.perf_counter()
        out = []
        for prob, size, shape in zip(probs, sizes, shapes, strict=True):
            dets = boxes_from_prob(prob, size, self.postprocess, valid_size=shape)
            out.append(
                [
                    Region(
                        polygon=Polygon.from_array(d.points),
                        det_score=d.score,
                        provenance=self.name,
                    )
                    for d in dets
                ]
            )
        t3 = time.perf_counter()
        self.timings["resize_ms"] += (t1 - t0) * 1000
        self.timings["forward_ms"] += (t2 - t1) * 1000
        self.timings["postprocess_ms"] += (t3 - t2) * 1000
        return out
