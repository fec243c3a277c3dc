"""A till receipt laid out flat: narrow thermal paper, a centred shop header, item lines
whose prices stand right-aligned far from their names, totals, dates and a footer."""

from __future__ import annotations

import cv2
import numpy as np

from ocrstudio.training.synth import page_vocab as pv
from ocrstudio.training.synth.backgrounds import fractal_noise
from ocrstudio.training.synth.page_canvas import (
    Canvas,
    Colour,
    Face,
    Flow,
    PageFonts,
    Style,
    wrap,
)
from ocrstudio.training.synth.vocab import DEFAULT_ALPHABET

Rng = np.random.Generator


def paper(rng: Rng, h: int, w: int, lo: float = 215.0, hi: float = 252.0) -> np.ndarray:
    """Light paper: a near-white tone (a little warm or cool), grain and faint blotches."""
    tone = rng.uniform(lo, hi)
    tint = rng.normal(0, 3, 3)
    img = np.empty((h, w, 3), np.float32)
    img[:] = np.clip(tone + tint, 0, 255)
    img += rng.normal(0, rng.uniform(0.5, 3.0), (h, w, 1)).astype(np.float32)
    sh, sw = max(2, h // 4), max(2, w // 4)
    blotch = fractal_noise(rng, sh, sw, 4)
    img += (cv2.resize(blotch, (w, h))[..., None] - 0.5) * rng.uniform(2, 12)
    return img


def ink(rng: Rng) -> Colour:
    """Printer ink: near-black, sometimes a faded grey, blue or purple."""
    v = rng.uniform(10, 80)
    c = np.array([v, v, v]) + rng.normal(0, 6, 3)
    if rng.random() < 0.1:
        c = c + np.array([-5.0, 0.0, 50.0]) * rng.random()
    return tuple(float(x) for x in np.clip(c, 0, 255))  # type: ignore[return-value]


class _Receipt:
    """The receipt being printed: one face, a column, and the item columns' right edges."""

    def __init__(self, rng: Rng, fonts: PageFonts, alphabet: str) -> None:
        self.rng = rng
        style: Style = "mono" if rng.random() < 0.65 else "sans"
        self.face, self.bold = fonts.pair(rng, style)
        if rng.random() < 0.5:  # many tills print everything in one weight
            self.bold = self.face
        self.size = int(rng.integers(13, 25))
        font = self.face.font(self.size)
        cols = int(rng.integers(30, 49))
        margin = int(self.size * rng.uniform(0.8, 2.5))
        width = int(cols * font.getlength("0")) + 2 * margin
        height = int(rng.integers(620, 1201))
        self.cv = Canvas(paper(rng, height, width), alphabet)
        if rng.random() < 0.5:  # thermal print fades unevenly
            self.cv.fade = 0.6 + 0.4 * fractal_noise(rng, height, width, 3)
        self.ink = ink(rng)
        self.spacing = float(rng.uniform(1.15, 1.55))
        self.flow = Flow(self.cv, margin, width - margin, margin * 0.7, height - margin * 0.7)
        # item columns from the right: [tax code] amount, unit price, quantity, each
        # right-aligned, wide enough for its longest number and apart by a gap
        digit = font.getlength("0")
        self.tax = bool(rng.random() < 0.35)
        self.amount_x = self.flow.x1 - (digit * 2 + self.size if self.tax else 0)
        gap = digit * float(rng.uniform(1.5, 4))
        self.price_x = self.amount_x - digit * 7 - gap
        self.has_price = bool(rng.random() < 0.6)
        self.qty_x = (self.price_x if self.has_price else self.amount_x) - digit * 6 - gap

    def centre(self, words: list[str], face: Face | None = None, size: int | None = None) -> bool:
        return self.flow.line(
            words, face or self.face, size or self.size, self.ink, "centre", self.spacing
        )

    def row(self, left: list[str], cells: list[tuple[float, list[str]]], face: Face | None = None,
            indent: float = 0.0) -> bool:  # fmt: skip
        """One printed line: `left` from the margin (cut to what fits before the first
        cell), each cell right-aligned at its x."""
        face = face or self.face
        baseline = self.flow.next(face, self.size, self.spacing)
        if baseline is None:
            return False
        x0 = self.flow.x0 + indent
        cells = [(x, c) for x, c in cells if c]
        room = min([x - self.cv.measure(c, face, self.size) for x, c in cells] or [self.flow.x1])
        fit = wrap(self.cv, left, face, self.size, max(1.0, room - x0 - self.size))
        if fit and self.cv.measure(fit[0], face, self.size) < room - x0 - self.size * 0.8:
            self.cv.run(x0, baseline, fit[0], face, self.size, self.ink)
        for x, c in cells:
            self.cv.run(x, baseline, c, face, self.size, self.ink, align="right")
        return True

    def rule(self) -> None:
        if self.flow.full(self.size):
            return
        y = self.flow.y + self.size * 0.5
        dash = int(self.rng.integers(0, 2)) * max(2, self.size // 4)
        self.cv.rule((self.flow.x0, y), (self.flow.x1, y), self.ink, 1, dash)
        self.flow.skip(self.size)


def _header(r: _Receipt) -> None:
    rng = r.rng
    big = int(r.size * rng.uniform(1.0, 1.6))
    r.centre(pv.shop_name(rng), r.bold, big)
    if rng.random() < 0.6:
        r.centre([f"({pv.code(rng, (5, 8))}-{pv.pick(rng, tuple('UXKDPAWHTM'))})"])
    for line in pv.address_lines(rng):
        r.centre(line)
    r.centre([pv.pick(rng, ("TEL:", "Tel:", "TEL", "Tel", "Phone:")), pv.phone(rng)])
    if rng.random() < 0.5:
        r.centre([pv.pick(rng, ("GST ID:", "GST REG NO:", "SST ID:", "VAT NO.")), pv.code(rng)])
    r.flow.skip(r.size * rng.uniform(0.3, 1.2))
    r.centre(pv.pick(rng, pv.RECEIPT_TITLES).split(), r.bold)


def _meta(r: _Receipt) -> None:
    rng = r.rng
    for _ in range(int(rng.integers(2, 6))):
        label = pv.pick(rng, pv.META_LABELS).split()
        value = [pv.pick(rng, (pv.date(rng), pv.code(rng), pv.clock(rng), pv.word(rng).upper(),
                               str(int(rng.integers(1, 40)))))]  # fmt: skip
        if rng.random() < 0.4:  # two fields on one line: "Date: 12/05/18   Time: 10:22"
            other = pv.pick(rng, ("Time:", "Table:", "Pax:", "POS:", "Shift:"))
            r.row(
                label + value,
                [
                    (
                        r.flow.x1,
                        [
                            other,
                            pv.clock(rng) if other == "Time:" else str(int(rng.integers(1, 30))),
                        ],
                    )
                ],
            )
        elif rng.random() < 0.5:
            r.row(label, [(r.flow.x1, value)])
        else:
            r.row(label + value, [])


def _items(r: _Receipt, stop: float) -> None:
    rng = r.rng
    head = pv.pick_row(rng, pv.ITEM_HEADERS)
    cells = [(r.qty_x, [head[1]]), (r.amount_x, [head[3]])]
    if r.has_price:
        cells.insert(1, (r.price_x, [head[2]]))
    r.row([head[0]], cells)
    r.rule()
    for n in range(60):
        if n >= 2 and r.flow.y >= stop:
            break
        q, unit = pv.qty(rng), pv.amount(rng, 60)
        total, right = pv.amount(rng, 300), r.amount_x
        code = [(r.flow.x1, [pv.pick(rng, pv.TAX_CODES)])] if r.tax else []
        if rng.random() < 0.6:
            cols = [(r.qty_x, [q]), (right, [total])]
            if r.has_price:
                cols.insert(1, (r.price_x, [unit]))
            ok = r.row(pv.item_name(rng), cols + code)
        else:  # the name alone, then "2 x 3.50" under it and the amount at the right
            ok = r.row(pv.item_name(rng, 5), [])
            sep = pv.pick(rng, ("x", "X", "@", "x"))
            n_items = str(int(rng.integers(1, 13)))
            ok = ok and r.row([n_items, sep, unit], [(right, [total])] + code, indent=r.size * 1.5)
        if not ok:
            return


def _totals(r: _Receipt) -> None:
    rng = r.rng
    r.rule()
    cur = pv.pick(rng, pv.CURRENCY)
    labels = list(dict.fromkeys(pv.pick(rng, pv.TOTALS) for _ in range(int(rng.integers(2, 7)))))
    for label in labels:
        cells = [(r.amount_x, [pv.amount(rng, 500)])]
        if cur and rng.random() < 0.5:  # "TOTAL        RM      25.00"
            cells.insert(0, (r.price_x, [cur]))
        face = r.bold if label.upper().startswith("TOTAL") else r.face
        r.row(label.split(), cells, face=face, indent=r.flow.width * 0.3 * (rng.random() < 0.3))
    if rng.random() < 0.4:
        r.rule()
        r.row(["GST", "Summary"], [(r.price_x, ["Amount"]), (r.flow.x1, ["Tax"])])
        r.row([f"SR @ {int(rng.integers(5, 11))}%"],
              [(r.price_x, [pv.amount(rng)]), (r.flow.x1, [pv.amount(rng, 20)])])  # fmt: skip


def _footer(r: _Receipt) -> None:
    rng = r.rng
    r.flow.skip(r.size * rng.uniform(0.3, 1.5))
    for _ in range(int(rng.integers(1, 4))):
        r.centre(pv.pick(rng, pv.FOOTERS).split())
    if rng.random() < 0.3:
        r.centre([pv.url(rng)])
    if rng.random() < 0.35 and not r.flow.full(r.size * 3):  # a barcode: bars, not text
        y0, h = r.flow.y + r.size * 0.5, r.size * 2.5
        x = (r.flow.x0 + r.flow.x1) / 2 - r.flow.width * 0.3
        while x < (r.flow.x0 + r.flow.x1) / 2 + r.flow.width * 0.3:
            bw = float(rng.integers(1, 4))
            r.cv.rect((x, y0, x + bw - 1, y0 + h), r.ink)
            x += bw + float(rng.integers(1, 4))
        r.flow.skip(h + r.size)


def receipt(rng: Rng, fonts: PageFonts, alphabet: str = DEFAULT_ALPHABET) -> Canvas:
    r = _Receipt(rng, fonts, alphabet)
    _header(r)
    _meta(r)
    r.rule()
    # room left for the totals and the footer: 8 to 16 lines
    _items(r, r.flow.y_end - r.size * r.spacing * rng.uniform(8, 16))
    _totals(r)
    _footer(r)
    r.cv.crop_height(int(min(r.flow.y, r.flow.y_end) + r.size * rng.uniform(1, 3)))
    return r.cv
