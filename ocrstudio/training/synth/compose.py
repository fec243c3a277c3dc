"""Colouring text onto a surface (fill, border, shadow) and the camera's degradations
(blur, noise, low resolution, JPEG), shared by word crops and scenes."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Rng = np.random.Generator


@dataclass(frozen=True)
class Style:
    fill: tuple[float, float, float]
    border: tuple[float, float, float] | None
    shadow: tuple[int, int, int, float] | None  # dx, dy, blur kernel (odd), opacity
    opacity: float


def _luma(c: np.ndarray) -> float:
    return float(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])


def contrasting_colour(rng: Rng, against: np.ndarray, min_delta: float = 70.0) -> np.ndarray:
    """A colour whose brightness differs from `against` by at least `min_delta` (of 255),
    as legible text does; tries random colours, then falls back to black or white."""
    base = _luma(against)
    for _ in range(12):
        c = rng.uniform(0, 255, 3)
        if rng.random() < 0.5:  # dark or light neutrals are the commonest ink
            c = np.full(
                3, rng.uniform(0, 60) if base > 128 else rng.uniform(195, 255)
            ) + rng.normal(0, 10, 3)
        if abs(_luma(c) - base) >= min_delta:
            return np.clip(c, 0, 255)
    return np.full(3, 0.0 if base > 128 else 255.0)


def sample_style(rng: Rng, bg_mean: np.ndarray, size: float) -> Style:
    """Colours and effects for text of x-height-ish `size` pixels over `bg_mean`."""
    fill = contrasting_colour(rng, bg_mean, rng.uniform(50, 120))
    border = None
    if rng.random() < 0.2:
        border = tuple(contrasting_colour(rng, fill, 90).tolist())
    shadow = None
    if rng.random() < 0.2:
        d = max(1, int(round(size * rng.uniform(0.03, 0.12))))
        k = int(rng.integers(0, 3)) * 2 + 1
        shadow = (
            int(rng.integers(-d, d + 1)),
            int(rng.integers(1, d + 1)),
            k,
            float(rng.uniform(0.4, 0.9)),
        )
    opacity = 1.0 if rng.random() < 0.8 else float(rng.uniform(0.75, 1.0))
    return Style(tuple(fill.tolist()), border, shadow, opacity)


def _lerp(img: np.ndarray, colour: np.ndarray | tuple, alpha: np.ndarray) -> None:
    a = alpha[..., None]
    img *= 1 - a
    img += a * np.asarray(colour, np.float32)


def composite(img: np.ndarray, masks: np.ndarray, style: Style) -> None:
    """Paint warped masks (fill, fill+stroke) onto `img` (float32 RGB) in place."""
    fill, full = masks[..., 0], masks[..., 1]
    if style.shadow is not None:
        dx, dy, k, op = style.shadow
        m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
        sh = cv2.warpAffine(full, m, (full.shape[1], full.shape[0]))
        if k > 1:
            sh = cv2.GaussianBlur(sh, (k, k), 0)
        _lerp(img, (0, 0, 0), sh * op)
    if style.border is not None:
        _lerp(img, style.border, full * style.opacity)
    _lerp(img, style.fill, fill * style.opacity)


def degrade(rng: Rng, img: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Blur (focus or motion), sensor noise, resampling and JPEG artefacts; returns uint8."""
    h, w = img.shape[:2]
    if rng.random() < 0.4 * strength:
        k = int(rng.integers(1, 3)) * 2 + 1
        img = cv2.GaussianBlur(img, (k, k), float(rng.uniform(0.3, 1.2)))
    elif rng.random() < 0.15 * strength:
        k = int(rng.integers(3, 6))
        line = np.zeros((k, k), np.float32)
        line[k // 2] = 1.0 / k
        rot = cv2.getRotationMatrix2D(((k - 1) / 2, (k - 1) / 2), float(rng.uniform(0, 180)), 1)
        kernel = cv2.warpAffine(line, rot, (k, k))
        img = cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))
    if rng.random() < 0.5 * strength:
        img = img + rng.normal(0, rng.uniform(1, 10), img.shape).astype(np.float32)
    if rng.random() < 0.25 * strength and min(h, w) > 16:
        f = float(rng.uniform(0.4, 0.8))  # captured at low resolution, then upscaled
        small = cv2.resize(
            img, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA
        )
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.4 * strength:
        q = int(rng.integers(25, 90))
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            out = np.ascontiguousarray(decoded[..., ::-1])
    return out
