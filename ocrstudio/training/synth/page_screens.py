"""Screenshots laid out flat: desktop windows and web pages (title bar, tabs and address
bar or a menu bar, a sidebar, headings, paragraphs, links, buttons, inputs, cards, lists)
and phone screens (status bar, app bar, list rows, chat bubbles, bottom navigation), in a
light or dark theme with one accent colour; crisp anti-aliased text, no noise."""

from __future__ import annotations

import colorsys

import numpy as np

from ocrstudio.training.synth import page_vocab as pv
from ocrstudio.training.synth.page_canvas import (
    Align,
    Canvas,
    Colour,
    Face,
    Flow,
    PageFonts,
    wrap,
)

Rng = np.random.Generator
DESKTOP = ((1280, 800), (1366, 768), (1440, 900), (1280, 720), (1600, 900), (1024, 768))
PHONE = ((720, 1440), (720, 1280), (750, 1334), (720, 1520), (640, 1136))


def _grey(v: float) -> Colour:
    return (v, v, v)


def on(colour: Colour) -> Colour:
    """Text that reads on `colour`: near-white on dark fills, near-black on light ones."""
    luma = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
    return _grey(250.0) if luma < 150 else _grey(20.0)


def shade(colour: Colour, d: float) -> Colour:
    return tuple(float(np.clip(c + d, 0, 255)) for c in colour)  # type: ignore[return-value]


class _Screen:
    def __init__(self, rng: Rng, fonts: PageFonts, alphabet: str, phone: bool) -> None:
        self.rng = rng
        self.w, self.h = (PHONE if phone else DESKTOP)[int(rng.integers(0, 6 if not phone else 5))]
        dark = rng.random() < 0.3
        self.bg = _grey(float(rng.uniform(12, 45) if dark else rng.uniform(238, 255)))
        if rng.random() < 0.3:  # a tinted theme
            self.bg = shade(tuple(float(c) for c in rng.normal(self.bg[0], 8, 3)), 0)  # type: ignore[arg-type]
        self.text = _grey(float(rng.uniform(215, 245) if dark else rng.uniform(10, 60)))
        self.muted = _grey(float(rng.uniform(150, 180) if dark else rng.uniform(90, 125)))
        hue, sat, val = rng.random(), rng.uniform(0.45, 0.9), rng.uniform(0.45, 0.85)
        self.accent: Colour = tuple(255.0 * c for c in colorsys.hsv_to_rgb(hue, sat, val))  # type: ignore[assignment]
        # links need contrast with the page as text does
        self.link = self.accent if abs(_luma(self.accent) - _luma(self.bg)) > 80 else self.text
        style = pv.pick(rng, ("sans", "sans", "sans", "sans", "serif", "mono"))
        self.face, self.bold = fonts.pair(rng, style)  # type: ignore[arg-type]
        self.size = int(rng.integers(16, 23) if phone else rng.integers(12, 17))
        self.line = shade(self.bg, -20 if _luma(self.bg) > 128 else 20)  # dividers
        img = np.empty((self.h, self.w, 3), np.float32)
        img[:] = self.bg
        self.cv = Canvas(img, alphabet)

    def put(self, x: float, baseline: float, words: list[str], face: Face | None = None,
            size: int | None = None, colour: Colour | None = None,
            align: Align = "left") -> float | None:  # fmt: skip
        """Words in the theme's text colour (`Canvas.run`)."""
        face, size = face or self.face, size or self.size
        return self.cv.run(x, baseline, words, face, size, colour or self.text, align=align)

    def label(self, box: tuple[float, float, float, float], words: list[str], fill: Colour,
              face: Face | None = None, size: int | None = None, radius: int = 6,
              outline: bool = False) -> None:  # fmt: skip
        """A button or tab: a (rounded) panel with its words centred."""
        face, size = face or self.face, size or self.size
        if outline:
            self.cv.rect(box, fill, 1, radius)
            colour = self.text
        else:
            self.cv.rect(box, fill, -1, radius)
            colour = on(fill)
        x0, y0, x1, y1 = box
        words = _fit(self.cv, words, face, size, x1 - x0 - size)
        baseline = (y0 + y1) / 2 + size * 0.35
        self.cv.run((x0 + x1) / 2, baseline, words, face, size, colour, align="centre")


