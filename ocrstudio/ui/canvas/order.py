"""Reading order on the canvas: each region's number in a badge (a view option), and
renumbering by clicking the regions in sequence (Enter, or the last region, ends it; Esc
drops it). The chosen sequence goes out through `chosen`; the editor stores it."""

from __future__ import annotations

from collections.abc import Callable

from ocrstudio.ui.canvas.items import RegionItem


class ReadingOrder:
    def __init__(
        self,
        items: dict[int, RegionItem],
        chosen: Callable[[list[int]], None],
        repaint: Callable[[], None],
    ):
        self.items, self.chosen, self.repaint = items, chosen, repaint
        self.order: list[int] = []  # region ids in the stored reading order
        self.show = False
        self.sequence: list[int] | None = None  # clicked so far while renumbering

    @property
    def active(self) -> bool:
        return self.sequence is not None

    def set_order(self, ids: list[int]) -> None:
        self.order = list(ids)
        self.update()

    def set_show(self, show: bool) -> None:
        self.show = show
        self.update()

    def start(self) -> None:
        if self.items:
            self.sequence = []
            self.update()

    def click(self, item: RegionItem | None) -> None:
        if self.sequence is None or item is None or item.rid in self.sequence:
            return
        self.sequence.append(item.rid)
        self.update()
        if len(self.sequence) == len(self.items):
            self.finish(keep=True)

    def finish(self, keep: bool) -> None:
        picked, self.sequence = self.sequence or [], None
        self.update()
        if keep and picked:
            self.chosen(picked)

    def update(self) -> None:
        """Badges: the sequence so far while renumbering (the rest blank), else the
        stored order when shown, else none."""
        ids = self.sequence if self.sequence is not None else self.order if self.show else []
        numbers = {rid: k + 1 for k, rid in enumerate(ids)}
        for rid, item in self.items.items():
            pending = self.sequence is not None and rid not in numbers
            item.set_order_number(numbers.get(rid, 0 if pending else None), pending)
        self.repaint()
