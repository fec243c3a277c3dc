"""Font discovery for the synthetic-text renderer.

Fonts come from registry packages installed as dependencies (the `fontpkg-*` wheels from
PyPI announce themselves through the `fontpkg.family` entry-point group) and from the
system font folders; nothing is committed to this repository. Each font's glyph coverage
is checked against the alphabet once, so a word is only drawn in a font that has all of
its characters (a missing glyph would draw a box that the label does not mention).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import ImageFont

if TYPE_CHECKING:
    from PIL.ImageFont import Axis

SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".fonts",
    Path.home() / ".local/share/fonts",
    Path("/Library/Fonts"),
    Path("/System/Library/Fonts"),
    Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts",
)
FONT_SUFFIXES = (".ttf", ".otf")
# Symbol, emoji and math fonts render no readable Latin text.
_SKIP_WORDS = ("emoji", "symbol", "math", "icon", "awesome", "dingbat", "cmex", "cmsy", "stix")


@dataclass(frozen=True)
class FontFile:
    family: str
    path: Path
    variable: bool  # a variable font: weight can be chosen per sample


def _package_fonts() -> list[FontFile]:
    found: list[FontFile] = []
    for ep in entry_points(group="fontpkg.family"):
        try:
            module = ep.load()
        except Exception:  # a broken font package must not break training
            continue
        family = str(getattr(module, "FAMILY", ep.name))
        root = Path(getattr(module, "ROOT", Path(module.__file__).parent))
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() in FONT_SUFFIXES:
                found.append(FontFile(family, path, "[" in path.name))
    return found


def _system_fonts(dirs: tuple[Path, ...]) -> list[FontFile]:
    found: list[FontFile] = []
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.rglob("*")):
            if path.suffix.lower() not in FONT_SUFFIXES:
                continue
            try:
                family = ImageFont.truetype(str(path), 12).getname()[0] or path.stem
            except OSError:
                continue
            found.append(FontFile(family, path, "[" in path.name))
    return found


@functools.cache
def discover_fonts(include_system: bool = True) -> tuple[FontFile, ...]:
    """Every usable font file, package fonts first; duplicates by path removed."""
    fonts = _package_fonts() + (_system_fonts(SYSTEM_FONT_DIRS) if include_system else [])
    seen: set[Path] = set()
    out = []
    for f in fonts:
        low = f"{f.family} {f.path.name}".lower()
        if f.path in seen or any(w in low for w in _SKIP_WORDS):
            continue
        seen.add(f.path)
        out.append(f)
    return tuple(out)


def families(fonts: tuple[FontFile, ...] | None = None) -> list[str]:
    return sorted({f.family for f in (discover_fonts() if fonts is None else fonts)})


def _axis_values(axes: Sequence[Axis], weight: int) -> list[float] | None:
    """Each axis at its default, the weight axis at `weight`, within the axis's bounds;
    None when an axis has no default or bounds (nothing to set then)."""
    values: list[float] = []
    for axis in axes:
        is_weight = bytes(axis.get("name", b"")) in (b"Weight", b"wght")
        value = weight if is_weight else axis["default"]
        low, high = axis["minimum"], axis["maximum"]
        if value is None or low is None or high is None:
            return None
        values.append(min(max(value, low), high))
    return values


@functools.lru_cache(maxsize=1024)
def load_font(
    path: Path, size: int, weight: int | None = None, basic: bool = False
) -> ImageFont.FreeTypeFont:
    """The font at `size` (and `weight` on a variable font); `basic`: FreeType's own layout
    instead of raqm, for left-to-right text only (raqm measures and draws 3-10x slower,
    and a rendered page draws thousands of words)."""
    engine = ImageFont.Layout.BASIC if basic else None
    font = ImageFont.truetype(str(path), size, layout_engine=engine)
    if weight is not None:
        try:
            values = _axis_values(font.get_variation_axes(), weight)
            if values is not None:
                font.set_variation_by_axes(values)
        except (OSError, KeyError, TypeError):
            pass  # not a variable font after all, or FreeType without variations
    return font


_GLYPHS: dict[Path, dict[str, bool]] = {}


def has_glyphs(path: Path, text: str) -> bool:
    """Whether the font has a real glyph for every character of `text` (cached per char).

    Missing glyphs render as the font's .notdef shape; comparing a character's bitmap with
    that of a code point no font maps tells them apart.
    """
    known = _GLYPHS.setdefault(path, {})
    for ch in text:
        ok = known.get(ch)
        if ok is None:
            ok = known[ch] = ch.isspace() or _renders(path, ch)
        if not ok:
            return False
    return True


def coverage(path: Path, alphabet: str) -> frozenset[str]:
    """Characters of `alphabet` the font really has a glyph for."""
    return frozenset(ch for ch in alphabet if has_glyphs(path, ch))


def _renders(path: Path, ch: str) -> bool:
    font = load_font(path, 24)
    bm = _bitmap(font, ch)
    notdef = _bitmap(font, "\U0010fffd")
    return bool(bm.size and bm.any()) and not (
        bm.shape == notdef.shape and np.array_equal(bm, notdef)
    )


def _bitmap(font: ImageFont.FreeTypeFont, ch: str) -> np.ndarray:
    mask = font.getmask(ch)
    return np.asarray(mask, dtype=np.uint8).reshape(mask.size[1], mask.size[0])
