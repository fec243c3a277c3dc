"""Training augmentations. Every function takes its randomness from the generator given,
so a (seed, epoch, index) triple always gives the same sample whatever worker made it.

Recognition: RandAugment-style (two operations a crop, random magnitudes) drawn from
photometric (brightness, contrast, gamma, hue, blur, noise, JPEG, invert, sharpen) and
geometric (rotation, shear, perspective, edge crop/pad, stretch) operations.
Detection: scale jitter, rotation, and a 640 (train_size) crop that avoids cutting text.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

Rng = np.random.Generator

# -- recognition ---------------------------------------------------------------------------


def _brightness(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    return np.clip(img.astype(np.float32) + rng.uniform(-60, 60) * m, 0, 255).astype(np.uint8)


def _contrast(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    f = 1.0 + rng.uniform(-0.6, 0.6) * m
    mean = img.mean()
    return np.clip((img.astype(np.float32) - mean) * f + mean, 0, 255).astype(np.uint8)


def _gamma(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    g = math.exp(rng.uniform(-0.7, 0.7) * m)
    lut = np.clip(((np.arange(256) / 255.0) ** g) * 255, 0, 255).astype(np.uint8)
    return lut[img]


def _hue(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    if img.ndim != 3:
        return img
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    shift = int(rng.integers(0, int(180 * max(m, 0.1))))
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + shift) % 180
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _blur(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), 0.3 + 1.2 * m * rng.random())


def _noise(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    noise = rng.normal(0, 3 + 15 * m, img.shape)
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _jpeg(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    q = int(95 - 75 * m * rng.random())
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
    if not ok:
        return img
    out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return img if out is None else out.reshape(img.shape)


def _invert(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    return 255 - img


def _sharpen(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    blur = cv2.GaussianBlur(img, (0, 0), 1.0)
    return cv2.addWeighted(img, 1 + m, blur, -m, 0)


def _warp(img: np.ndarray, matrix: np.ndarray, perspective: bool = False) -> np.ndarray:
    h, w = img.shape[:2]
    fn = cv2.warpPerspective if perspective else cv2.warpAffine
    return fn(img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _rotate(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    h, w = img.shape[:2]
    # Small angles only: a long word rotated far leaves its ends outside the crop.
    angle = rng.uniform(-1, 1) * m * min(8.0, math.degrees(math.atan2(h, w)) + 2)
    return _warp(img, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0))


def _shear(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    h, w = img.shape[:2]
    s = rng.uniform(-0.4, 0.4) * m
    return _warp(img, np.array([[1, s, -s * h / 2], [0, 1, 0]], np.float32))


def _perspective(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    h, w = img.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    jitter = rng.uniform(-0.12, 0.12, (4, 2)) * m * np.array([min(w, 2 * h), h])
    return _warp(img, cv2.getPerspectiveTransform(src, (src + jitter).astype(np.float32)), True)


def _crop_pad(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    h, w = img.shape[:2]
    d = (rng.uniform(-0.1, 0.1, 4) * m * h).astype(int)  # top, bottom, left, right
    img = img[max(0, d[0]) : h - max(0, d[1]) or h, max(0, d[2]) : w - max(0, d[3]) or w]
    top, bottom, left, right = (max(0, -int(v)) for v in d)
    if top or bottom or left or right:
        img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_REPLICATE)
    return img


def _stretch(img: np.ndarray, rng: Rng, m: float) -> np.ndarray:
    h, w = img.shape[:2]
    f = math.exp(rng.uniform(-0.35, 0.35) * m)
    return cv2.resize(img, (max(1, int(w * f)), h))


REC_OPS: tuple[Callable[[np.ndarray, Rng, float], np.ndarray], ...] = (
    _brightness,
    _contrast,
    _gamma,
    _hue,
    _blur,
    _noise,
    _jpeg,
    _invert,
    _sharpen,
    _rotate,
    _shear,
    _perspective,
    _crop_pad,
    _stretch,
)


def augment_crop(img: np.ndarray, rng: Rng, n_ops: int = 2, prob: float = 0.8) -> np.ndarray:
    """RandAugment-style: with probability `prob`, `n_ops` random ops at random strength."""
    if rng.random() >= prob or min(img.shape[:2]) < 4:
        return img
    for k in rng.choice(len(REC_OPS), size=n_ops, replace=False):
        img = REC_OPS[int(k)](img, rng, float(rng.uniform(0.2, 1.0)))
    return np.ascontiguousarray(img)


# -- detection -----------------------------------------------------------------------------


def rotate_scale(
    img: np.ndarray, polys: list[np.ndarray], angle: float, scale: float
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Rotate by `angle` degrees about the centre and scale, growing the canvas to fit."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], np.float64) @ m.T
    (x0, y0), (x1, y1) = corners.min(0), corners.max(0)
    m[:, 2] -= (x0, y0)
    nw, nh = max(1, int(math.ceil(x1 - x0))), max(1, int(math.ceil(y1 - y0)))
    out = cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    moved = [np.concatenate([p, np.ones((len(p), 1))], 1) @ m.T for p in polys]
    return out, moved


def _gaps(extent: int, polys: list[np.ndarray], axis: int) -> np.ndarray:
    """Pixels along an axis that no polygon covers (where a crop edge cuts no text)."""
    free = np.ones(extent + 1, bool)
    for p in polys:
        lo, hi = int(math.floor(p[:, axis].min())), int(math.ceil(p[:, axis].max()))
        free[max(0, lo) : max(0, min(extent, hi) + 1)] = False
    return free


def _window(extent: int, size: int, free: np.ndarray, rng: Rng) -> int:
    """Start of a window of `size` within `extent`, both edges in text-free gaps when
    such a window exists (DB's RandomCropData tries the same), else anywhere."""
    if extent <= size:
        return 0
    starts = np.arange(0, extent - size + 1)
    good = starts[free[starts] & free[np.minimum(starts + size, extent)]]
    pool = good if len(good) and rng.random() < 0.9 else starts
    return int(pool[int(rng.integers(0, len(pool)))])


def crop_detection(
    img: np.ndarray, polys: list[np.ndarray], ignore: list[bool], size: int, rng: Rng
) -> tuple[np.ndarray, list[np.ndarray], list[bool]]:
    """A size x size crop (zero-padded when the image is smaller); polygons cut by the
    crop edge keep their visible part and become don't-care."""
    h, w = img.shape[:2]
    x = _window(w, size, _gaps(w, polys, 0), rng)
    y = _window(h, size, _gaps(h, polys, 1), rng)
    out = np.zeros((size, size, 3), np.uint8)
    part = img[y : y + size, x : x + size]
    out[: part.shape[0], : part.shape[1]] = part
    kept, flags = [], []
    for p, ig in zip(polys, ignore, strict=True):
        q = p - (x, y)
        inside = (
            (q[:, 0] >= 0)
            & (q[:, 0] <= part.shape[1])
            & (q[:, 1] >= 0)
            & (q[:, 1] <= part.shape[0])
        )
        if not inside.any() and not _straddles(q, part.shape[1], part.shape[0]):
            continue
        clipped = np.clip(q, 0, [part.shape[1] - 1, part.shape[0] - 1])
        if cv2.contourArea(clipped.astype(np.float32)) < 1:
            continue
        kept.append(clipped)
        flags.append(bool(ig or not inside.all()))
    return out, kept, flags


def _straddles(q: np.ndarray, w: int, h: int) -> bool:
    (x0, y0), (x1, y1) = q.min(0), q.max(0)
    return x0 < w and x1 > 0 and y0 < h and y1 > 0


def augment_page(
    img: np.ndarray,
    polys: list[np.ndarray],
    ignore: list[bool],
    size: int,
    rng: Rng,
    augment: bool = True,
) -> tuple[np.ndarray, list[np.ndarray], list[bool]]:
    """DBNet's training pipeline: random scale (0.5-3 x, relative to a 640 crop) and
    rotation (+-10 degrees, half the time), then a size x size crop."""
    if augment:
        scale = float(rng.uniform(0.5, 3.0)) * size / 640.0
        angle = float(rng.uniform(-10, 10)) if rng.random() < 0.5 else 0.0
    else:  # evaluation-like: the long side fits the crop
        scale, angle = size / max(img.shape[:2]), 0.0
    img, polys = rotate_scale(img, polys, angle, scale)
    return crop_detection(img, polys, ignore, size, rng)
