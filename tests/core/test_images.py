"""Issue 14.4 / 12.2 and 14.12: one image reader (`core.images`) for the whole app, right
for 16-bit, palette, CMYK, alpha, grayscale and EXIF rotation, and a pixel limit that
refuses huge images from their header with a one-line error (the rest still run)."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from ocrstudio.cli import main
from ocrstudio.core import images as I
from ocrstudio.core.errors import InputError
from ocrstudio.services import project as P

# the app's one reader, called by its name by the GUI, prelabel, training, the ocr
# command and the crops export
READERS: dict[str, Callable[[Path], np.ndarray]] = {"core": I.read_image}


def gradient(h: int = 20, w: int = 30) -> np.ndarray:
    return np.linspace(0, 1, h * w, dtype=np.float64).reshape(h, w)


def write_kind(kind: str, path: Path) -> np.ndarray:
    """Write an image of `kind`; returns the RGB uint8 pixels a viewer shows for it."""
    g8 = (gradient() * 255).round().astype(np.uint8)
    rgb = np.stack([g8, 255 - g8, np.full_like(g8, 40)], axis=2)
    if kind == "16-bit gray":
        cv2.imwrite(str(path), (gradient() * 65535).round().astype(np.uint16))
        return np.repeat(g8[..., None], 3, axis=2)
    if kind == "16-bit colour":
        cv2.imwrite(str(path), (rgb[..., ::-1].astype(np.uint16) * 257))
        return rgb
    if kind == "gray":
        Image.fromarray(g8).save(path)
        return np.repeat(g8[..., None], 3, axis=2)
    if kind == "palette":
        im = Image.fromarray(rgb).quantize(16)
        im.save(path)
        return np.asarray(im.convert("RGB"))
    if kind == "palette transparent":
        im = Image.fromarray(rgb).quantize(16)
        im.info["transparency"] = 0
        im.save(path, transparency=0)
        want = np.asarray(im.convert("RGB")).copy()
        want[np.asarray(im) == 0] = 255
        return want
    if kind == "rgba":
        alpha = np.where(g8 > 127, 255, 0).astype(np.uint8)
        Image.fromarray(np.dstack([np.zeros_like(rgb), alpha[..., None]])).save(path)
        return np.where(alpha[..., None] > 0, 0, 255).astype(np.uint8).repeat(3, axis=2)
    if kind == "cmyk":
        im = Image.fromarray(rgb).convert("CMYK")
        im.save(path, quality=100)
        return np.asarray(Image.open(path).convert("RGB"))
    if kind == "exif rotated":
        exif = Image.Exif()
        exif[I.EXIF_ORIENTATION] = 6
        Image.fromarray(rgb).save(path, exif=exif)
        return np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    raise AssertionError(kind)


KINDS = (
    "16-bit gray",
    "16-bit colour",
    "gray",
    "palette",
    "palette transparent",
    "rgba",
    "cmyk",
    "exif rotated",
)


@pytest.mark.parametrize("kind", KINDS)
def test_every_reader_shows_the_same_right_pixels(tmp_path: Path, kind: str) -> None:
    path = tmp_path / ("a.jpg" if kind in ("cmyk", "exif rotated") else "a.png")
    want = write_kind(kind, path)
    for name, reader in READERS.items():
        got = reader(path)
        assert got.dtype == np.uint8 and got.shape == want.shape, (name, got.shape)
        assert np.abs(got.astype(int) - want).max() <= 2, name  # 16-bit: not clipped white
    info = I.image_info(path)
    assert (info.height, info.width) == want.shape[:2]


def huge_png(path: Path, width: int, height: int) -> Path:
    """A valid PNG header saying width x height over a few bytes of data (the issue's
    280 KB 40,000 x 40,000 file, without making one)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def test_images_over_the_pixel_limit_are_refused_from_the_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = huge_png(tmp_path / "huge.png", 40_000, 40_000)
    for call in (I.read_image, I.image_info, P.read_image_facts, *READERS.values()):
        with pytest.raises(InputError, match="over the limit") as info:
            call(huge)
        assert "huge.png" in str(info.value) and "\n" not in str(info.value)
    monkeypatch.setenv(I.MAX_PIXELS_ENV, "2000000000")  # the documented setting
    assert I.image_info(huge).width == 40_000
    monkeypatch.setenv(I.MAX_PIXELS_ENV, "lots")
    with pytest.raises(InputError, match=I.MAX_PIXELS_ENV):
        I.image_info(huge)


def test_import_refuses_a_huge_image_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    huge_png(imgs / "huge.png", 30_000, 30_000)
    assert main(["project", "new", str(tmp_path / "p"), "--images", str(imgs)]) == 2
    err = capsys.readouterr().err.strip()
    assert "huge.png" in err and "over the limit" in err and "\n" not in err
    assert not P.is_project(tmp_path / "p")


def test_ocr_and_recognize_refuse_a_huge_image_and_run_the_rest(
    tiny_ocr_models: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    det, rec = tiny_ocr_models
    good = tmp_path / "good.png"
    Image.fromarray((gradient(32, 100) * 255).astype(np.uint8)).save(good)
    huge = huge_png(tmp_path / "huge.png", 40_000, 40_000)
    for argv in (["ocr", "--det", str(det), "--rec", str(rec)], ["recognize", "--rec", str(rec)]):
        code = main([*argv, "--device", "cpu", str(good), str(huge), str(good)])
        out, err = capsys.readouterr()
        assert code == 1
        assert [json.loads(line)["image"] for line in out.splitlines()] == [str(good)] * 2
        assert "huge.png" in err and "over the limit" in err and "Traceback" not in err
