"""How a person boxes what they read: a project's box convention, learned apart from the
detector.

A person labelling licence plates draws one box around the whole plate (the frame and the
city strip included) where the shipped detector finds words ("PJH·" and "0957"). Taught
those boxes, a detector merges and misses words everywhere else (ICDAR 2015 end to end
fell 1.7-2.8 points after a plates fine-tune). So the convention is learned here, from
the base detector's boxes inside the person's: boxes on one line at most `join_gap`
heights apart are one region, grown by `grow` (left, top, right, bottom, in the joined
box's height). Applied to the base detector's boxes of 34 unseen plate photos, the rule
learned from 80 labelled ones found every plate's box (IoU > 0.5) where the boxes alone
found 0.91 of them. The same rule is a person's lines over a word detector's words.

Boxes are taken axis-aligned: a joined or grown region is an upright rectangle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ocrstudio.core.errors import InputError
from ocrstudio.core.types import Polygon, Region

MIN_LABELS = 5  # labels studied before any way of boxing counts as the person's
MIN_GAIN = 3  # labels a rule must box right (IoU > 0.5) beyond the boxes as found
MIN_SHARE = 0.05  # ... and this share of the labels
MAX_GAP = 2.0  # heights: boxes further apart are two things, however the person boxes
MAX_GROW = 2.0  # heights a side may grow (or -0.5 shrink): more is not a box convention
SAME_LINE = 0.5  # vertical overlap (share of the lower box) of boxes on one line
HEIGHT_RATIO = 1.6  # ... and at most this ratio of heights (a title beside small print)
INSIDE = 0.5  # share of a found box inside a label for it to be one of the label's
MAIN_LINE = 0.6  # a member at least this share of the tallest member's height is main
MATCH_IOU = 0.5
FIT_GAIN = 0.1  # ... or, boxing as many right, a mean IoU this much closer to the labels


@dataclass(frozen=True)
class BoxRules:
    join_gap: float = 0.0  # heights between boxes on a line that are one region; 0: none
    grow: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # left, top, right, bottom

    def apply(self, found: Sequence[Region], size: tuple[int, int] | None = None) -> list[Region]:
        """`found` as the person would have boxed it: joined groups in reading order of
        their first member, texts joined by a space (the text rules may drop it); grown
        boxes stay inside an image of `size` (width, height) where given."""
        if not found:
            return []
        boxes = np.array([_box(r) for r in found])
        groups = (
            _line_groups(boxes, self.join_gap)
            if self.join_gap > 0
            else [[i] for i in range(len(found))]
        )
        return [self._joined([found[i] for i in g], boxes[g], size) for g in groups]

    def _joined(
        self, members: list[Region], boxes: np.ndarray, size: tuple[int, int] | None
    ) -> Region:
        if len(members) == 1 and not any(self.grow):
            return members[0]
        order = np.argsort(boxes[:, 0], kind="stable")
        members = [members[i] for i in order]
        union = (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
        x0, y0, x1, y1 = _grown(union, self.grow, size)
        scores = [m.score for m in members if m.score is not None]
        det = [m.det_score for m in members if m.det_score is not None]
        return members[0].with_(
            polygon=Polygon.from_box(x0, y0, x1, y1),
            text=" ".join(m.text for m in members),
            score=min(scores) if scores else None,
            det_score=min(det) if det else None,
        )

    @property
    def empty(self) -> bool:
        return self.join_gap == 0 and not any(self.grow)

    def describe(self) -> str:
        parts = (
            [f"boxes on a line up to {self.join_gap:.2g} heights apart joined"]
            if self.join_gap
            else []
        )
        if any(self.grow):
            sides = ", ".join(
                f"{n} {v:+.0%}"
                for n, v in zip(("left", "top", "right", "bottom"), self.grow, strict=True)
            )
            parts.append(f"grown by the box's height ({sides})")
        return "; ".join(parts) or "as found"

    def to_dict(self) -> dict[str, Any]:
        return {"join_gap": self.join_gap, "grow": list(self.grow)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BoxRules:
        """Stored rules, checked (a crafted value is refused, naming why)."""
        try:
            gap = float(data["join_gap"])
            grow = tuple(float(v) for v in data["grow"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"the project's box rules cannot be read: {exc}") from None
        if (
            not 0.0 <= gap <= MAX_GAP
            or len(grow) != 4
            or not all(-0.5 <= v <= MAX_GROW for v in grow)
        ):
            raise InputError(f"the project's box rules cannot be read: {data}")
        return cls(gap, (grow[0], grow[1], grow[2], grow[3]))


def learn_box_rules(
    pages: Sequence[tuple[Sequence[Region], Sequence[Region]]],
) -> BoxRules | None:
    """Rules from (the base detector's regions, the person's labels) per photo, or None
    where no rule boxes more labels right than the found boxes do (MIN_GAIN, MIN_SHARE)."""
    margins: list[list[float]] = []
    gaps: list[float] = []
    labels = 0
    for found, truth in pages:
        boxes = np.array([_box(r) for r in found]).reshape(-1, 4)
        for label in _cared(truth):
            labels += 1
            core = _main_line(_members(boxes, _box(label)))
            if len(core):
                margins.append(_margins(core, _box(label)))
                gaps += _gaps(core)
    if not margins or labels < MIN_LABELS:
        return None
    grow = np.clip(np.median(np.array(margins), axis=0), -0.5, MAX_GROW)
    gap = min(MAX_GAP, max(0.5, 1.25 * float(np.percentile(gaps, 95)))) if gaps else 0.0
    candidates = [
        BoxRules(gap, (0.0, 0.0, 0.0, 0.0)),
        BoxRules(0.0, _sides(grow)),
        BoxRules(gap, _sides(grow)),
    ]
    need = max(MIN_GAIN, MIN_SHARE * labels)
    base = _boxed_right(BoxRules(), pages)
    # the rule that boxes the most labels right, then the one that fits them closest
    fits = [(_boxed_right(c, pages), c) for c in candidates if not c.empty]
    if not fits:
        return None
    fit, best = max(fits, key=lambda f: f[0])
    more = fit[0] - base[0] >= need
    closer = fit[0] >= base[0] and fit[1] - base[1] >= FIT_GAIN * labels
    return best if more or closer else None


def boxed_share(
    rules: BoxRules | None, pages: Sequence[tuple[Sequence[Region], Sequence[Region]]]
) -> float:
    """The share of the labels that the found regions, boxed as `rules` say, box right."""
    labels = sum(len(_cared(truth)) for _, truth in pages)
    return _boxed_right(rules or BoxRules(), pages)[0] / labels if labels else 0.0


def person_boxes(rules: BoxRules, found: Sequence[Region], label: Region) -> list[Region]:
    """A label in the base detector's geometry, for a detector's fine-tune: the found
    boxes inside it (nothing to learn but the convention, which the rules keep), or the
    label shrunk by the rules' growth where the detector found nothing in it."""
    boxes = np.array([_box(r) for r in found]).reshape(-1, 4)
    inside = _members(boxes, _box(label))
    if len(inside):
        return [label.with_(polygon=Polygon.from_box(*map(float, b))) for b in inside]
    x0, y0, x1, y1 = _box(label)
    left, top, right, bottom = rules.grow
    h = (y1 - y0) / (1 + top + bottom) if 1 + top + bottom > 0.1 else y1 - y0
    core = (x0 + left * h, y0 + top * h, x1 - right * h, y1 - bottom * h)
    if core[2] - core[0] < 1 or core[3] - core[1] < 1:
        return [label]
    return [label.with_(polygon=Polygon.from_box(*map(float, core)))]


