"""A demo project a newcomer can open at once: a few generated "photos" of signs and labels
with their text regions, some already verified (so training has data) and some left new
(so pre-labeling has work). Deterministic for a seed; nothing is downloaded.

Text is drawn with PIL on a flat layer, then rotated and tilted into the scene with one
affine warp per word; the same matrix maps the word's ink box to the region quad.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocrstudio import store
from ocrstudio.core.cancel import CancelToken
from ocrstudio.core.errors import InputError
from ocrstudio.core.geometry import reading_order
from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.services.jobs import JobProgressCallback
from ocrstudio.services.project import create_project, is_project

WORDS = (
    "OPEN",
    "CAFE",
    "Bakery",
    "EXIT",
    "Station",
    "PARKING",
    "Books",
    "Market",
    "Hotel",
    "PHARMACY",
    "Garden",
    "NO ENTRY",
    "Platform 3",
    "SALE",
    "Fresh Bread",
    "Museum",
    "Library",
    "Tickets",
    "Welcome",
    "Pizza",
    "Coffee",
    "Bus Stop",
    "Main St",
    "Taxi",
    "Post Office",
    "Bank",
    "Cinema",
    "Florist",
    "Hardware",
    "Closed",
    "Bicycles",
    "Tea",
)
NOTICE_WORDS = (
    "Open",
    "daily",
    "from",
    "9",
    "to",
    "18",
    "Sunday",
    "closed",
    "Please",
    "ring",
    "the",
    "bell",
    "Fresh",
    "coffee",
    "and",
    "cake",
    "Free",
    "WiFi",
    "inside",
    "Cash",
    "only",
    "Back",
    "in",
    "5",
    "minutes",
    "Thank",
    "you",
    "Entrance",
    "at",
    "rear",
)
SIZE = (960, 640)  # width, height of a demo photo


@dataclass(frozen=True)
class DemoImage:
    file: Path
    labels: PageLabels
    verified: bool


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font of the synth module's collection when it is installed, else PIL's own."""
    try:
        from ocrstudio.training.synth.fonts import discover_fonts

        fonts = discover_fonts()
        if fonts:
            return ImageFont.truetype(str(fonts[size % len(fonts)].path), size)
    except Exception:  # the demo must work without the training extras
        pass
    return ImageFont.load_default(size=size)


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A wall: two-colour gradient, blurred noise grain and a few darker bricks."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, np.pi)
    t = xx * np.cos(a) + yy * np.sin(a)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
    c0, c1 = rng.uniform(40, 200, 3), rng.uniform(40, 200, 3)
    img = c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]
    grain = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 3)
    img += 18 * grain[..., None]
    for _ in range(int(rng.integers(4, 9))):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        bw, bh = int(rng.integers(60, 260)), int(rng.integers(30, 120))
        img[y : y + bh, x : x + bw] *= rng.uniform(0.75, 0.95)
    return img


def _draw_plate(
    img: np.ndarray,
    rng: np.random.Generator,
    lines: list[list[str]],
    centre: tuple[float, float],
    size: int,
) -> list[Region]:
    """Draw lines of words on a plate centred at `centre`, rotated and sheared together;
    returns one region per word (its ink box, as an annotator would draw it)."""
    font = _font(size)
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    space, line_h = 0.35 * size, 1.35 * size
    pad = int(0.45 * size) + 6
    placed: list[tuple[str, float, float, tuple[float, float, float, float]]] = []
    width = 0.0
    for k, line in enumerate(lines):
        x = float(pad)
        for word in line:
            box = measure.textbbox((0, 0), word, font=font)
            placed.append((word, x, pad + k * line_h, box))
            x += box[2] - box[0] + space
        width = max(width, x - space + pad)
    tw, th = int(width), int(pad * 2 + (len(lines) - 1) * line_h + size)
    ink = Image.new("L", (tw, th), 0)
    draw = ImageDraw.Draw(ink)
    boxes = []
    for word, x, y, (x0, y0, x1, y1) in placed:
        draw.text((x - x0, y), word, font=font, fill=255)
        boxes.append(
            (
                word,
                np.array(
                    [[x, y + y0], [x + x1 - x0, y + y0], [x + x1 - x0, y + y1], [x, y + y1]], float
                ),
            )
        )
    m = np.asarray(
        cv2.getRotationMatrix2D((tw / 2, th / 2), float(rng.uniform(-12, 12)), 1.0),
        dtype=np.float64,
    )
    m[:, 1] += m[:, 0] * float(rng.uniform(-0.15, 0.15))
    m[:, 2] += np.asarray(centre) - m[:, :2] @ np.array([tw / 2, th / 2])
    h, w = img.shape[:2]
    plate_colour = rng.uniform(180, 255, 3) if rng.random() < 0.6 else rng.uniform(10, 80, 3)
    plate = cv2.warpAffine(np.full((th, tw), 255, np.uint8), m, (w, h)).astype(np.float32) / 255
    text = cv2.warpAffine(np.asarray(ink), m, (w, h)).astype(np.float32) / 255
    img[:] = img * (1 - plate[..., None]) + plate_colour * plate[..., None]
    img[:] = img * (1 - text[..., None]) + (255 - plate_colour) * text[..., None]
    return [Region(Polygon.from_array(q @ m[:, :2].T + m[:, 2]), text=word) for word, q in boxes]


