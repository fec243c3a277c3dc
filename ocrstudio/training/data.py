"""Training samples and where they come from.

A recognition sample is (crop RGB uint8, text); a detection sample is (image RGB uint8,
PageLabels in that image's pixels). Sources are finite lists (labelled pages, word
crops, in-memory samples) or endless synthetic streams; `MixedDataset` draws an epoch
from them by weight. Every draw and augmentation takes its randomness from
(seed, epoch, index), so results do not depend on DataLoader workers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from torch.utils.data import Dataset

from ocrstudio.core.geometry import CROP_MARGIN, crop_polygon
from ocrstudio.core.images import read_image
from ocrstudio.core.types import PageLabels, Region

RecSample = tuple[np.ndarray, str]
DetSample = tuple[np.ndarray, PageLabels]


class Source(Protocol):
    """A sample source: `get(index, epoch)` for 0 <= index < len (endless streams report
    a huge len and use `epoch` to show new samples each epoch)."""

    endless: bool

    def __len__(self) -> int: ...

    def get(self, index: int, epoch: int) -> Any: ...


class _DecodedImages:
    """Decoded training images kept in memory up to a byte budget, least recently used
    out first: a fine-tune reads each of a few dozen photos hundreds of times, and
    decoding a 1280-pixel JPEG costs about as much as cutting and augmenting its crop.
    The arrays are read-only, so no sample can change the next one's pixels."""

    def __init__(self, budget: int = 1 << 30):
        self.budget, self.used = budget, 0
        self.items: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, path: str | Path, turns: int = 0) -> np.ndarray:
        key = (str(path), turns)
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        img = read_image(path, turns=turns)
        img.setflags(write=False)
        with self.lock:
            if key not in self.items:
                self.items[key] = img
                self.used += img.nbytes
            while self.used > self.budget and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                self.used -= old.nbytes
        return img


DECODED = _DecodedImages()


def _read_cached(path: str, turns: int = 0) -> np.ndarray:
    return DECODED.get(path, turns)


@dataclass(frozen=True)
class LabeledPage:
    """A page of labels with its image file, as a dataset keeps it; `turns`: the quarter
    turns a person gave the image in its project (the labels are in the turned frame)."""

    image_path: Path
    labels: PageLabels
    turns: int = 0


class PageSource:
    """Detection samples from labelled pages."""

    endless = False

    def __init__(self, pages: Sequence[LabeledPage]):
        self.pages = list(pages)

    def __len__(self) -> int:
        return len(self.pages)

    def get(self, index: int, epoch: int) -> DetSample:
        p = self.pages[index]
        return _read_cached(str(p.image_path), p.turns), p.labels


class CropSource:
    """Recognition samples cut out of labelled pages: one per legible region with text
    (`crop_polygon` straightens quads and curved polygons). A page whose one region is
    the whole image (a word-crop folder) gives the image itself."""

    endless = False

    def __init__(self, pages: Sequence[LabeledPage]):
        self.items: list[tuple[Path, int, Any, str]] = []
        for p in pages:
            for r in p.labels.legible:
                if not r.text.strip():
                    continue
                whole = _is_whole(r.polygon.as_array(), p.labels)
                self.items.append(
                    (p.image_path, p.turns, None if whole else r.polygon.as_array(), r.text)
                )

    def __len__(self) -> int:
        return len(self.items)

    def get(self, index: int, epoch: int) -> RecSample:
        path, turns, poly, text = self.items[index]
        if poly is None:
            return read_image(path, turns=turns), text
        return crop_polygon(_read_cached(str(path), turns), poly, CROP_MARGIN), text

    @property
    def texts(self) -> list[str]:
        return [t for *_, t in self.items]


def legible_word_crops(image: np.ndarray, page: PageLabels) -> list[tuple[Region, np.ndarray]]:
    """A photo's legible ground-truth words that have a text, each cut as `OcrPredictor`
    cuts a box (`CROP_MARGIN`): how recognizers are scored on photos (eval-rec, the
    benchmark)."""
    return [
        (r, crop_polygon(image, r.polygon.as_array(), margin=CROP_MARGIN))
        for r in page.legible
        if r.text.strip()
    ]


