"""End-to-end OCR: a detector finds text regions, a recognizer reads them.

`OcrPredictor.predict_batch(images)` detects on every image, cuts each region out with
`core.geometry.crop_polygon` (curved polygons come out straight), recognizes the crops
of all the images in one batched call, and returns one `PageLabels` per image with its
regions in reading order. With `split_words`, a region read as several words becomes one
region per word (`core.words`), cut where the recognizer's characters say the spaces are.

Without `verify` every detected region is kept, however unsure its text. With it the
recognizer has a say in what is text: the detector hands over candidates down to a lower
box score (its post-processing is set up for that by whoever builds it, `services.ocr`),
and a candidate it is unsure of stays only when it reads surely (`Verification`). With
its `join_gap`, neighbouring boxes read as pieces of a word are read again as one box
and replaced by it when that reads as a word.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ocrstudio.core.geometry import CROP_MARGIN, crop_polygon, reading_order
from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.core.words import joined_quad, pieces_of_words, split_words
from ocrstudio.engine.detection.predictor import DetectionPredictor
from ocrstudio.engine.recognition.predictor import RecognitionPredictor
from ocrstudio.engine.recognition.types import RecResult
from ocrstudio.engine.verification import Verification


class OcrPredictor:
    def __init__(
        self,
        det: DetectionPredictor,
        rec: RecognitionPredictor,
        crop_margin: float = CROP_MARGIN,
        split_words: bool = False,
        verify: Verification | None = None,
    ):
        self.det, self.rec, self.crop_margin = det, rec, crop_margin
        self.split_words, self.verify = split_words, verify

    @classmethod
    def from_checkpoints(
        cls,
        det: str | Path,
        rec: str | Path,
        device: str | torch.device = "auto",
        **det_kwargs: object,
    ) -> OcrPredictor:
        return cls(
            DetectionPredictor.from_checkpoint(det, device=device, **det_kwargs),
            RecognitionPredictor.from_checkpoint(rec, device=device),
        )

    def predict(self, image: np.ndarray, name: str = "") -> PageLabels:
        return self.predict_batch([image], [name])[0]

    def predict_batch(
        self, images: Sequence[np.ndarray], names: Sequence[str] | None = None
    ) -> list[PageLabels]:
        names = list(names) if names is not None else [""] * len(images)
        found = self.det.predict_batch(list(images))
        ordered: list[list[Region]] = []
        crops: list[np.ndarray] = []
        for img, regions in zip(images, found, strict=True):
            order = reading_order([r.polygon.as_array() for r in regions]) if regions else []
            page = [regions[i] for i in order]
            ordered.append(page)
            crops.extend(crop_polygon(img, r.polygon.as_array(), self.crop_margin) for r in page)
        texts = iter(self.rec.predict(crops))  # one batched pass over every image's crops
        reads = [[(r, next(texts)) for r in page] for page in ordered]
        if self.verify is not None and self.verify.join_gap > 0:
            reads = self._rejoined(images, reads, self.verify)
        pages = []
        for img, name, page_reads in zip(images, names, reads, strict=True):
            out: list[Region] = []
            for r, res in page_reads:
                for w in self._kept(self._read(r, res)):
                    out.append(w.with_(order=len(out)))
            pages.append(
                PageLabels(name, tuple(out), width=int(img.shape[1]), height=int(img.shape[0]))
            )
        return pages

    def _rejoined(
        self,
        images: Sequence[np.ndarray],
        reads: list[list[tuple[Region, RecResult]]],
        v: Verification,
    ) -> list[list[tuple[Region, RecResult]]]:
        """Each page's readings with pieces of a word replaced by their joined box where
        that reads as a word (`Verification.join_gap`); the joined box takes the first
        piece's place and the surest piece's box score. One batched pass reads them all."""
        plans: list[list[tuple[list[int], Region]]] = []
        crops: list[np.ndarray] = []
        for img, page in zip(images, reads, strict=True):
            groups = pieces_of_words(
                [r.polygon for r, _ in page],
                [len(res.text.split()) <= 1 for _, res in page],
                [v.is_fragment(res.text) for _, res in page],
                v.join_gap,
            )
            joined = [
                page[g[0]][0].with_(
                    polygon=Polygon.from_array(joined_quad([page[i][0].polygon for i in g])),
                    det_score=max(page[i][0].det_score or 0.0 for i in g),
                )
                for g in groups
            ]
            plans.append(list(zip(groups, joined, strict=True)))
            crops.extend(crop_polygon(img, j.polygon.as_array(), self.crop_margin) for j in joined)
        texts = iter(self.rec.predict(crops) if crops else [])
        out = []
        for page, plan in zip(reads, plans, strict=True):
            page = list(page)
            gone: set[int] = set()
            for group, region in plan:
                res = next(texts)
                if v.joins([page[i][1].text for i in group], res.text, res.score):
                    page[group[0]] = (region, res)
                    gone.update(group[1:])
            out.append([item for i, item in enumerate(page) if i not in gone])
        return out

    def _read(self, region: Region, res: RecResult) -> list[Region]:
        """The region with its reading, or its words when it is split."""
        words = (
            split_words(
                region.polygon.as_array(),
                self.crop_margin,
                res.text,
                res.char_spans,
                res.char_scores,
            )
            if self.split_words and res.char_spans
            else None
        )
        if not words:
            return [region.with_(text=res.text, score=float(res.score))]
        return [
            region.with_(polygon=Polygon.from_array(w.quad), text=w.text, score=w.score)
            for w in words
        ]

    def _kept(self, regions: list[Region]) -> list[Region]:
        """Each word judged on its own reading (a split region's words apart)."""
        v = self.verify
        if v is None:
            return regions
        return [r for r in regions if v.keeps(r.det_score or 0.0, r.text, r.score or 0.0)]
