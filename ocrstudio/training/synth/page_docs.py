"""Printed pages laid out flat: forms (labelled fields on rules or in boxes, checkboxes,
tables, memo headers, one or two columns) and documents (headings, running paragraphs,
lists, figures, page numbers), in small dense print on an A4-like sheet."""

from __future__ import annotations

import numpy as np

from ocrstudio.training.synth import page_vocab as pv
from ocrstudio.training.synth.backgrounds import background
from ocrstudio.training.synth.page_canvas import (
    Canvas,
    Colour,
    Face,
    Flow,
    PageFonts,
    Style,
    line_height,
    wrap,
)
from ocrstudio.training.synth.page_receipt import ink, paper

Rng = np.random.Generator


class _Sheet:
    """An A4-like sheet, its faces (regular, bold, a pen's hand) and the text column."""

    def __init__(
        self, rng: Rng, fonts: PageFonts, alphabet: str, style: Style, per_line: tuple[int, int]
    ) -> None:
        self.rng = rng
        w = int(760 + 940 * rng.random() ** 2)  # most pages small, as scans at 100 dpi are
        h = int(w * rng.uniform(1.29, 1.42))
        self.cv = Canvas(paper(rng, h, w, 225, 254), alphabet)
        self.face, self.bold = fonts.pair(rng, style)
        self.hand = fonts.face(rng, fonts.family(rng, "hand"))
        self.size = int(np.clip(w / rng.uniform(*per_line), 11, 28))
        self.ink = ink(rng)
        margin = w * rng.uniform(0.05, 0.12)
        self.flow = Flow(self.cv, margin, w - margin, margin * 0.8, h - margin * 0.9)
        self.spacing = float(rng.uniform(1.15, 1.45))

    def line(self, words: list[str], face: Face | None = None, size: int | None = None,
             align: str = "left", spacing: float | None = None) -> bool:  # fmt: skip
        return self.flow.line(
            words, face or self.face, size or self.size, self.ink, align,  # type: ignore[arg-type]
            spacing or self.spacing,
        )  # fmt: skip

    def put(self, x: float, baseline: float, words: list[str], face: Face | None = None,
            size: int | None = None, align: str = "left") -> float | None:  # fmt: skip
        """Words in the sheet's ink at `x` on `baseline` (`Canvas.run`)."""
        face, size = face or self.face, size or self.size
        return self.cv.run(x, baseline, words, face, size, self.ink, align=align)  # type: ignore[arg-type]

    def fit(self, words: list[str], face: Face, size: int, width: float) -> list[str]:
        """The words of `words` that fit on one line `width` wide."""
        lines = wrap(self.cv, words, face, size, width)
        return lines[0] if lines and self.cv.measure(lines[0], face, size) <= width else []

    def value(self) -> tuple[list[str], Face, int, Colour]:
        """What a field holds, typed or written by hand (a pen's colour then)."""
        rng = self.rng
        words = [
            pv.person(rng), [pv.date(rng)], pv.priced(rng, 5000), [pv.code(rng)],
            [pv.phone(rng)], pv.cased(rng, [pv.word(rng) for _ in range(rng.integers(1, 4))]),
        ][int(rng.integers(0, 6))]  # fmt: skip
        if rng.random() < 0.25:
            pen = (20.0, 30.0, float(rng.uniform(60, 160))) if rng.random() < 0.6 else self.ink
            return words, self.hand, int(self.size * rng.uniform(1.1, 1.4)), pen
        return words, self.face, self.size, self.ink


def _title(s: _Sheet, words: list[str], scale: tuple[float, float], centre: float) -> None:
    size = int(s.size * s.rng.uniform(*scale))
    s.line(words, s.bold, size, "centre" if s.rng.random() < centre else "left", 1.3)
    s.flow.skip(s.size * s.rng.uniform(0.3, 1.0))


def _fields(s: _Sheet) -> None:
    rng, cv, flow = s.rng, s.cv, s.flow
    cols = 2 if rng.random() < 0.5 else 1
    colw = flow.width / cols
    kind = int(rng.integers(0, 3))  # 0: value on a rule, 1: value in a box, 2: plain
    label_face = s.bold if rng.random() < 0.4 else s.face
    for _ in range(int(rng.integers(2, 7))):
        baseline = flow.next(s.face, s.size, float(rng.uniform(1.7, 2.5)))
        if baseline is None:
            return
        for c in range(cols):
            x0 = flow.x0 + c * colw
            x1 = x0 + colw - s.size * (1.5 if c < cols - 1 else 0)
            end = s.put(x0, baseline, pv.pick(rng, pv.FIELD_LABELS).split(), label_face)
            if end is None or x1 - end < s.size * 4:
                continue
            vx = end + s.size * 0.6
            words, face, size, colour = s.value()
            if kind == 0:
                cv.rule((vx, baseline + s.size * 0.4), (x1, baseline + s.size * 0.4), s.ink)
            elif kind == 1:
                top, bottom = baseline - s.size * 1.05, baseline + s.size * 0.45
                cv.rect((vx, top, x1, bottom), s.ink, 1)
            if rng.random() < 0.75:
                words = s.fit(words, face, size, x1 - vx - s.size * 0.8)
                cv.run(vx + s.size * 0.4, baseline, words, face, size, colour)