def _luma(c: Colour) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def _fit(cv: Canvas, words: list[str], face: Face, size: int, width: float) -> list[str]:
    lines = wrap(cv, words, face, size, width)
    return lines[0] if lines and cv.measure(lines[0], face, size) <= width else []


def _words(rng: Rng, lo: int, hi: int, title: bool = True) -> list[str]:
    words = [pv.word(rng) for _ in range(int(rng.integers(lo, hi + 1)))]
    return pv.cased(rng, words, 0.1, 0.6 if title else 0.2)


def _chrome(s: _Screen) -> float:
    """The window's title bar and tabs + address bar, or a menu bar; returns its bottom."""
    rng, cv, w = s.rng, s.cv, s.w
    bar = shade(s.bg, float(rng.uniform(-25, -8) if _luma(s.bg) > 128 else rng.uniform(8, 25)))
    th = int(s.size * rng.uniform(2.0, 2.6))
    cv.rect((0, 0, w, th), bar, -1)
    for k in range(3):
        x = w - th * (k + 0.5) if rng.random() < 0.5 else th * (k + 0.5)
        cv.icon(rng, x, th / 2, th * 0.35, s.muted)
    title = [*_words(rng, 1, 3), "-", pv.word(rng).capitalize()]
    cv.run(w / 2, th / 2 + s.size * 0.35, title, s.face, s.size, s.text, align="centre")
    y = float(th)
    if rng.random() < 0.5:  # a browser: tabs, then the address bar
        tw = int(rng.uniform(160, 240))
        for k in range(int(rng.integers(1, 5))):
            box = (8 + k * (tw + 4), y + 4, 8 + k * (tw + 4) + tw, y + th)
            s.label(box, _words(rng, 1, 5), s.bg if k == 0 else shade(bar, -8), radius=6)
        y += th + 6
        cv.rect((th * 3, y, w - th * 2, y + th - 4), shade(bar, 6), -1, th // 2)
        s.put(th * 3 + s.size, y + th / 2 - 2 + s.size * 0.35, [pv.url(rng)])
        cv.icon(rng, th * 1.5, y + th / 2, th * 0.4, s.muted)
        y += th + 4
    else:
        x = s.size * 0.8
        menus = pv.MENUS[: int(rng.integers(4, 10))]
        if rng.random() < 0.4:
            menus = tuple(pv.pick(rng, pv.MENUS) for _ in range(6))
        for m in menus:
            end = cv.run(x, y + th / 2 + s.size * 0.35, [m], s.face, s.size, s.text)
            x = (end or x) + s.size * 1.3
        y += th
    cv.rule((0, y), (w, y), shade(bar, -20))
    return y + 1


def _sidebar(s: _Screen, top: float) -> float:
    """A column of navigation items, one highlighted; returns its right edge."""
    rng, cv = s.rng, s.cv
    sw = float(rng.uniform(170, 280))
    fill = shade(s.bg, float(rng.uniform(-18, -6) if _luma(s.bg) > 128 else rng.uniform(6, 18)))
    cv.rect((0, top, sw, s.h), fill, -1)
    row = s.size * rng.uniform(2.0, 2.6)
    y = top + s.size
    chosen = int(rng.integers(0, 6))
    names = list(dict.fromkeys(pv.pick(rng, pv.NAV) for _ in range(12)))
    for k, name in enumerate(names):
        if y + row > s.h - s.size:
            break
        colour = s.text
        if k == chosen:
            cv.rect((6, y, sw - 6, y + row), s.accent, -1, 6)
            colour = on(s.accent)
        cv.icon(rng, s.size * 1.5, y + row / 2, s.size * 0.9, colour)
        words = [name] + ([str(int(rng.integers(1, 99)))] if rng.random() < 0.15 else [])
        cv.run(s.size * 3, y + row / 2 + s.size * 0.35, words, s.face, s.size, colour)
        y += row
    return sw


def _content(s: _Screen, flow: Flow) -> None:
    """Web-like blocks down the main area until it is full."""
    rng = s.rng
    for _ in range(30):
        if flow.full(s.size * 3):
            return
        r = rng.random()
        if r < 0.15:
            flow.skip(s.size * 0.6)
            flow.line(_words(rng, 1, 6), s.bold, int(s.size * rng.uniform(1.4, 2.2)), s.text)
        elif r < 0.45:
            size = s.size + int(rng.integers(0, 3))
            flow.line(pv.sentence(rng, int(rng.integers(8, 60))), s.face, size, s.text, "left", 1.5)
            flow.skip(s.size * 0.6)
        elif r < 0.55:
            _links(s, flow)
        elif r < 0.7:
            _buttons(s, flow)
        elif r < 0.8:
            _inputs(s, flow)
        else:
            _rows(s, flow)


def _links(s: _Screen, flow: Flow) -> None:
    for _ in range(int(s.rng.integers(1, 4))):
        baseline = flow.next(s.face, s.size, 1.6)
        if baseline is None:
            return
        words = [pv.url(s.rng)] if s.rng.random() < 0.3 else _words(s.rng, 1, 5)
        end = s.cv.run(flow.x0, baseline, words, s.face, s.size, s.link)
        if end is not None and s.rng.random() < 0.7:
            s.cv.rule((flow.x0, baseline + 3), (end, baseline + 3), s.link)


def _buttons(s: _Screen, flow: Flow) -> None:
    bh = s.size * s.rng.uniform(2.0, 2.8)
    if flow.full(bh + s.size):
        return
    x, y = flow.x0, flow.y + s.size * 0.4
    for k in range(int(s.rng.integers(1, 5))):
        words = pv.pick(s.rng, pv.BUTTONS).split()
        bw = s.cv.measure(words, s.bold, s.size) + s.size * s.rng.uniform(2, 4)
        if x + bw > flow.x1:
            break
        outline = k > 0 and s.rng.random() < 0.5
        radius = int(s.rng.integers(0, int(bh / 2)))
        s.label((x, y, x + bw, y + bh), words, s.accent, s.bold, radius=radius, outline=outline)
        x += bw + s.size
    flow.skip(bh + s.size)


def _inputs(s: _Screen, flow: Flow) -> None:
    for _ in range(int(s.rng.integers(1, 4))):
        ih = s.size * 2.4
        if flow.full(ih + s.size * 2.5):
            return
        flow.line(_words(s.rng, 1, 3), s.face, s.size, s.text, "left", 1.4)
        y, x1 = flow.y + 2, min(flow.x1, flow.x0 + flow.width * s.rng.uniform(0.4, 1.0))
        s.cv.rect((flow.x0, y, x1, y + ih), s.muted, 1, int(s.rng.integers(0, 8)))
        hint = pv.pick(s.rng, ("Search", "Email", "Password", "Name", "Enter", "Type"))
        words = _fit(s.cv, [hint, *_words(s.rng, 0, 2, False)], s.face, s.size,
                     x1 - flow.x0 - s.size * 1.4)  # fmt: skip
        s.put(flow.x0 + s.size * 0.7, y + ih / 2 + s.size * 0.35, words, colour=s.muted)
        flow.skip(ih + s.size)


def _rows(s: _Screen, flow: Flow) -> None:
    """A list or table: a name, then right-aligned facts (date, size, price, count)."""
    rng, cv = s.rng, s.cv
    row = s.size * rng.uniform(2.0, 2.8)
    for _ in range(int(rng.integers(2, 9))):
        if flow.full(row):
            return
        base = flow.y + row / 2 + s.size * 0.35
        cv.icon(rng, flow.x0 + s.size * 0.6, flow.y + row / 2, s.size, s.muted)
        facts = [pv.date(rng), f"{int(rng.integers(1, 999))} KB", pv.amount(rng),
                 pv.clock(rng), str(int(rng.integers(0, 50)))]  # fmt: skip
        x = flow.x1
        for f in rng.permutation(facts)[: int(rng.integers(1, 3))]:
            end = cv.measure([str(f)], s.face, s.size)
            cv.run(x, base, [str(f)], s.face, s.size, s.muted, align="right")
            x -= end + s.size * 2
        name = _fit(cv, _words(rng, 1, 5), s.face, s.size, x - flow.x0 - s.size * 3)
        s.put(flow.x0 + s.size * 2, base, name)
        cv.rule((flow.x0, flow.y + row), (flow.x1, flow.y + row), s.line)
        flow.skip(row)


def _phone(s: _Screen) -> None:
    rng, cv, w = s.rng, s.cv, s.w
    small = int(s.size * 0.85)
    sb = s.size * 2.2
    cv.run(s.size, sb / 2 + small * 0.35, [pv.clock(rng)[:5]], s.bold, small, s.text)
    battery = [f"{int(rng.integers(5, 101))}%"]
    s.put(w - s.size, sb / 2 + small * 0.35, battery, size=small, align="right")
    ab = s.size * 3.2
    fill = s.accent if rng.random() < 0.5 else s.bg
    cv.rect((0, sb, w, sb + ab), fill, -1)
    cv.icon(rng, s.size * 1.5, sb + ab / 2, s.size, on(fill))
    title = _words(rng, 1, 3)
    s.put(s.size * 3.5, sb + ab / 2 + s.size * 0.45, title, s.bold, int(s.size * 1.25), on(fill))
    bottom = float(s.h)
    if rng.random() < 0.6:  # bottom navigation: icons over their labels
        nb = s.size * 3.6
        bottom = s.h - nb
        cv.rule((0, bottom), (w, bottom), s.muted)
        names = list(dict.fromkeys(pv.pick(rng, pv.NAV) for _ in range(5)))
        names = names[: int(rng.integers(3, 6))]
        for k, name in enumerate(names):
            cx = w * (k + 0.5) / len(names)
            cv.icon(rng, cx, bottom + nb * 0.35, s.size, s.muted)
            cv.run(cx, bottom + nb * 0.8, [name], s.face, small, s.muted, align="centre")
    flow = Flow(cv, s.size, w - s.size, sb + ab + s.size * 0.5, bottom - s.size * 0.5)
    if rng.random() < 0.3:
        _chat(s, flow)
    else:
        _content(s, flow)


def _chat(s: _Screen, flow: Flow) -> None:
    rng, cv = s.rng, s.cv
    for _ in range(20):
        mine = rng.random() < 0.5
        said = pv.sentence(rng, int(rng.integers(1, 16)))
        lines = wrap(cv, said, s.face, s.size, flow.width * 0.6)
        lh = s.size * 1.35
        bh = lh * len(lines) + s.size
        if flow.full(bh + s.size):
            return
        bw = max(cv.measure(ln, s.face, s.size) for ln in lines) + s.size * 1.4
        x0 = flow.x1 - bw if mine else flow.x0
        fill = s.accent if mine else shade(s.bg, -22 if _luma(s.bg) > 128 else 22)
        cv.rect((x0, flow.y, x0 + bw, flow.y + bh), fill, -1, int(s.size * 0.8))
        for i, ln in enumerate(lines):
            baseline = flow.y + s.size * 1.45 + lh * i
            s.put(x0 + s.size * 0.7, baseline, ln, colour=on(fill))
        flow.skip(bh + s.size * 0.6)


def screenshot(rng: Rng, fonts: PageFonts, alphabet: str) -> Canvas:
    s = _Screen(rng, fonts, alphabet, phone=rng.random() < 0.35)
    if s.w < s.h:
        _phone(s)
        return s.cv
    top = _chrome(s)
    left = _sidebar(s, top) if rng.random() < 0.5 else 0.0
    pad = s.size * rng.uniform(1.5, 4)
    right = s.w - pad if rng.random() < 0.6 else min(s.w - pad, left + pad + s.size * 60)
    bottom = float(s.h)
    if rng.random() < 0.4:  # a status bar
        bottom = s.h - s.size * 1.8
        s.cv.rect((0, bottom, s.w, s.h), shade(s.bg, -15 if _luma(s.bg) > 128 else 15), -1)
        where = f"Ln {int(rng.integers(1, 999))}, Col {int(rng.integers(1, 80))}"
        items = ["Ready", where, "UTF-8", pv.clock(rng)]
        x = float(s.size)
        for it in items[: int(rng.integers(1, 5))]:
            end = s.cv.run(x, s.h - s.size * 0.5, it.split(), s.face, int(s.size * 0.9), s.text)
            x = (end or x) + s.size * 3
    _content(s, Flow(s.cv, left + pad, right, top + pad * 0.6, bottom - s.size))
    return s.cv
