"""A person's reading order of an image's regions (no Qt): the order export writers and
the region list follow, kept through later edits (regions added later come last) until
the person goes back to the automatic, geometric order. One transaction each; returns
the state before, for undo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ocrstudio import store
from ocrstudio.services.project import ProjectHandle
from ocrstudio.store.regions import set_order


@dataclass(frozen=True)
class OrderState:
    region_ids: tuple[int, ...]
    manual: bool


def set_reading_order(
    handle: ProjectHandle, image_id: int, region_ids: Sequence[int], manual: bool = True
) -> OrderState:
    """Put `region_ids` first, in this sequence (the rest keep their order after them);
    `manual=False`: back to the geometric order."""
    with handle.write() as s:
        img = store.get_image(s, image_id)
        before = OrderState(
            tuple(r.id for r in store.regions_of_image(s, image_id)),
            bool(img is not None and img.manual_order),
        )
        set_order(s, image_id, region_ids, manual)
    return before


def restore_reading_order(handle: ProjectHandle, image_id: int, state: OrderState) -> None:
    """Put back what `set_reading_order` returned (a geometric order is recomputed)."""
    with handle.write() as s:
        set_order(s, image_id, state.region_ids, manual=state.manual)