def _checks(s: _Sheet) -> None:
    rng, cv = s.rng, s.cv
    for _ in range(int(rng.integers(1, 4))):
        baseline = s.flow.next(s.face, s.size, 1.8)
        if baseline is None:
            return
        x = s.put(s.flow.x0, baseline, pv.pick(rng, pv.FIELD_LABELS).split(), s.bold)
        x = (x or s.flow.x0) + s.size * 1.2
        box = int(s.size * 0.75)
        for _ in range(int(rng.integers(2, 5))):
            if x + box * 8 > s.flow.x1:
                break
            top = baseline - box
            cv.rect((x, top, x + box, baseline), s.ink, 1)
            if rng.random() < 0.35:  # ticked with a cross: a mark, not text
                cv.rule((x + 2, top + 2), (x + box - 2, baseline - 2), s.ink, 2)
                cv.rule((x + 2, baseline - 2), (x + box - 2, top + 2), s.ink, 2)
            end = s.put(x + box * 1.5, baseline, [pv.pick(rng, pv.CHECK_OPTIONS)])
            x = (end or x + box * 2) + s.size * 1.5


def _cell(rng: Rng, kind: int) -> list[str]:
    if kind == 0:
        return pv.cased(rng, [pv.word(rng) for _ in range(int(rng.integers(1, 4)))])
    if kind == 1:
        return [pv.amount(rng, 9000)]
    if kind == 2:
        return [pv.date(rng)]
    if kind == 3:
        return [pv.code(rng, (2, 7))]
    return [str(int(rng.integers(0, 100)))]


