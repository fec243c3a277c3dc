"""Procedural backgrounds that look enough like photographed surfaces: gradients, fractal
noise coloured by a palette, wood/stone-like stripes, tiles, bokeh blobs, paper grain, and
crops of user-given photos (only from a folder named explicitly). No image is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

Rng = np.random.Generator


def random_colour(rng: Rng) -> np.ndarray:
    return rng.uniform(0, 255, 3).astype(np.float32)


def fractal_noise(rng: Rng, h: int, w: int, octaves: int = 5, base: int = 4) -> np.ndarray:
    """Value noise summed over octaves, in [0, 1]: smooth clouds with fine detail."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = base * 2**o
        gh, gw = max(2, cells * h // max(h, w) + 1), max(2, cells * w // max(h, w) + 1)
        grid = rng.random((gh, gw), dtype=np.float32)
        out += amp * cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= float(rng.uniform(0.4, 0.65))
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / max(hi - lo, 1e-6)


def _palette(rng: Rng, t: np.ndarray, n: int = 3) -> np.ndarray:
    """Map a [0, 1] field through a random gradient of `n` colours."""
    stops = np.sort(rng.random(n - 2)) if n > 2 else np.zeros(0)
    xs = np.concatenate([[0.0], stops, [1.0]])
    cols = np.stack([random_colour(rng) for _ in range(n)])
    if rng.random() < 0.6:  # real surfaces are mostly muted: pull colours towards grey
        cols = cols * 0.5 + cols.mean(1, keepdims=True) * 0.5
    out = np.empty((*t.shape, 3), np.float32)
    for c in range(3):
        out[..., c] = np.interp(t, xs, cols[:, c])
    return out


def gradient(rng: Rng, h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if rng.random() < 0.6:
        a = rng.uniform(0, 2 * np.pi)
        t = xx * np.cos(a) + yy * np.sin(a)
    else:
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        t = np.hypot(xx - cx, yy - cy)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    return _palette(rng, t, 2)


def clouds(rng: Rng, h: int, w: int) -> np.ndarray:
    return _palette(rng, fractal_noise(rng, h, w), int(rng.integers(2, 5)))


def stripes(rng: Rng, h: int, w: int) -> np.ndarray:
    """Wood grain / brushed metal: sinusoidal bands warped by noise."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, np.pi)
    freq = rng.uniform(0.02, 0.2)
    warp = fractal_noise(rng, h, w, 4) * rng.uniform(2, 12)
    t = 0.5 + 0.5 * np.sin((xx * np.cos(a) + yy * np.sin(a)) * freq + warp)
    return _palette(rng, t.astype(np.float32), 2)


def tiles(rng: Rng, h: int, w: int) -> np.ndarray:
    """Bricks or tiles: a grid of slightly different cells with mortar lines."""
    th, tw = int(rng.integers(12, 80)), int(rng.integers(12, 120))
    base = random_colour(rng)
    img = np.empty((h, w, 3), np.float32)
    for r, y in enumerate(range(0, h, th)):
        shift = (tw // 2) * (r % 2) if rng.random() < 0.7 else 0
        for x in range(-shift, w, tw):
            img[y : y + th, max(x, 0) : x + tw] = base + rng.normal(0, 18, 3)
    mortar = random_colour(rng)
    img[::th] = mortar
    img[:, ::tw] = mortar
    return img + (fractal_noise(rng, h, w, 3)[..., None] - 0.5) * 30


def bokeh(rng: Rng, h: int, w: int) -> np.ndarray:
    """Out-of-focus scene: large soft blobs of colour."""
    img = gradient(rng, h, w)
    for _ in range(int(rng.integers(3, 15))):
        overlay = img.copy()
        r = int(rng.uniform(0.05, 0.4) * max(h, w))
        cv2.circle(
            overlay,
            (int(rng.integers(0, w)), int(rng.integers(0, h))),
            r,
            random_colour(rng).tolist(),
            -1,
        )
        img = cv2.addWeighted(
            overlay, float(rng.uniform(0.2, 0.6)), img, 1 - float(rng.uniform(0.2, 0.6)), 0
        )
    k = max(3, (max(h, w) // 12) | 1)
    return cv2.GaussianBlur(img, (k, k), 0)


def paper(rng: Rng, h: int, w: int) -> np.ndarray:
    """A flat light or dark surface with grain and faint fibres."""
    c = random_colour(rng) * 0.3 + (200 if rng.random() < 0.7 else 30)
    img = np.broadcast_to(c, (h, w, 3)).astype(np.float32).copy()
    img += rng.normal(0, rng.uniform(2, 10), (h, w, 1)).astype(np.float32)
    img += (fractal_noise(rng, h, w, 6, 8)[..., None] - 0.5) * rng.uniform(5, 30)
    return img


GENERATORS: tuple[Callable[[Rng, int, int], np.ndarray], ...] = (
    gradient,
    clouds,
    stripes,
    tiles,
    bokeh,
    paper,
)


def _photo_crop(rng: Rng, h: int, w: int, photos: Sequence[Path]) -> np.ndarray | None:
    img = cv2.imread(str(photos[int(rng.integers(0, len(photos)))]), cv2.IMREAD_COLOR)
    if img is None:
        return None
    ih, iw = img.shape[:2]
    scale = max(h / ih, w / iw) * rng.uniform(1.0, 2.0)
    img = cv2.resize(img, (max(w, int(iw * scale) + 1), max(h, int(ih * scale) + 1)))
    y, x = int(rng.integers(0, img.shape[0] - h + 1)), int(rng.integers(0, img.shape[1] - w + 1))
    return img[y : y + h, x : x + w, ::-1].astype(np.float32)


def background(rng: Rng, h: int, w: int, photos: Sequence[Path] = ()) -> np.ndarray:
    """An HxWx3 float32 RGB surface in [0, 255]."""
    img = _photo_crop(rng, h, w, photos) if photos and rng.random() < 0.5 else None
    if img is None:
        # Large surfaces are made at half size and enlarged (they are smooth anyway), then
        # get full-resolution grain back.
        f = 2 if max(h, w) > 400 else 1
        sh, sw = -(-h // f), -(-w // f)
        img = GENERATORS[int(rng.integers(0, len(GENERATORS)))](rng, sh, sw)
        if rng.random() < 0.3:  # blend two surfaces: stains, shadows, mixed materials
            other = GENERATORS[int(rng.integers(0, len(GENERATORS)))](rng, sh, sw)
            mask = fractal_noise(rng, sh, sw, 3)[..., None]
            img = img * mask + other * (1 - mask)
        if rng.random() < 0.5:  # uneven lighting
            img = img * (0.7 + 0.6 * fractal_noise(rng, sh, sw, 2, 2)[..., None])
        if f > 1:
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
            img += rng.normal(0, 2.0, (h, w, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.float32)


def list_photos(folder: str | Path | None) -> tuple[Path, ...]:
    if folder is None:
        return ()
    exts = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
    return tuple(sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in exts))