def render_demo_image(seed: int) -> tuple[np.ndarray, list[Region]]:
    """One photo-like RGB image (uint8) and its regions in reading order: a few signs with
    big words, and a notice with lines of small ones."""
    rng = np.random.default_rng(seed)
    w, h = SIZE
    img = _background(rng, w, h)
    cells = [(0.25, 0.2), (0.75, 0.2), (0.25, 0.62), (0.75, 0.62)]
    notice = int(rng.integers(0, 4))
    regions: list[Region] = []
    for k, (fx, fy) in enumerate(cells):
        centre = (fx * w + rng.uniform(-40, 40), fy * h + rng.uniform(-25, 25))
        if k == notice:
            lines = [
                [str(rng.choice(NOTICE_WORDS)) for _ in range(int(rng.integers(2, 4)))]
                for _ in range(int(rng.integers(2, 4)))
            ]
            regions += _draw_plate(img, rng, lines, centre, int(rng.integers(20, 28)))
        elif rng.random() < 0.85:
            regions += _draw_plate(
                img, rng, [[str(rng.choice(WORDS))]], centre, int(rng.integers(34, 68))
            )
    img = cv2.GaussianBlur(np.clip(img, 0, 255).astype(np.uint8), (3, 3), 0.6)
    order = reading_order([r.polygon.as_array() for r in regions])
    return img, [regions[i].with_(order=k) for k, i in enumerate(order)]


def write_demo_images(
    folder: Path, count: int = 6, seed: int = 0, verified: int | None = None
) -> list[DemoImage]:
    """Write `count` photos as JPEG into `folder`; the first `verified` carry human labels."""
    folder.mkdir(parents=True, exist_ok=True)
    verified = count // 2 if verified is None else verified
    out = []
    for i in range(count):
        img, regions = render_demo_image(seed * 1000 + i)
        file = folder / f"demo_{i + 1:02d}.jpg"
        Image.fromarray(img).save(file, quality=90)
        labels = PageLabels(file.name, tuple(regions), img.shape[1], img.shape[0])
        out.append(DemoImage(file, labels, i < verified))
    return out


def create_demo_project(
    folder: Path,
    count: int = 6,
    seed: int = 0,
    progress: JobProgressCallback | None = None,
    cancel: CancelToken | None = None,
    verified: int | None = None,
) -> Path:
    """Write the demo photos into `folder/images` and make `folder` a project holding them:
    the first half labelled and verified (ready to train on), the rest new (to pre-label)."""
    if is_project(folder):
        raise InputError("a project already exists here", folder)
    demo = write_demo_images(folder / "images", count, seed, verified)
    handle = create_project(
        folder, folder / "images", name="ocrstudio demo", progress=progress, cancel=cancel
    )
    try:
        with handle.write() as s:
            ids = {Path(r.path).name: r.id for r in store.list_images(s)}
            for d in demo:
                if not d.verified:
                    continue
                image_id = ids[d.file.name]
                store.add_regions(
                    s, [(image_id, r.with_(verified=True)) for r in d.labels.regions], edited=True
                )
                store.set_image_status(s, image_id, store.ImageStatus.VERIFIED)
    finally:
        handle.close()
    return folder
