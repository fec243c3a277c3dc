"""A flat page to lay printed text out on: words drawn upright at a baseline, each one
recorded with its box, runs of words recorded as lines; plus the fonts a page uses
(monospace, sans, serif, display, chosen by family) and the non-text marks of a page
(rules, boxes, rounded panels, icons).

Layouts (receipts, forms, documents, screens) draw here; `pages.py` then scans or
photographs the flat page and maps the boxes with the same warp as the pixels.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocrstudio.training.synth.fonts import (
    FontFile,
    discover_fonts,
    has_glyphs,
    load_font,
)
from ocrstudio.training.synth.vocab import DEFAULT_ALPHABET

Rng = np.random.Generator
Style = Literal["mono", "sans", "serif", "display", "hand"]
Align = Literal["left", "right", "centre", "justify"]
Colour = tuple[float, float, float]

# Family names that say how a face looks; a family matching none counts as sans (the
# commonest print and UI face). Monospace is told from the glyph widths instead.
_HAND = ("caveat", "dancing", "indie", "marker", "script", "hand", "brush", "kalam", "shadows")
_DISPLAY = ("fatface", "display", "poster", "lobster", "bangers", "pacifico")
_SERIF = (
    "serif", "garamond", "baskerville", "crimson", "merriweather", "lora", "bitter",
    "slab", "playfair", "times", "georgia", "libertin", "caslon", "charter",
)  # fmt: skip
# Files that are not a plain upright face (kept for display use only).
_NOT_PLAIN = ("italic", "oblique", "thin", "light", "black", "extra", "heavy", "condensed")


@dataclass(frozen=True)
class Face:
    """One font file, at a weight where the file is a variable font."""

    path: Path
    weight: int | None = None

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return load_font(self.path, int(size), self.weight, basic=True)


def _is_mono(path: Path) -> bool:
    f = load_font(path, 20)
    return f.getlength("i") == f.getlength("W") == f.getlength("0")


def _style(family: str, files: Sequence[FontFile]) -> Style:
    low = family.lower()
    if any(k in low for k in _HAND):
        return "hand"
    if any(k in low for k in _DISPLAY) and "playfair" not in low:
        return "display"
    if _is_mono(files[0].path):
        return "mono"
    if "sans" not in low and any(k in low for k in _SERIF):
        return "serif"
    return "sans"


class PageFonts:
    """The installed families sorted by look; a face is a family's plain or bold file."""

    def __init__(self, fonts: tuple[FontFile, ...] | None = None) -> None:
        fonts = discover_fonts() if fonts is None else fonts
        if not fonts:
            raise RuntimeError("no fonts found: install the fontpkg-* dependencies")
        self.by_family: dict[str, list[FontFile]] = {}
        for f in fonts:
            self.by_family.setdefault(f.family, []).append(f)
        self.by_style: dict[Style, list[str]] = {}
        for fam in sorted(self.by_family):
            self.by_style.setdefault(_style(fam, self.by_family[fam]), []).append(fam)

    def family(self, rng: Rng, style: Style) -> str:
        for s in (style, "sans", "serif", "mono", "display", "hand"):
            fams = self.by_style.get(s)
            if fams:
                return fams[int(rng.integers(0, len(fams)))]
        raise RuntimeError("no fonts")

    def face(self, rng: Rng, family: str, bold: bool = False) -> Face:
        files = self.by_family[family]
        plain = [f for f in files if not any(k in f.path.name.lower() for k in _NOT_PLAIN)]
        pool = plain or files
        if bold:
            heavy = [f for f in pool if "bold" in f.path.name.lower()]
            pool = heavy or [f for f in pool if f.variable] or pool
        else:
            pool = [f for f in pool if "bold" not in f.path.name.lower()] or pool
        f = pool[int(rng.integers(0, len(pool)))]
        if not f.variable:
            return Face(f.path)
        weight = int(rng.choice([600, 700, 800])) if bold else int(rng.choice([400, 400, 500]))
        return Face(f.path, weight)

    def pair(self, rng: Rng, style: Style) -> tuple[Face, Face]:
        """A regular and a bold face of one family of `style`."""
        fam = self.family(rng, style)
        return self.face(rng, fam), self.face(rng, fam, bold=True)