def _grown(
    box: tuple[float, float, float, float],
    grow: tuple[float, float, float, float],
    size: tuple[int, int] | None,
) -> tuple[float, float, float, float]:
    """`box` grown by `grow` times its height, inside the image; as it was where shrinking
    would leave less than a pixel."""
    x0, y0, x1, y1 = (float(v) for v in box)
    h = y1 - y0
    left, top, right, bottom = grow
    gx0, gy0 = max(0.0, x0 - left * h), max(0.0, y0 - top * h)
    gx1, gy1 = x1 + right * h, y1 + bottom * h
    if size is not None:
        gx1, gy1 = min(gx1, float(size[0])), min(gy1, float(size[1]))
    if gx1 - gx0 < 1 or gy1 - gy0 < 1:
        return x0, y0, x1, y1
    return gx0, gy0, gx1, gy1


def _cared(truth: Sequence[Region]) -> list[Region]:
    """The labels a box convention is learned and judged on: not don't-care, with text."""
    return [label for label in truth if not label.ignore and label.text.strip()]


def _box(r: Region) -> np.ndarray:
    a = r.polygon.as_array()
    return np.array([a[:, 0].min(), a[:, 1].min(), a[:, 0].max(), a[:, 1].max()])


def _sides(v: np.ndarray) -> tuple[float, float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]), float(v[3]))