def _is_whole(pts: np.ndarray, page: PageLabels) -> bool:
    if page.width is None or page.height is None or len(pts) != 4:
        return False
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    return x0 <= 0 and y0 <= 0 and x1 >= page.width - 1 and y1 >= page.height - 1


class MemorySource:
    """Samples held in memory (tests, small fine-tuning sets)."""

    endless = False

    def __init__(self, samples: Sequence[Any]):
        self.samples = list(samples)

    def __len__(self) -> int:
        return len(self.samples)

    def get(self, index: int, epoch: int) -> Any:
        return self.samples[index]


class SynthSource:
    """An endless synthetic stream (`WordSynth` / `SceneSynth`), turned into samples by
    `convert`; each epoch shows `block` new samples."""

    endless = True

    def __init__(self, synth: Any, convert: Callable[[Any], Any], block: int = 1_000_000):
        self.synth, self.convert, self.block = synth, convert, block

    def __len__(self) -> int:
        return self.block

    def get(self, index: int, epoch: int) -> Any:
        return self.convert(self.synth[epoch * self.block + index])


def word_sample(s: Any) -> RecSample:
    return s.image, s.text


def scene_sample(s: Any) -> DetSample:
    return s.image, s.labels


class MixedDataset(Dataset):
    """One epoch drawn from weighted sources, then prepared by `transform(sample, rng)`.

    With one finite source and no `size`, an epoch is that source, each sample once (the
    sampler shuffles). Otherwise each index picks a source by weight and a sample in it,
    from its own generator; `size` (default: the finite sources' total) sets the epoch.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        weights: Sequence[float] | None = None,
        size: int | None = None,
        seed: int = 0,
        transform: Callable[[Any, np.random.Generator], Any] | None = None,
    ):
        if not sources:
            raise ValueError("no training data")
        self.sources = list(sources)
        w = np.asarray(weights if weights is not None else [1.0] * len(sources), np.float64)
        if len(w) != len(self.sources) or (w < 0).any() or w.sum() <= 0:
            raise ValueError("need one non-negative weight per source, not all zero")
        # a folder with nothing to draw (no legible word, no box its detector found) adds
        # nothing to the mix rather than stopping the run
        w = np.where([not s.endless and len(s) == 0 for s in self.sources], 0.0, w)
        if w.sum() <= 0:
            raise ValueError("no training data: every source is empty")
        self.p = w / w.sum()
        finite = sum(len(s) for s in self.sources if not s.endless)
        if size is None:
            if finite == 0:
                raise ValueError("an epoch of endless synthetic data needs a size")
            size = finite
        self.size = int(size)
        self.direct = (
            len(self.sources) == 1
            and not self.sources[0].endless
            and self.size == len(self.sources[0])
        )
        self.seed = seed
        self.epoch = 0
        self.transform = transform

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> Any:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        if self.direct:
            sample = self.sources[0].get(index, self.epoch)
        else:
            k = int(rng.choice(len(self.sources), p=self.p))
            src = self.sources[k]
            i = index if src.endless else int(rng.integers(0, len(src)))
            sample = src.get(i, self.epoch)
        return self.transform(sample, rng) if self.transform is not None else sample


def split_holdout(
    items: Sequence[Any], fraction: float, limit: int, seed: int
) -> tuple[list[Any], list[Any]]:
    """A fixed random part of `items` held back for validation (fraction, at most limit)."""
    n_val = min(limit, int(round(len(items) * fraction)))
    if len(items) < 10 or n_val == 0:
        return list(items), []
    order = np.random.default_rng(seed).permutation(len(items))
    val = set(order[:n_val].tolist())
    return (
        [x for i, x in enumerate(items) if i not in val],
        [x for i, x in enumerate(items) if i in val],
    )
