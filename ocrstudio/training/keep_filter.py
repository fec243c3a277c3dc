"""Which found regions a person keeps: a project's labelling convention, learned apart from
the detector.

A person labelling licence plates leaves the stickers, makes and slogans in the photo
unlabelled. Teaching the detector that those are not text makes it forget street text
everywhere (it read ICDAR 2015 with 0.45 recall instead of 0.62 after such a fine-tune).
So the detector learns them as don't-care (`unlabelled_boxes`), and this filter learns
the convention: from what the models find on the person's labelled photos, which regions
match a label (kept) and which do not (left out), described by the text's size, shape
and place and by what it reads (how many characters, letters or digits, case) and how
sure the models were. A region is kept when most of its nearest neighbours among those
were kept (k nearest neighbours on standardised features: a few hundred examples, no
training, and conventions such as "seven characters, three letters then digits" are not
linear). The project keeps the filter beside its models; reading a photo outside the
project never uses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ocrstudio.core.errors import InputError
from ocrstudio.core.geometry import min_area_quad, overlap_matrices
from ocrstudio.core.types import Region

FEATURES = (
    "height",
    "aspect",
    "x",
    "y",
    "chars",
    "digits",
    "letters",
    "upper",
    "other",
    "reading",
    "box",
)
K = 7
MIN_KEPT = 5  # kept examples below which no convention can be learned
MAX_POINTS = 4000  # examples stored with the project (a few hundred photos' worth)
THRESHOLDS = (0.2, 0.3, 0.4, 0.5)
MATCH_IOU = 0.5
# a found region sharing more than this of its area with a label is the person's, not unlabelled
UNLABELLED_OVERLAP = 0.2


def region_features(region: Region, width: int, height: int) -> np.ndarray:
    """The numbers the filter compares regions by (see FEATURES)."""
    quad = min_area_quad(region.polygon.as_array())
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    short, long_ = max(float(sides.min()), 1.0), max(float(sides.max()), 1.0)
    cx, cy = quad.mean(0)
    text = region.text
    alnum = [c for c in text if c.isalnum()]
    n = max(len(alnum), 1)
    letters = [c for c in alnum if c.isalpha()]
    return np.array(
        [
            np.log(short / max(width, height, 1)),
            np.log(long_ / short),
            cx / max(width, 1),
            cy / max(height, 1),
            np.log1p(len(alnum)),
            sum(c.isdigit() for c in alnum) / n,
            len(letters) / n,
            sum(c.isupper() for c in letters) / max(len(letters), 1),
            (len(text) - len(alnum)) / max(len(text), 1),
            1.0 if region.score is None else float(region.score),
            1.0 if region.det_score is None else float(region.det_score),
        ],
        dtype=np.float64,
    )


def label_overlaps(
    found: Sequence[Region], labels: Sequence[Region]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per found region: does it coincide with a cared-for label (IoU 0.5, ICDAR's
    rule), does it lie mostly (> 50 %) inside a don't-care one, and the largest share of
    its area inside any label. One vectorised pass (a form holds hundreds of words)."""
    n = len(found)
    if not n or not labels:
        return np.zeros(n, bool), np.zeros(n, bool), np.zeros(n)
    iou, ioa = overlap_matrices(
        [r.polygon.as_array() for r in found], [g.polygon.as_array() for g in labels]
    )
    ignore = np.array([g.ignore for g in labels])
    matched = (iou[:, ~ignore] >= MATCH_IOU).any(1) if (~ignore).any() else np.zeros(n, bool)
    inside = (ioa[:, ignore] > 0.5).any(1) if ignore.any() else np.zeros(n, bool)
    return np.asarray(matched), np.asarray(inside), ioa.max(1)


