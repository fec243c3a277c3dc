"""What leaves the store: frozen plain dataclasses, safe to hand to another thread.

ORM rows never leave `ocrstudio.store`; the query functions convert them to these records,
so a caller cannot trip over a detached row or an expired attribute.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from ocrstudio.core.types import Polygon, Region


class Split(StrEnum):
    TRAIN = "train"
    VAL = "val"
    TEST = "test"


class ImageStatus(StrEnum):
    NEW = "new"
    PRELABELED = "prelabeled"
    VERIFIED = "verified"


class Stage(StrEnum):
    """An image's place in a team's workflow (a reviewer sends it back to OPEN with a note)."""

    OPEN = "open"
    LABELLED = "labelled"
    REVIEWED = "reviewed"
    ACCEPTED = "accepted"


class ModelRole(StrEnum):
    DETECTOR = "detector"
    RECOGNIZER = "recognizer"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ImageRecord:
    id: int
    path: str  # as stored: relative to the project folder where possible
    width: int  # after the EXIF orientation
    height: int
    sha256: str
    split: Split
    status: ImageStatus
    orientation: int
    exif_applied: bool
    created: datetime
    updated: datetime
    region_count: int = 0
    verified_count: int = 0
    rotation: int = 0  # clockwise quarter turns on top of EXIF; width/height are after it
    manual_order: bool = False  # a person set the reading order
    stage: Stage = Stage.OPEN
    stage_note: str = ""  # the reviewer's note when it was sent back
    stage_by: str = ""  # who moved it to its stage
    labelled_by: str = ""
    root: Path | None = field(default=None, repr=False, compare=False)  # the project folder

    @cached_property
    def file(self) -> Path:
        """`path` resolved against the project folder (computed on first use: a listing
        of 10,000 images should not build 10,000 paths nobody looks at)."""
        if self.root is None or os.path.isabs(self.path):
            return Path(self.path)
        return Path(os.path.normpath(os.path.join(self.root, self.path)))


@dataclass(frozen=True)
class RegionRecord:
    id: int
    image_id: int
    polygon: Polygon
    text: str
    ignore: bool
    order: int
    provenance: str
    model_version_id: int | None
    score: float | None
    det_score: float | None
    verified: bool
    edited: bool
    created: datetime
    updated: datetime
    author: str = ""  # who wrote it last (a person, or the one who ran the model)
    version: int = 1  # one more with every write: an edit made on an older one conflicts

    @property
    def protected(self) -> bool:
        """A person verified or changed it: models must leave it alone."""
        return self.verified or self.edited

    def to_region(self) -> Region:
        return Region(
            polygon=self.polygon,
            text=self.text,
            ignore=self.ignore,
            score=self.score,
            det_score=self.det_score,
            provenance=self.provenance,
            verified=self.verified,
            order=self.order,
        )


@dataclass(frozen=True)
class ModelVersionRecord:
    id: int
    name: str
    architecture: str
    role: ModelRole
    weights_path: str  # relative to the project folder
    charset: str
    config: dict[str, Any]
    parent_id: int | None
    metrics: dict[str, Any]
    created: datetime


@dataclass(frozen=True)
class TrainingRunRecord:
    id: int
    architecture: str
    base_version_id: int | None
    config: dict[str, Any]
    image_ids: tuple[int, ...]
    labels_hash: str
    status: RunStatus
    history: tuple[dict[str, Any], ...]
    result_version_id: int | None
    error: str
    created: datetime
    started: datetime | None
    finished: datetime | None
    updated: datetime


@dataclass(frozen=True)
class SplitCounts:
    images: int = 0
    regions: int = 0
    verified_regions: int = 0
    verified_images: int = 0


@dataclass(frozen=True)
class ProjectInfo:
    name: str
    created: datetime
    settings: dict[str, Any]
    per_split: dict[str, SplitCounts] = field(default_factory=dict)
    per_status: dict[str, int] = field(default_factory=dict)
    model_versions: int = 0
    training_runs: int = 0
    per_stage: dict[str, int] = field(default_factory=dict)  # images per review stage
    per_person: dict[str, Any] = field(default_factory=dict)  # name -> store.team.PersonCounts

    @property
    def images(self) -> int:
        return sum(c.images for c in self.per_split.values())

    @property
    def regions(self) -> int:
        return sum(c.regions for c in self.per_split.values())

    @property
    def verified_regions(self) -> int:
        return sum(c.verified_regions for c in self.per_split.values())
