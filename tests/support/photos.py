"""Photos of random pixels, for tests that need images in a project but never read them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def photos(folder: Path, n: int = 3) -> Path:
    """`n` small PNGs of random pixels (each a different height) in `folder`; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for k in range(n):
        arr = rng.integers(0, 255, (40 + k, 60, 3), dtype=np.uint8)
        Image.fromarray(arr).save(folder / f"p{k}.png")
    return folder