@dataclass(frozen=True)
class KeepFilter:
    """k nearest neighbours over labelled examples: `points` (standardised features) and
    whether each was `kept`; a region is kept when at least `threshold` of its `k`
    nearest neighbours were."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    points: tuple[tuple[float, ...], ...]
    kept: tuple[bool, ...]
    threshold: float
    photos: int
    k: int = K

    def _share_kept(self, features: np.ndarray) -> np.ndarray:
        x = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        pts, kept = np.asarray(self.points), np.asarray(self.kept, dtype=np.float64)
        d = ((x[:, None, :] - pts[None, :, :]) ** 2).sum(-1)
        k = min(self.k, len(pts))
        nearest = np.argpartition(d, k - 1, axis=1)[:, :k]
        return kept[nearest].mean(1)

    def apply(self, regions: Sequence[Region], width: int, height: int) -> list[Region]:
        """The regions the person would keep, in their order."""
        if not regions:
            return []
        feats = np.stack([region_features(r, width, height) for r in regions])
        share = self._share_kept(feats)
        return [r for r, s in zip(regions, share, strict=True) if s >= self.threshold]

    def describe(self) -> str:
        left = sum(not k for k in self.kept)
        return (
            f"learned from {self.photos} labelled photos: {len(self.kept) - left} "
            f"regions kept, {left} left out"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "points": [list(p) for p in self.points],
            "kept": list(self.kept),
            "threshold": self.threshold,
            "photos": self.photos,
            "k": self.k,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeepFilter:
        """A stored filter, checked (a crafted or older one is refused, naming why)."""
        try:
            if list(data["features"]) != list(FEATURES):
                raise ValueError("it describes regions by other features")
            n = len(FEATURES)
            points = tuple(tuple(float(v) for v in p) for p in data["points"])
            kept = tuple(bool(v) for v in data["kept"])
            mean = tuple(float(v) for v in data["mean"])
            scale = tuple(float(v) for v in data["scale"])
            if (
                len(mean) != n
                or len(scale) != n
                or any(len(p) != n for p in points)
                or len(points) != len(kept)
                or not points
                or min(scale) <= 0
            ):
                raise ValueError("its sizes do not agree")
            values = np.asarray([*mean, *scale, *(v for p in points for v in p)])
            if not np.isfinite(values).all():
                raise ValueError("it holds a value that is not a finite number")
            return cls(
                mean,
                scale,
                points,
                kept,
                float(data["threshold"]),
                int(data["photos"]),
                int(data.get("k", K)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"the project's keep filter cannot be read: {exc}") from None


def learn_keep_filter(
    pages: Sequence[tuple[Sequence[Region], Sequence[Region], int, int]],
) -> KeepFilter | None:
    """A filter from (found, labelled, width, height) per photo, or None where there is
    no convention to learn (too few regions kept, or none left out). The threshold is the
    one that best separates kept from left out with each example's own vote removed."""
    feats, kept = [], []
    for found, labels, width, height in pages:
        matched, inside, _ = label_overlaps(found, labels)
        for r, m, ignored in zip(found, matched, inside, strict=True):
            if ignored:
                continue  # the person said nothing about it
            feats.append(region_features(r, width, height))
            kept.append(bool(m))
    y = np.asarray(kept, dtype=bool)
    if y.sum() < MIN_KEPT or y.all():
        return None
    x = np.stack(feats)
    if len(x) > MAX_POINTS:
        pick = np.random.default_rng(0).choice(len(x), MAX_POINTS, replace=False)
        x, y = x[pick], y[pick]
    mean, scale = x.mean(0), np.maximum(x.std(0), 1e-3)
    z = (x - mean) / scale
    share = _leave_one_out_share(z, y)
    threshold = max(THRESHOLDS, key=lambda t: _f1(share >= t, y))
    return KeepFilter(
        tuple(mean), tuple(scale), tuple(map(tuple, z)), tuple(y.tolist()), threshold, len(pages)
    )


def _leave_one_out_share(z: np.ndarray, y: np.ndarray, k: int = K) -> np.ndarray:
    d = ((z[:, None, :] - z[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    k = min(k, len(z) - 1)
    nearest = np.argpartition(d, k - 1, axis=1)[:, :k]
    return y.astype(np.float64)[nearest].mean(1)


def _f1(pred: np.ndarray, y: np.ndarray) -> float:
    tp = float((pred & y).sum())
    return 2 * tp / max(float(pred.sum() + y.sum()), 1.0)


def unlabelled_boxes(found: Sequence[Region], labels: Sequence[Region]) -> list[Region]:
    """Boxes the base detector finds where the person drew nothing (at most
    `UNLABELLED_OVERLAP` of a box inside their labels), whatever they read as: don't-care
    regions for a detector's fine-tune, so it learns the person's boxes without learning
    that the rest of the photo holds no text (the keep filter learns which regions the
    person keeps instead). Judging them by their reading left the text read unsurely as
    background, and a plates fine-tune then lost ICDAR 2015 recall."""
    _, _, share = label_overlaps(found, labels)
    return [
        Region(r.polygon, "###", ignore=True, provenance="unlabelled")
        for r, inside in zip(found, share, strict=True)
        if inside <= UNLABELLED_OVERLAP
    ]
