"""A person's reading order of an image's regions (no Qt): the order export writers and
the region list follow. One transaction; returns the order before, for undo."""

from __future__ import annotations

from collections.abc import Sequence

from ocrstudio import store
from ocrstudio.services.project import ProjectHandle
from ocrstudio.store.regions import set_order


def set_reading_order(handle: ProjectHandle, image_id: int,
                      region_ids: Sequence[int]) -> list[int]:
    """Put `region_ids` first, in this sequence (the rest keep their order after them)."""
    with handle.write() as s:
        before = [r.id for r in store.regions_of_image(s, image_id)]
        set_order(s, image_id, region_ids)
    return before
