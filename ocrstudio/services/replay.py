"""General photos replayed to the recognizer as the detector cuts them (Qt-free).

"Improve the models on my labels" mixes general labelled photos into both fine-tunes so
the models keep what they know. The detector learns from their labelled quads; the
recognizer, though, was trained on the boxes its detector finds (`training.detected`:
looser or tighter than a person's quads, two close words in one box read with a space)
and forgets those ways when it is replayed person-drawn word quads only (a plates
fine-tune then read "Ayer Rajah" as "AyerRajah" and added letters at crop edges). So
`detected_replay` reads a seeded draw of each general folder with the base detector, as
pre-labelling does, and writes the boxes `training.detected` can label as a folder the
fine-tune reads like any other (`ocrstudio train --data DIR@W`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ocrstudio.core.images import read_image
from ocrstudio.formats import write_labels
from ocrstudio.services.ocr import PredictorCache, Preset
from ocrstudio.services.training import resolve_data_spec
from ocrstudio.training.api import parse_weight
from ocrstudio.training.data import LabeledPage
from ocrstudio.training.detected import detected_page

REPLAY_PHOTOS = 150  # enough for a budgeted fine-tune's replayed crops, read in ~1 min
# general photos held out of both fine-tunes to tell whether a new model forgot what it
# read (`services.forgetting`): 60 ICDAR 2015 photos hold some 270 legible words
CHECK_PHOTOS = 60


def detected_replay(
    specs: Sequence[str],
    det: Path,
    rec: Path,
    out: Path,
    predictors: PredictorCache,
    device: str = "auto",
    preset: Preset = "fast",
    photos: int | None = None,
) -> tuple[str, ...]:
    """`specs` (`ocrstudio train --data` specs) with each labelled folder or project
    replaced by a folder under `out` of at most `photos` of its photos (a seeded draw)
    whose regions are the boxes `det` finds, labelled from the truth; synthetic specs
    stay as they are."""
    ocr = predictors.ocr(det, rec, device, preset)
    cut = []
    for i, spec in enumerate(specs):
        target, weight = parse_weight(spec)
        if target.startswith("synth:"):
            cut.append(spec)
            continue
        pages = list(resolve_data_spec(target).pages)
        order = _draw(len(pages))[: photos or REPLAY_PHOTOS]
        written = []
        for k in sorted(int(j) for j in order):
            path = Path(pages[k].image_path).resolve()
            found = ocr.det.predict(read_image(path))
            written.append(
                dataclasses.replace(detected_page(pages[k].labels, found), image=str(path))
            )
        # PaddleOCR's Label.txt: JSON points, so a text such as "40,257" cannot be
        # taken for coordinates when the folder's format is told from its files
        folder = out / f"replay_{i}"
        write_labels("paddleocr", written, folder)
        cut.append(f"{folder}@{weight:g}")
    return tuple(cut)


def _draw(count: int) -> np.ndarray:
    """The one seeded order of a general folder's photos: the recognizer's replay takes
    its head, the held-out check the photos after the largest replay (`hold_out`)."""
    return np.random.default_rng(0).permutation(count)


def hold_out(
    specs: Sequence[str], out: Path, photos: int | None = None
) -> tuple[list[LabeledPage], tuple[str, ...]]:
    """Up to `photos` general photos neither fine-tune sees (shared out over the labelled
    folders of `specs`, each folder read once), on which base and new models are read to
    tell whether the new one forgot what the base read; and `specs` for the detector's
    replay (it reads the person-drawn labels of a whole folder, not a draw), each labelled
    folder replaced by a folder under `out` of its photos less those. No photos, and
    `specs` as they are, where the general data is synthetic only or a folder is too small
    to spare photos beyond the recognizer's replay."""
    photos = photos or CHECK_PHOTOS
    general = [
        (i, weight, list(resolve_data_spec(target).pages))
        for i, (target, weight) in enumerate(parse_weight(spec) for spec in specs)
        if not target.startswith("synth:")
    ]
    held: list[LabeledPage] = []
    det_specs = list(specs)
    for n, (i, weight, pages) in enumerate(general):
        share = (photos - len(held)) // (len(general) - n)
        order = _draw(len(pages))[REPLAY_PHOTOS : REPLAY_PHOTOS + share]
        if len(order) == 0:
            continue
        kept = set(int(k) for k in order)
        held += [pages[k] for k in sorted(kept)]
        rest = [
            dataclasses.replace(p.labels, image=str(Path(p.image_path).resolve()))
            for k, p in enumerate(pages)
            if k not in kept
        ]
        write_labels("paddleocr", rest, out / f"general_{i}")
        det_specs[i] = f"{out / f'general_{i}'}@{weight:g}"
    return held, tuple(det_specs)