def _members(boxes: np.ndarray, label: np.ndarray) -> np.ndarray:
    """The found boxes at least INSIDE within the label's box."""
    if not len(boxes):
        return boxes
    area = np.maximum(_area(boxes), 1e-9)
    return boxes[_intersection(boxes, label) / area >= INSIDE]


def _main_line(members: np.ndarray) -> np.ndarray:
    """The members as tall as the label's main text: a plate's city strip is not."""
    if not len(members):
        return members
    h = members[:, 3] - members[:, 1]
    return members[h >= MAIN_LINE * h.max()]


def _margins(core: np.ndarray, label: np.ndarray) -> list[float]:
    x0, y0 = core[:, 0].min(), core[:, 1].min()
    x1, y1 = core[:, 2].max(), core[:, 3].max()
    h = max(y1 - y0, 1e-9)
    return [(x0 - label[0]) / h, (y0 - label[1]) / h, (label[2] - x1) / h, (label[3] - y1) / h]


def _gaps(core: np.ndarray) -> list[float]:
    """Gaps between neighbours on the label's line, in their mean height."""
    b = core[np.argsort(core[:, 0])]
    h = b[:, 3] - b[:, 1]
    return [
        float((b[i + 1, 0] - b[i, 2]) / max((h[i] + h[i + 1]) / 2, 1e-9)) for i in range(len(b) - 1)
    ]


def _line_groups(boxes: np.ndarray, join_gap: float) -> list[list[int]]:
    """Connected groups of boxes pairwise on one line and at most `join_gap` apart."""
    h = boxes[:, 3] - boxes[:, 1]
    lo, hi = np.minimum.outer(h, h), np.maximum.outer(h, h)
    overlap = np.minimum.outer(boxes[:, 3], boxes[:, 3]) - np.maximum.outer(
        boxes[:, 1], boxes[:, 1]
    )
    gap = np.maximum.outer(boxes[:, 0], boxes[:, 0]) - np.minimum.outer(boxes[:, 2], boxes[:, 2])
    near = (
        (overlap >= SAME_LINE * lo)
        & (hi <= HEIGHT_RATIO * lo)
        & (gap <= join_gap * (h[:, None] + h[None, :]) / 2)
    )
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(near, 1)), strict=True):
        parent[root(int(i))] = root(int(j))
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _boxed_right(
    rules: BoxRules, pages: Sequence[tuple[Sequence[Region], Sequence[Region]]]
) -> tuple[int, float]:
    """How many labels some region of `rules.apply(found)` boxes at IoU > MATCH_IOU,
    and the sum of each label's best IoU."""
    right, fit = 0, 0.0
    for found, truth in pages:
        out = np.array([_box(r) for r in rules.apply(found)]).reshape(-1, 4)
        if not len(out):
            continue
        for label in _cared(truth):
            best = float(_iou(out, _box(label)).max())
            right += best > MATCH_IOU
            fit += best
    return right, fit


def _iou(boxes: np.ndarray, b: np.ndarray) -> np.ndarray:
    inter = _intersection(boxes, b)
    union = _area(boxes) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def _intersection(boxes: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The area each of `boxes` (x0, y0, x1, y1 rows) shares with the box `b`."""
    iw = np.clip(np.minimum(boxes[:, 2], b[2]) - np.maximum(boxes[:, 0], b[0]), 0, None)
    ih = np.clip(np.minimum(boxes[:, 3], b[3]) - np.maximum(boxes[:, 1], b[1]), 0, None)
    return iw * ih


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
