"""The one image reader of ocrstudio: every part that turns an image file into pixels (the
command line, the GUI, pre-labeling, training data, the crops export) calls `read_image`,
and an import reads sizes with `image_info`, so a file means the same pixels everywhere.

- EXIF orientation is applied: the frame a project's stored sizes and polygons refer to.
- 16-bit grayscale or colour is scaled to 8 bits (65535 -> 255), not clipped to white.
- Palette, grayscale, CMYK and the other modes become RGB; transparency (RGBA, LA, a
  palette with a transparent colour) is composed over white, as viewers show it.
- Pixel limit: an image of more than `max_pixels()` pixels (width x height) is refused
  from its header, before anything is decoded, with an `InputError` naming the file. The
  default is 100 million (a 12,000 x 8,000 photo); the environment variable
  `OCRSTUDIO_MAX_PIXELS` sets another, and `limit=` another for one call.
"""

from __future__ import annotations

import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ocrstudio.core.errors import InputError

# The photo files a project takes and an import attaches labels to: one list for both
# (an import once could not find the .webp photos a project had taken).
IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_MAX_PIXELS = 100_000_000
MAX_PIXELS_ENV = "OCRSTUDIO_MAX_PIXELS"
EXIF_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
# Our own limit is checked from the header first, with a message that says what to do;
# PIL's (a warning, then an error at twice its size) would only get in its way.
Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True)
class ImageInfo:
    """What the header says: size after the EXIF orientation, the tag, the mode."""

    width: int
    height: int
    orientation: int
    mode: str


def max_pixels() -> int:
    """The pixel limit: `OCRSTUDIO_MAX_PIXELS` when set, else `DEFAULT_MAX_PIXELS`."""
    raw = os.environ.get(MAX_PIXELS_ENV, "").strip().replace("_", "")
    if not raw:
        return DEFAULT_MAX_PIXELS
    if not raw.isdigit() or int(raw) <= 0:
        raise InputError(f"{MAX_PIXELS_ENV} must be a positive whole number, got {raw[:40]!r}")
    return int(raw)


def _check_file(path: Path) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path) from None
    if not stat.S_ISREG(mode):  # a FIFO or a device would block or never end
        raise InputError("not a regular file", path)


def _open(path: Path) -> Image.Image:
    _check_file(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except UnidentifiedImageError:
        raise InputError("not an image format ocrstudio reads", path) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"cannot read image: {exc}", path) from None


def _info(im: Image.Image, path: Path, limit: int | None) -> ImageInfo:
    width, height = im.size
    cap = max_pixels() if limit is None else limit
    if width * height > cap:
        raise InputError(
            f"image of {width} x {height} = {width * height:,} pixels is over "
            f"the limit of {cap:,} (set {MAX_PIXELS_ENV} to allow more)",
            path,
        )
    try:
        orientation = int(im.getexif().get(EXIF_ORIENTATION, 1) or 1)
    except (TypeError, ValueError, OSError, SyntaxError):
        orientation = 1  # an unreadable EXIF block: the pixels are still good
    if orientation not in range(1, 9):
        orientation = 1  # out-of-range tags are ignored, as viewers do
    if orientation in (5, 6, 7, 8):  # the transposing orientations swap the axes
        width, height = height, width
    return ImageInfo(width, height, orientation, im.mode)


def image_info(path: str | Path, limit: int | None = None) -> ImageInfo:
    """The header's facts (no pixels decoded); InputError when unreadable or too big."""
    path = Path(path)
    with _open(path) as im:
        return _info(im, path, limit)


def read_image(path: str | Path, limit: int | None = None, turns: int = 0) -> np.ndarray:
    """RGB uint8 (H, W, 3), EXIF orientation applied, then `turns` clockwise quarter turns
    (a project image a person rotated); InputError naming the file when it is missing,
    not an image, damaged or over the pixel limit."""
    path = Path(path)
    with _open(path) as im:
        info = _info(im, path, limit)
        try:
            im.load()
            rgb = to_rgb8(im)
        except (OSError, ValueError, SyntaxError, MemoryError) as exc:
            raise InputError(f"cannot read image: {exc}", path) from None
    if info.orientation != 1:
        rgb = np.asarray(Image.fromarray(rgb).transpose(_TRANSPOSE[info.orientation]))
    if turns % 4:
        rgb = np.rot90(rgb, k=-(turns % 4))  # rot90 turns counter-clockwise for k > 0
    return np.ascontiguousarray(rgb)


def to_rgb8(im: Image.Image) -> np.ndarray:
    """Any decoded PIL image as RGB uint8 pixels (see the module docstring)."""
    if im.mode in _SIXTEEN_BIT:
        wide = np.asarray(im).astype(np.float32)
        gray = np.clip(wide / 257.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if im.mode == "F":
        flt = np.nan_to_num(np.asarray(im, dtype=np.float32))
        scale = 255.0 if flt.size and float(flt.max()) <= 1.0 else 1.0
        gray = np.clip(flt * scale + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "La", "RGBa", "PA") or (
        im.mode == "P" and "transparency" in im.info
    ):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(im if im.mode == "RGB" else im.convert("RGB"))
