"""Word crops -> the normalised tensor a recognizer reads. Training and inference both call
`prepare_crops`, so a model always sees crops prepared the way it learned them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

MAX_HEIGHT, MAX_WIDTH = 256, 4096


@dataclass(frozen=True)
class RecInput:
    """The input a recognizer expects.

    height, width: tensor size in pixels. channels: 1 (grayscale) or 3 (RGB).
    mean, std: per-channel normalisation applied to pixel values scaled to [0, 1]
    (one value per channel). keep_ratio: resize to `height` keeping the aspect ratio and
    pad on the right up to `width`; crops that would be wider are squeezed to `width`.
    Without keep_ratio every crop is stretched to height x width. dynamic_width (with
    keep_ratio): a batch is padded only up to its widest crop (rounded up to a multiple
    of 8, at most `width`) but at least `min_width`; for networks whose output length
    follows the input width (CTC). pad: "edge" repeats the last column (no artificial
    edge to read); "mean" fills with the normalised zero, as PaddleOCR trains its
    recognizers (with `min_width` 320 that is their 48 x 320 input: PP-OCRv6's reads
    1.6 points more ICDAR 2015 words so than edge-padded to the batch's widest crop).
    """

    height: int = 32
    width: int = 100
    channels: int = 1
    mean: tuple[float, ...] = (0.5,)
    std: tuple[float, ...] = (0.5,)
    keep_ratio: bool = False
    dynamic_width: bool = False
    pad: str = "edge"
    min_width: int = 0

    def __post_init__(self) -> None:
        if self.pad not in ("edge", "mean"):
            raise ValueError(f"pad must be 'edge' or 'mean', not {self.pad!r}")
        if not 0 <= self.min_width <= self.width:
            raise ValueError("min_width must be between 0 and width")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, not {self.channels}")
        if len(self.mean) != self.channels or len(self.std) != self.channels:
            raise ValueError("mean and std need one value per channel")
        # bounds before any allocation: a card saying height 100000 made one batch of
        # crops ask for gigabytes (published recognizers read 32..64 x 100..800 pixels)
        if not 8 <= self.height <= MAX_HEIGHT or not 8 <= self.width <= MAX_WIDTH:
            raise ValueError(
                f"input height must lie in 8..{MAX_HEIGHT} and width in "
                f"8..{MAX_WIDTH}, not {self.height} x {self.width}"
            )
        if not all(math.isfinite(v) for v in (*self.mean, *self.std)) or min(self.std) <= 0:
            raise ValueError("mean and std must be finite numbers, std above 0")


def _to_channels(crop: np.ndarray, channels: int, index: int) -> np.ndarray:
    if crop.dtype != np.uint8:
        raise ValueError(f"crop {index}: expected uint8 pixels, got {crop.dtype}")
    if crop.ndim == 3 and crop.shape[2] == 4:
        crop = crop[:, :, :3]
    if crop.ndim == 3 and crop.shape[2] == 1:
        crop = crop[:, :, 0]
    if crop.ndim not in (2, 3) or (crop.ndim == 3 and crop.shape[2] != 3):
        raise ValueError(f"crop {index}: expected HxW or HxWx3 RGB, got shape {crop.shape}")
    if crop.shape[0] < 1 or crop.shape[1] < 1:
        raise ValueError(f"crop {index} is empty ({crop.shape[0]}x{crop.shape[1]})")
    if channels == 1:
        return crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    return crop if crop.ndim == 3 else cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)


def resized_width(crop_hw: tuple[int, int], spec: RecInput) -> int:
    """Width a crop of (h, w) gets once resized for `spec` (before padding)."""
    if not spec.keep_ratio:
        return spec.width
    h, w = crop_hw
    return max(1, min(spec.width, math.ceil(spec.height * w / max(h, 1))))


def prepare_crops(crops: Sequence[np.ndarray], spec: RecInput) -> torch.Tensor:
    """RGB (or gray) uint8 crops -> float tensor (B, C, H, W), normalised per `spec`."""
    return torch.from_numpy(crops_array(crops, spec))


def crops_array(crops: Sequence[np.ndarray], spec: RecInput) -> np.ndarray:
    """`prepare_crops` as a numpy array, for ONNX Runtime: no torch op wakes torch's
    thread pool between two ONNX Runtime runs (its idle threads spin on the same cores)."""
    if len(crops) == 0:
        return np.empty((0, spec.channels, spec.height, spec.width), np.float32)
    widths = [resized_width(c.shape[:2], spec) for c in crops]
    out_w = spec.width
    if spec.keep_ratio and spec.dynamic_width:
        out_w = min(spec.width, max(spec.min_width, 8 * math.ceil(max(widths) / 8)))
    batch = np.empty((len(crops), spec.height, out_w, spec.channels), dtype=np.uint8)
    for i, (crop, w) in enumerate(zip(crops, widths, strict=True)):
        img = _to_channels(crop, spec.channels, i)
        img = cv2.resize(img, (w, spec.height), interpolation=cv2.INTER_LINEAR)
        img = img.reshape(spec.height, w, spec.channels)
        batch[i, :, :w] = img
        if w < out_w:  # repeat the last column: no artificial edge for the network to read
            batch[i, :, w:] = img[:, w - 1 : w]
    mean = np.asarray(spec.mean, np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(spec.std, np.float32).reshape(1, -1, 1, 1)
    out = batch.transpose(0, 3, 1, 2).astype(np.float32)
    out /= np.float32(255.0)
    out -= mean
    out /= std
    if spec.pad == "mean":
        for i, w in enumerate(widths):
            out[i, :, :, w:] = 0.0
    return np.ascontiguousarray(out)
