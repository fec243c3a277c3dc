"""The plain data every layer exchanges: polygons, regions and the labels of one page.

Immutable dataclasses so they can cross threads and be hashed; coordinates are floats
in image pixels, x to the right, y down, kept exactly as given (never re-ordered or
"repaired" here: geometry helpers that change points return new objects).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

IGNORE_TEXT = "###"
# What a model is for: the one list of role names (the zoo, model cards, the store's
# ModelRole and the services' model choices all use these strings).
Role = Literal["detector", "recognizer"]
ROLES: tuple[Role, ...] = ("detector", "recognizer")


def confidence(score: float | None, det_score: float | None) -> float | None:
    """How sure the models were of a region: the weaker of the recognizer's and the
    detector's scores (None when neither is known). The GUI shows it; the review queue
    (store.edits, in SQL) sorts by the same rule."""
    known = [s for s in (score, det_score) if s is not None]
    return min(known) if known else None


@dataclass(frozen=True)
class Polygon:
    """A closed polygon of three or more points, in the order given."""

    points: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        pts = tuple((float(x), float(y)) for x, y in self.points)
        if len(pts) < 3:
            raise ValueError(f"a polygon needs at least 3 points, got {len(pts)}")
        if not all(math.isfinite(v) for p in pts for v in p):
            raise ValueError("polygon coordinates must be finite")
        object.__setattr__(self, "points", pts)

    @classmethod
    def from_array(cls, arr: np.ndarray | Sequence[Sequence[float]]) -> Polygon:
        a = np.asarray(arr, dtype=np.float64).reshape(-1, 2)
        return cls(tuple((float(x), float(y)) for x, y in a))

    @classmethod
    def from_flat(cls, flat: Iterable[float]) -> Polygon:
        vals = [float(v) for v in flat]
        if len(vals) % 2:
            raise ValueError("a flat coordinate list needs an even number of values")
        return cls(tuple(zip(vals[0::2], vals[1::2], strict=True)))

    @classmethod
    def from_box(cls, x0: float, y0: float, x1: float, y1: float) -> Polygon:
        """Axis-aligned box as a clockwise quad starting top-left."""
        return cls(((x0, y0), (x1, y0), (x1, y1), (x0, y1)))

    def as_array(self) -> np.ndarray:
        return np.asarray(self.points, dtype=np.float64)

    def flat(self) -> list[float]:
        return [v for p in self.points for v in p]

    def __len__(self) -> int:
        return len(self.points)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        a = self.as_array()
        lo, hi = a.min(axis=0), a.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def translated(self, dx: float, dy: float) -> Polygon:
        return Polygon(tuple((x + dx, y + dy) for x, y in self.points))

    def scaled(self, sx: float, sy: float | None = None) -> Polygon:
        sy = sx if sy is None else sy
        return Polygon(tuple((x * sx, y * sy) for x, y in self.points))


@dataclass(frozen=True)
class Region:
    """One text region: its polygon, transcription and where it came from.

    `score` is the recognition confidence and `det_score` the detection confidence of a
    model-made region (None for manual ones). `provenance` is "manual" or a model
    version name. `ignore` is the don't-care flag (`###` in ICDAR files).
    """

    polygon: Polygon
    text: str = ""
    ignore: bool = False
    score: float | None = None
    det_score: float | None = None
    provenance: str = "manual"
    verified: bool = False
    order: int = 0

    @property
    def confidence(self) -> float | None:
        return confidence(self.score, self.det_score)

    def with_(self, **changes: object) -> Region:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PageLabels:
    """The labels of one image. `image` is the path or name as the source gave it."""

    image: str
    regions: tuple[Region, ...] = field(default_factory=tuple)
    width: int | None = None
    height: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "regions", tuple(self.regions))

    @property
    def legible(self) -> tuple[Region, ...]:
        return tuple(r for r in self.regions if not r.ignore)