@functools.lru_cache(maxsize=1024)
def _cap_height(path: Path, size: int, weight: int | None) -> int:
    """How far capitals rise above the baseline: every word's box reaches at least this
    high, as annotators box a word to the height of its line, not its lowercase ink."""
    box = load_font(path, size, weight, basic=True).getbbox("H", anchor="ls")
    return int(-box[1])


@dataclass(frozen=True)
class Word:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 on the flat page
    text: str
    line: int  # the run it was drawn in (one line label per run)
    baseline: float  # runs on one printed line share it (an item and its price)


class Canvas:
    """A float32 RGB page; `run` draws words, `ink` is their coverage (text only)."""

    def __init__(self, img: np.ndarray, alphabet: str = DEFAULT_ALPHABET) -> None:
        self.img = img
        h, w = img.shape[:2]
        self.w, self.h = w, h
        self.ink = np.zeros((h, w), np.float32)
        self.taken = np.zeros((h, w), bool)  # word boxes so far: no word overlaps another
        self.fade: np.ndarray | None = None  # optional per-pixel ink strength (thermal print)
        self.words: list[Word] = []
        self.alphabet = alphabet
        self.lines = 0

    def clean(self, words: Sequence[str]) -> list[str]:
        """The words as drawn: characters outside the alphabet dropped, split at spaces
        (a label never holds a space)."""
        out = ("".join(ch for ch in w if ch in self.alphabet) for w in words)
        return [part for w in out for part in w.split()]

    def measure(self, words: Sequence[str], face: Face, size: int, gap: float = 1.0) -> float:
        font = face.font(size)
        words = self.clean(words)
        if not words:
            return 0.0
        space = font.getlength(" ") * gap
        return sum(font.getlength(w) for w in words) + space * (len(words) - 1)

    def run(
        self,
        x: float,
        baseline: float,
        words: Sequence[str],
        face: Face,
        size: int,
        colour: Colour,
        *,
        align: Align = "left",
        gap: float = 1.0,
        width: float | None = None,
        opacity: float = 1.0,
    ) -> float | None:
        """Draw `words` on one baseline from `x` (its right end for "right", its centre
        for "centre"; "justify" spreads them over `width`). A word outside the page, over
        an earlier word, or with a glyph the face lacks is left out (and unlabelled).
        Returns the right end of what was drawn, None when nothing was."""
        words = self.clean(words)
        if not words:
            return None
        font = face.font(size)
        space = font.getlength(" ") * gap
        lengths = [font.getlength(w) for w in words]
        total = sum(lengths) + space * (len(words) - 1)
        if align == "justify" and width is not None and len(words) > 1:
            space = max(space, (width - sum(lengths)) / (len(words) - 1))
        elif align == "right":
            x -= total
        elif align == "centre":
            x -= total / 2
        end = None
        for word, length in zip(words, lengths, strict=True):
            if has_glyphs(face.path, word):
                box = self._word(x, baseline, word, face, font, size, colour, opacity)
                if box is not None:
                    end = box[2]
            x += length + space
        if end is not None:
            self.lines += 1
        return end

    def _word(
        self,
        x: float,
        baseline: float,
        text: str,
        face: Face,
        font: ImageFont.FreeTypeFont,
        size: int,
        colour: Colour,
        opacity: float,
    ) -> tuple[float, float, float, float] | None:
        ascent, descent = font.getmetrics()
        pad = 2 + size // 3  # room for overhangs (italics, f, j)
        pw = int(math.ceil(font.getlength(text))) + 2 * pad
        ph = ascent + descent + 2 * pad
        patch = Image.new("L", (pw, ph), 0)
        ImageDraw.Draw(patch).text((pad, pad + ascent), text, font=font, fill=255, anchor="ls")
        mask = np.asarray(patch, np.float32) / 255.0
        ys, xs = np.nonzero(mask > 0.02)
        if not len(xs):
            return None
        ox, oy = int(round(x)) - pad, int(round(baseline)) - ascent - pad
        base = oy + pad + ascent
        cap = _cap_height(face.path, size, face.weight)
        x0, x1 = ox + int(xs.min()), ox + int(xs.max()) + 1
        y0, y1 = min(oy + int(ys.min()), base - cap), max(oy + int(ys.max()) + 1, base)
        if x0 < 1 or y0 < 1 or x1 > self.w - 1 or y1 > self.h - 1:
            return None
        if self.taken[y0 - 1 : y1 + 1, x0 - 1 : x1 + 1].any():
            return None
        # the patch may reach past the page where it holds no ink: clip it
        cx0, cy0 = max(ox, 0), max(oy, 0)
        cx1, cy1 = min(ox + pw, self.w), min(oy + ph, self.h)
        m = mask[cy0 - oy : cy1 - oy, cx0 - ox : cx1 - ox]
        a = m * opacity
        if self.fade is not None:
            a = a * self.fade[cy0:cy1, cx0:cx1]
        region = self.img[cy0:cy1, cx0:cx1]
        region *= 1 - a[..., None]
        region += a[..., None] * np.asarray(colour, np.float32)
        np.maximum(self.ink[cy0:cy1, cx0:cx1], m, out=self.ink[cy0:cy1, cx0:cx1])
        self.taken[y0:y1, x0:x1] = True
        box = (float(x0), float(y0), float(x1), float(y1))
        self.words.append(Word(box, text, self.lines, float(base)))
        return box

    def crop_height(self, h: int) -> None:
        """Cut the page to its top `h` rows (a receipt ends where its print ends)."""
        h = max(1, min(self.h, int(h)))
        self.img, self.ink, self.taken = self.img[:h], self.ink[:h], self.taken[:h]
        if self.fade is not None:
            self.fade = self.fade[:h]
        self.h = h

    # -- marks that are not text ---------------------------------------------------------

    def rule(
        self, p0: tuple[float, float], p1: tuple[float, float], colour: Colour, t: int = 1,
        dash: int = 0,
    ) -> None:  # fmt: skip
        """A straight line, solid or dashed (`dash` px on, `dash` px off)."""
        a, b = np.asarray(p0, float), np.asarray(p1, float)
        if dash <= 0:
            cv2.line(self.img, _pt(a), _pt(b), colour, max(1, t))
            return
        n = max(1, int(np.linalg.norm(b - a) // (2 * dash)))
        for k in range(n):
            s, e = a + (b - a) * (2 * k) / (2 * n), a + (b - a) * (2 * k + 1) / (2 * n)
            cv2.line(self.img, _pt(s), _pt(e), colour, max(1, t))

    def rect(self, box: Sequence[float], colour: Colour, t: int = -1, radius: int = 0) -> None:
        """A filled (t = -1) or outlined rectangle, corners rounded by `radius`."""
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        r = max(0, min(radius, (x1 - x0) // 2, (y1 - y0) // 2))
        if r == 0:
            cv2.rectangle(self.img, (x0, y0), (x1, y1), colour, t)
            return
        if t < 0:
            cv2.rectangle(self.img, (x0 + r, y0), (x1 - r, y1), colour, -1)
            cv2.rectangle(self.img, (x0, y0 + r), (x1, y1 - r), colour, -1)
        else:
            for p, q in (((x0 + r, y0), (x1 - r, y0)), ((x0 + r, y1), (x1 - r, y1)),
                         ((x0, y0 + r), (x0, y1 - r)), ((x1, y0 + r), (x1, y1 - r))):  # fmt: skip
                cv2.line(self.img, p, q, colour, t)
        for cx, cy, ang in ((x0 + r, y0 + r, 180), (x1 - r, y0 + r, 270),
                            (x1 - r, y1 - r, 0), (x0 + r, y1 - r, 90)):  # fmt: skip
            cv2.ellipse(self.img, (cx, cy), (r, r), 0, ang, ang + 90, colour, t)

    def icon(self, rng: Rng, cx: float, cy: float, s: float, colour: Colour) -> None:
        """A small glyph-like mark that is not text (menu, search, circle, chevron, box):
        what a detector must learn to leave alone on screens and forms."""
        kind = int(rng.integers(0, 5))
        c, h = _pt(np.array([cx, cy])), max(2, int(s / 2))
        if kind == 0:
            for dy in (-h // 2, 0, h // 2):
                cv2.line(self.img, (c[0] - h, c[1] + dy), (c[0] + h, c[1] + dy), colour, 2)
        elif kind == 1:
            cv2.circle(self.img, (c[0] - h // 4, c[1] - h // 4), max(2, h // 2), colour, 2)
            cv2.line(self.img, (c[0] + h // 6, c[1] + h // 6), (c[0] + h, c[1] + h), colour, 2)
        elif kind == 2:
            cv2.circle(self.img, c, h, colour, -1 if rng.random() < 0.5 else 2)
        elif kind == 3:
            pts = np.array([[c[0] - h // 2, c[1] - h], [c[0] + h // 2, c[1]],
                            [c[0] - h // 2, c[1] + h]], np.int32)  # fmt: skip
            cv2.polylines(self.img, [pts], False, colour, 2)
        else:
            cv2.rectangle(self.img, (c[0] - h, c[1] - h), (c[0] + h, c[1] + h), colour, 2)


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def wrap(
    canvas: Canvas, words: Sequence[str], face: Face, size: int, width: float
) -> list[list[str]]:
    """`words` broken into lines no wider than `width` (a word wider than that alone)."""
    font = face.font(size)
    space = font.getlength(" ")
    lines: list[list[str]] = []
    cur: list[str] = []
    used = 0.0
    for w in canvas.clean(words):
        need = font.getlength(w) + (space if cur else 0.0)
        if cur and used + need > width:
            lines.append(cur)
            cur, used = [], 0.0
            need = font.getlength(w)
        cur.append(w)
        used += need
    if cur:
        lines.append(cur)
    return lines


def line_height(face: Face, size: int) -> float:
    ascent, descent = face.font(size).getmetrics()
    return float(ascent + descent)


class Flow:
    """A column that lines are put into from the top: `next` reserves a line and gives
    its baseline (None once the column is full)."""

    def __init__(self, cv: Canvas, x0: float, x1: float, y: float, y_end: float) -> None:
        self.cv, self.x0, self.x1, self.y, self.y_end = cv, x0, x1, y, y_end

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    def next(self, face: Face, size: int, spacing: float = 1.25) -> float | None:
        ascent, descent = face.font(size).getmetrics()
        step = max(ascent + descent, size * spacing)
        if self.y + step > self.y_end:
            return None
        baseline = self.y + (step - ascent - descent) / 2 + ascent
        self.y += step
        return baseline

    def skip(self, px: float) -> None:
        self.y += px

    def full(self, px: float = 0.0) -> bool:
        return self.y + px > self.y_end

    def line(
        self, words: Sequence[str], face: Face, size: int, colour: Colour,
        align: Align = "left", spacing: float = 1.25,
    ) -> bool:  # fmt: skip
        """Words on the next line(s), wrapped to the column; False when it is full."""
        for part in wrap(self.cv, words, face, size, self.width):
            baseline = self.next(face, size, spacing)
            if baseline is None:
                return False
            x = {"left": self.x0, "right": self.x1, "centre": (self.x0 + self.x1) / 2}.get(
                align, self.x0
            )
            self.cv.run(x, baseline, part, face, size, colour, align=align)
        return True
