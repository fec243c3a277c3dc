"""A receipt photographed a few degrees off square, as word regions: the lines and columns
a reader expects, for the line-grouping tests (issue 27.11)."""

from __future__ import annotations

import math

from ocrstudio.core.types import PageLabels, Polygon, Region

LETTER, HEIGHT, PITCH = 11.0, 18.0, 26.0
# (text, left edge) per line: a centred header, a phrase, then two price columns
LINES: list[list[tuple[str, float]]] = [
    [("LIGHTROOM GALLERY", 70.0)],
    [("No: 28, JALAN KEMAJUAN", 20.0)],
    [("ITEM", 20.0), ("QTY", 250.0), ("AMOUNT", 320.0)],
    [("Pen", 20.0), ("1", 250.0), ("1.00", 320.0)],
    [("Notebook", 20.0), ("2", 250.0), ("327.00", 320.0)],
    [("TOTAL", 20.0), ("328.00", 320.0)],
]


def receipt(skew_deg: float = 4.0) -> PageLabels:
    """One region per word, turned by `skew_deg` about the page's corner (listed in a
    shuffled order: grouping must not lean on the order regions come in)."""
    c, s = math.cos(math.radians(skew_deg)), math.sin(math.radians(skew_deg))
    regions = []
    for row, line in enumerate(LINES):
        top = 40.0 + row * PITCH
        for phrase, left in line:
            x = left
            for word in phrase.split(" "):
                box = [
                    (x, top),
                    (x + LETTER * len(word), top),
                    (x + LETTER * len(word), top + HEIGHT),
                    (x, top + HEIGHT),
                ]
                turned = tuple((px * c - py * s + 30, px * s + py * c) for px, py in box)
                regions.append(Region(Polygon(turned), word))
                x += LETTER * (len(word) + 1)
    shuffled = regions[1::2] + regions[::2]
    return PageLabels("receipt.jpg", tuple(shuffled), 480, 260)


def words_per_line() -> list[list[str]]:
    return [[w for phrase, _ in line for w in phrase.split(" ")] for line in LINES]
