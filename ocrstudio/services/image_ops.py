"""What the image list's context menu does to images (no Qt): change their split, take them
out of the project (the files stay where they are). One transaction per action."""

from __future__ import annotations

from collections.abc import Sequence

from ocrstudio import store
from ocrstudio.services.project import ProjectHandle


def set_split(handle: ProjectHandle, image_ids: Sequence[int], split: str) -> None:
    """A person's choice of split for these images (a later change of the project's split
    ratios assigns every image again)."""
    with handle.write() as s:
        store.set_splits(s, {i: store.Split(split) for i in image_ids})


def remove_images(handle: ProjectHandle, image_ids: Sequence[int]) -> int:
    """Forget these images and their regions; the files are not touched."""
    with handle.write() as s:
        for i in image_ids:
            store.delete_image(s, i)
    return len(image_ids)
