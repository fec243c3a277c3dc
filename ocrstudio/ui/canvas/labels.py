"""Where the transcription plates go, so that on a dense sign they cover neither each other
nor the words: each region, in reading order, takes the first free place of above it and
below it; a region with no free place shows its text only while selected or hovered.
Rectangles are bucketed in a grid, so thousands of regions lay out in one pass."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QRectF

from ocrstudio.ui.canvas.items import RegionItem

PLACES = ("above", "below")


class _Grid:
    def __init__(self, cell: float):
        self.cell = max(cell, 1.0)
        self.cells: dict[tuple[int, int], list[tuple[int, QRectF]]] = defaultdict(list)

    def _keys(self, r: QRectF) -> Iterable[tuple[int, int]]:
        c = self.cell
        for i in range(int(r.left() // c), int(r.right() // c) + 1):
            for j in range(int(r.top() // c), int(r.bottom() // c) + 1):
                yield i, j

    def add(self, owner: int, r: QRectF) -> None:
        for k in self._keys(r):
            self.cells[k].append((owner, r))

    def hits(self, r: QRectF, ignore: int) -> bool:
        inner = r.adjusted(0.5, 0.5, -0.5, -0.5)  # touching edges is not covering
        return any(
            owner != ignore and inner.intersects(other)
            for k in self._keys(r)
            for owner, other in self.cells.get(k, ())
        )


def layout_labels(items: Sequence[RegionItem], only_selected: bool = False) -> None:
    """Give every item a placement (`RegionItem.place_label`); `only_selected`: none, so
    texts show for the selected and hovered regions alone."""
    if only_selected or not items:
        for item in items:
            item.place_label(None)
        return
    boxes = [(item.rid, item.sceneBoundingRect()) for item in items]
    heights = sorted(b.height() for _, b in boxes)
    grid = _Grid(4 * heights[len(heights) // 2])
    for rid, box in boxes:
        grid.add(rid, box)
    labels = _Grid(grid.cell)
    for item in sorted(
        items, key=lambda it: (it.region.polygon.bounds[1], it.region.polygon.bounds[0])
    ):
        where = None
        for place in PLACES:
            rect = item.label_rect(place)
            if not grid.hits(rect, item.rid) and not labels.hits(rect, -1):
                where = place
                labels.add(item.rid, rect)
                break
        item.place_label(where)
