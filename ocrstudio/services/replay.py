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
    its head, the held-out check the photos after the largest replay (`held_out`)."""
    return np.random.default_rng(0).permutation(count)


def _general(specs: Sequence[str]) -> list[tuple[int, str, float, list[LabeledPage]]]:
    out = []
    for i, spec in enumerate(specs):
        target, weight = parse_weight(spec)
        if not target.startswith("synth:"):
            out.append((i, target, weight, list(resolve_data_spec(target).pages)))
    return out


def held_out(specs: Sequence[str], photos: int | None = None) -> list[LabeledPage]:
    """Up to `photos` general photos neither fine-tune sees (shared out over the labelled
    folders of `specs`), on which base and new models are read to tell whether the new
    one forgot what the base read; none where the general data is synthetic only. A
    folder too small to spare photos beyond the recognizer's replay gives none."""
    general = _general(specs)
    photos = photos or CHECK_PHOTOS
    out: list[LabeledPage] = []
    for n, (_, _, _, pages) in enumerate(general):
        share = (photos - len(out)) // (len(general) - n)
        order = _draw(len(pages))[REPLAY_PHOTOS : REPLAY_PHOTOS + share]
        out += [pages[int(k)] for k in sorted(order)]
    return out


def without_held_out(specs: Sequence[str], out: Path, photos: int | None = None) -> tuple[str, ...]:
    """`specs` with each labelled folder replaced by a folder of its photos less the ones
    `held_out` keeps for the check: the detector's replay (it reads the person-drawn
    labels of the whole folder, not a draw)."""
    held = {Path(p.image_path).resolve() for p in held_out(specs, photos)}
    if not held:
        return tuple(specs)
    kept = list(specs)
    for i, _, weight, pages in _general(specs):
        rest = [
            dataclasses.replace(p.labels, image=str(Path(p.image_path).resolve()))
            for p in pages
            if Path(p.image_path).resolve() not in held
        ]
        folder = out / f"general_{i}"
        write_labels("paddleocr", rest, folder)
        kept[i] = f"{folder}@{weight:g}"
    return tuple(kept)
