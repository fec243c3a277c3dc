"""Persisting a person's annotation edits: one short transaction per user action.

The GUI computes new `Region` values with `annotation_ops` and calls these functions; each
opens one Session (one transaction for a write) and commits before returning, so killing
the app loses nothing that was on screen. The queries live in `store.edits`. Functions
that remove or change rows return full `RegionRecord` snapshots, and `restore_regions`
puts such snapshots back exactly (same id, provenance, scores and `edited` flag): that is
what undo replays, so undoing an edit of a model's region makes it a model's region again.
Regions come back in stored order, which every write keeps equal to the reading order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ocrstudio.core.types import Region
from ocrstudio.services.project import ProjectHandle
from ocrstudio.services.unsure import Judgement, UnsureRule, second_opinions
from ocrstudio.store import edits
from ocrstudio.store import images as image_rows
from ocrstudio.store import regions as region_rows
from ocrstudio.store.edits import ImageState
from ocrstudio.store.records import ImageRecord, ImageStatus, RegionRecord


@dataclass(frozen=True)
class ReviewItem:
    region_id: int
    image_id: int
    judgement: Judgement


__all__ = [
    "ImageRecord",
    "ImageState",
    "ImageStatus",
    "RegionRecord",
    "ReviewItem",
    "add_regions",
    "char_stats",
    "delete_regions",
    "edit_regions",
    "get_image",
    "image_state",
    "list_images",
    "regions_of_image",
    "replace_text",
    "restore_image_state",
    "restore_regions",
    "review_queue",
    "rotate_image",
    "search",
    "set_image_verified",
]


def list_images(project: ProjectHandle) -> list[ImageRecord]:
    with project.session() as s:
        return image_rows.list_images(s)


def get_image(project: ProjectHandle, image_id: int) -> ImageRecord | None:
    with project.session() as s:
        return image_rows.get_image(s, image_id)


def regions_of_image(project: ProjectHandle, image_id: int) -> list[RegionRecord]:
    """The image's regions in reading order (the stored order)."""
    with project.session() as s:
        return region_rows.regions_of_image(s, image_id)


def add_regions(
    project: ProjectHandle, image_id: int, regions: Sequence[Region]
) -> list[RegionRecord]:
    """New human-made regions (drawn or pasted) on one image, in one transaction."""
    with project.write() as s:
        return edits.add_manual_regions(s, image_id, regions)


def edit_regions(
    project: ProjectHandle, changes: Sequence[tuple[int, Region]]
) -> list[RegionRecord]:
    """A person's change to some regions (a drag, a vertex, text, flags): all or nothing."""
    with project.write() as s:
        return edits.edit_regions(s, changes)


def delete_regions(project: ProjectHandle, ids: Sequence[int]) -> list[RegionRecord]:
    """Delete regions; returns their snapshots (for undo)."""
    with project.write() as s:
        return edits.delete_regions(s, ids)


def restore_regions(
    project: ProjectHandle, snapshots: Sequence[RegionRecord]
) -> list[RegionRecord]:
    """Put snapshots back exactly as they were (rows re-created with their old ids when
    deleted, overwritten field by field otherwise)."""
    with project.write() as s:
        return edits.restore_regions(s, snapshots)


def rotate_image(
    project: ProjectHandle, image_id: int, turns: int, snapshots: Sequence[RegionRecord] = ()
) -> list[RegionRecord]:
    """Turn an image by `turns` clockwise quarter turns with its regions, stored in the
    project (readers apply it: `ImageRecord.rotation`); returns the regions before, which
    an undo passes back as `snapshots` with the opposite turn."""
    with project.write() as s:
        return edits.rotate_image(s, image_id, turns, snapshots)


def image_state(project: ProjectHandle, image_id: int) -> ImageState:
    with project.session() as s:
        return edits.image_state(s, image_id)


def set_image_verified(project: ProjectHandle, image_id: int, verified: bool = True) -> None:
    """Mark the image and all its regions verified (or the image back to pre-labeled/new)."""
    with project.write() as s:
        edits.set_verified(s, image_id, verified)


def restore_image_state(project: ProjectHandle, state: ImageState) -> None:
    with project.write() as s:
        edits.restore_image_state(s, state)


def review_queue(project: ProjectHandle, rule: UnsureRule, by: str = "score") -> list[ReviewItem]:
    """The model readings nobody has checked that `rule` finds unsure, least sure first
    (by the number the rule judged; ties in image and reading order). A second opinion
    (services.second_opinion) that reads other text flags a reading too; with
    `by="disagreement"` the readings it disagrees with most come first."""
    seconds = second_opinions(project)
    with project.session() as s:
        candidates = edits.review_candidates(s)
    items = [
        ReviewItem(e.region_id, e.image_id, j)
        for e in candidates
        if (j := rule.judge(e.text, e.score, e.det_score, second=seconds.get(e.region_id))).unsure
    ]
    least_sure = sorted(
        items, key=lambda it: it.judgement.score if it.judgement.score is not None else 0.0
    )
    if by == "disagreement":
        return sorted(least_sure, key=lambda it: -it.judgement.disagreement)
    return least_sure


def search(
    project: ProjectHandle, needle: str, case_sensitive: bool = False, limit: int = 500
) -> list[RegionRecord]:
    with project.session() as s:
        return region_rows.search_text(s, needle, limit=limit, case_sensitive=case_sensitive)


def replace_text(
    project: ProjectHandle,
    region_ids: Sequence[int],
    needle: str,
    replacement: str,
    case_sensitive: bool = False,
) -> list[RegionRecord]:
    """Replace `needle` in the texts of these regions, all in one transaction (a person's
    edit of each). Returns the snapshots from before, for undo."""
    pattern = re.compile(re.escape(needle), 0 if case_sensitive else re.IGNORECASE)
    with project.write() as s:
        return edits.replace_text(s, region_ids, pattern, replacement)


def char_stats(project: ProjectHandle) -> list[tuple[str, int]]:
    """Each character of the legible transcriptions and how often it occurs, most first."""
    with project.session() as s:
        return region_rows.char_stats(s).most_common()
