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
from ocrstudio.training.detected import detected_page

REPLAY_PHOTOS = 150  # enough for a budgeted fine-tune's replayed crops, read in ~1 min


def detected_replay(
    specs: Sequence[str],
    det: Path,
    rec: Path,
    out: Path,
    predictors: PredictorCache,
    device: str = "auto",
    preset: Preset = "fast",
    photos: int = REPLAY_PHOTOS,
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
        order = np.random.default_rng(0).permutation(len(pages))[:photos]
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