def _table(s: _Sheet) -> None:
    rng, cv, flow = s.rng, s.cv, s.flow
    ncol = int(rng.integers(2, 7))
    widths = rng.uniform(0.6, 1.6, ncol)
    xs = flow.x0 + np.concatenate([[0], np.cumsum(widths / widths.sum())]) * flow.width
    row_h = s.size * float(rng.uniform(1.6, 2.2))
    nrow = min(int(rng.integers(3, 11)), int((flow.y_end - flow.y) // row_h) - 1)
    if nrow < 2:
        return
    kinds = [0] + [int(rng.integers(0, 5)) for _ in range(ncol - 1)]
    pad = s.size * 0.4
    top = flow.y
    if rng.random() < 0.4:  # a shaded header row
        tone = float(cv.img[int(top), int(xs[0])].mean() * 0.85)
        cv.rect((xs[0], top, xs[-1], top + row_h), (tone, tone, tone), -1)
    for r in range(nrow):
        y = top + r * row_h
        baseline = y + row_h / 2 + s.size * 0.35
        for c in range(ncol):
            if r > 0 and rng.random() < 0.1:
                continue  # an empty cell
            words = [pv.word(rng).capitalize()] if r == 0 else _cell(rng, kinds[c])
            face = s.bold if r == 0 else s.face
            words = s.fit(words, face, s.size, xs[c + 1] - xs[c] - 2 * pad)
            right = kinds[c] in (1, 4) and r > 0
            x = xs[c + 1] - pad if right else xs[c] + pad
            cv.run(x, baseline, words, face, s.size, s.ink, align="right" if right else "left")
    vertical = rng.random() < 0.7
    for r in range(nrow + 1):
        cv.rule((xs[0], top + r * row_h), (xs[-1], top + r * row_h), s.ink)
    for x in xs if vertical else xs[[0, -1]]:
        cv.rule((x, top), (x, top + nrow * row_h), s.ink)
    flow.skip(nrow * row_h + s.size)


def _memo(s: _Sheet) -> None:
    rng, cv = s.rng, s.cv
    labels = ["TO:", "FROM:", "DATE:", "RE:", "CC:", "FAX:", "PAGES:", "SUBJECT:"]
    keep = np.sort(rng.choice(len(labels), int(rng.integers(3, 6)), replace=False))
    labels = [labels[int(i)] for i in keep]
    if rng.random() < 0.4:
        labels = [lab.capitalize() for lab in labels]
    tab = s.flow.x0 + cv.measure(["SUBJECT:"], s.bold, s.size) + s.size * rng.uniform(1, 4)
    for lab in labels:
        baseline = s.flow.next(s.face, s.size, float(rng.uniform(1.5, 2.2)))
        if baseline is None:
            return
        cv.run(s.flow.x0, baseline, [lab], s.bold, s.size, s.ink)
        words, face, size, colour = s.value()
        cv.run(tab, baseline, s.fit(words, face, size, s.flow.x1 - tab), face, size, colour)
    s.flow.skip(s.size)


def _paragraph(
    s: _Sheet, flow: Flow, justify: bool, indent: float, size: int | None = None
) -> None:
    rng, cv = s.rng, s.cv
    size = size or s.size
    words = pv.sentence(rng, int(rng.integers(6, 20)))
    for _ in range(int(rng.integers(0, 6))):
        words += pv.sentence(rng, int(rng.integers(5, 20)))
    lines = wrap(cv, words, s.face, size, flow.width - indent)
    first = lines[0] if lines else []
    rest = wrap(cv, words[len(first) :], s.face, size, flow.width)
    for i, part in enumerate([first, *rest]):
        baseline = flow.next(s.face, size, s.spacing)
        if baseline is None:
            return
        x = flow.x0 + (indent if i == 0 else 0)
        last = i == len(rest)
        align = "justify" if justify and not last else "left"
        cv.run(x, baseline, part, s.face, size, s.ink, align=align, width=flow.x1 - x)  # type: ignore[arg-type]
    flow.skip(size * s.rng.uniform(0.3, 1.0))


def _heading(s: _Sheet, flow: Flow, number: str) -> None:
    words = pv.words(s.rng, 1, 4, 0.4, 0.6)
    flow.skip(s.size * 0.5)
    size = int(s.size * s.rng.uniform(1.0, 1.5))
    flow.line([number, *words] if number else words, s.bold, size, s.ink)
    flow.skip(s.size * 0.3)


def _bullets(s: _Sheet, flow: Flow) -> None:
    rng, cv = s.rng, s.cv
    r = max(2, s.size // 6)
    for _ in range(int(rng.integers(2, 6))):
        words = pv.sentence(rng, int(rng.integers(3, 14)))
        for i, part in enumerate(wrap(cv, words, s.face, s.size, flow.width - s.size * 1.5)):
            baseline = flow.next(s.face, s.size, s.spacing)
            if baseline is None:
                return
            if i == 0:  # the bullet is a dot drawn, not a character read
                x, y = flow.x0 + s.size * 0.3, baseline - s.size * 0.35
                cv.rect((x, y - r, x + 2 * r, y + r), s.ink, -1, r)
            cv.run(flow.x0 + s.size * 1.5, baseline, part, s.face, s.size, s.ink)
    flow.skip(s.size * 0.5)


def _figure(s: _Sheet, flow: Flow) -> None:
    h = flow.width * s.rng.uniform(0.25, 0.6)
    if flow.full(h + s.size * 3):
        return
    # a picture: a surface of `backgrounds` (no text in it), or a plain grey box
    x0, y0, x1, y1 = (int(round(v)) for v in (flow.x0, flow.y, flow.x1, flow.y + h))
    if s.rng.random() < 0.7:
        s.cv.img[y0:y1, x0:x1] = background(s.rng, y1 - y0, x1 - x0)
    else:
        grey = float(s.rng.uniform(150, 235))
        s.cv.rect((x0, y0, x1, y1), (grey, grey, grey), -1)
    flow.skip(h + s.size * 0.5)
    caption = [pv.pick(s.rng, ("Figure", "Fig.", "Table")), f"{int(s.rng.integers(1, 20))}:"]
    caption += pv.sentence(s.rng, int(s.rng.integers(3, 12)))
    flow.line(caption, s.face, int(s.size * 0.9), s.ink, "centre")
    flow.skip(s.size * 0.5)


def _page_number(s: _Sheet) -> None:
    n = int(s.rng.integers(1, 300))
    last = str(n + int(s.rng.integers(0, 9)))
    words = pv.pick_row(
        s.rng, ((str(n),), ("-", str(n), "-"), ("Page", str(n)), ("Page", str(n), "of", last))
    )
    y = s.cv.h - (s.cv.h - s.flow.y_end) / 2
    x = (s.flow.x0 + s.flow.x1) / 2 if s.rng.random() < 0.6 else s.flow.x1
    s.put(x, y, list(words), size=int(s.size * 0.9), align="centre" if x < s.flow.x1 else "right")


def _section(s: _Sheet) -> None:
    """A section heading: plain bold, or light text on a dark bar."""
    rng, flow = s.rng, s.flow
    if rng.random() < 0.6 or flow.full(s.size * 2):
        _heading(s, flow, f"{int(rng.integers(1, 10))}." if rng.random() < 0.4 else "")
        return
    y = flow.y
    s.cv.rect((flow.x0, y, flow.x1, y + s.size * 1.6), s.ink, -1)
    words = pv.words(rng, 1, 3, 0.7, 0.3)
    s.cv.run(flow.x0 + s.size * 0.5, y + s.size * 1.15, words, s.bold, s.size, (245.0,) * 3)
    flow.skip(s.size * 2.2)


def _form_footer(s: _Sheet) -> None:
    rng = s.rng
    if rng.random() < 0.5:
        rev = f"(Rev. {int(rng.integers(1, 13))}/{int(rng.integers(80, 100))})"
        y = s.cv.h - (s.cv.h - s.flow.y_end) / 2
        s.put(s.flow.x0, y, ["Form", pv.code(rng, (2, 5)), *rev.split()], size=int(s.size * 0.85))
    else:
        _page_number(s)


def form(rng: Rng, fonts: PageFonts, alphabet: str) -> Canvas:
    style: Style = pv.pick(rng, ("sans", "sans", "sans", "serif", "mono"))  # type: ignore[assignment]
    s = _Sheet(rng, fonts, alphabet, style, (50, 80))
    if rng.random() < 0.6:
        s.line(pv.shop_name(rng), s.bold, int(s.size * rng.uniform(1.1, 1.6)))
        for line in pv.address_lines(rng)[: int(rng.integers(1, 3))]:
            s.line([w.title() for w in line], size=int(s.size * 0.9))
    _title(s, pv.pick(rng, pv.FORM_TITLES).split(), (1.2, 2.0), 0.7)
    blocks = (_fields, _fields, _checks, _table, _memo)
    for _ in range(12):
        if s.flow.full(s.size * 4):
            break
        r = rng.random()
        if r < 0.15:
            _section(s)
        elif r < 0.3:
            _paragraph(s, s.flow, False, 0.0, int(s.size * 0.9))
        else:
            blocks[int(rng.integers(0, len(blocks)))](s)
    _form_footer(s)
    return s.cv


def document(rng: Rng, fonts: PageFonts, alphabet: str) -> Canvas:
    style: Style = pv.pick(rng, ("serif", "serif", "serif", "sans", "sans", "mono"))  # type: ignore[assignment]
    s = _Sheet(rng, fonts, alphabet, style, (45, 75))
    if rng.random() < 0.4:  # a running header over a rule
        small = int(s.size * 0.85)
        baseline = s.flow.next(s.face, small, 1.3)
        if baseline is not None:
            s.put(s.flow.x0, baseline, pv.words(rng, 1, 5), size=small)
            s.put(s.flow.x1, baseline, [pv.date(rng)], size=small, align="right")
            s.cv.rule((s.flow.x0, s.flow.y + 2), (s.flow.x1, s.flow.y + 2), s.ink)
            s.flow.skip(s.size)
    if rng.random() < 0.6:
        _title(s, pv.words(rng, 2, 7, 0.3, 0.7), (1.4, 2.2), 0.6)
        if rng.random() < 0.5:
            s.line(pv.person(rng), align="centre")
            s.flow.skip(s.size)
    _body(s)
    _page_number(s)
    return s.cv


def _body(s: _Sheet) -> None:
    """Headings, paragraphs, lists and figures, in one column or two."""
    rng = s.rng
    ncols = 2 if rng.random() < 0.3 else 1
    gutter = s.size * rng.uniform(1.5, 3)
    colw = (s.flow.width - gutter * (ncols - 1)) / ncols
    justify, indent = rng.random() < 0.5, s.size * 2 * float(rng.random() < 0.5)
    section = 1
    for c in range(ncols):
        x0 = s.flow.x0 + c * (colw + gutter)
        flow = Flow(s.cv, x0, x0 + colw, s.flow.y, s.flow.y_end)
        for _ in range(500):  # each block moves down the column; the cap is a safeguard
            if flow.full(line_height(s.face, s.size) * 2):
                break
            r = rng.random()
            if r < 0.15:
                _heading(s, flow, f"{section}." if rng.random() < 0.5 else "")
                section += 1
            elif r < 0.25:
                _bullets(s, flow)
            elif r < 0.3:
                _figure(s, flow)
            else:
                _paragraph(s, flow, justify, indent)
