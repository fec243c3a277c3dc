"""A second recognizer's reading of the model readings nobody has checked yet.

`SecondOpinionJob` reads the crop of every review candidate (a model's reading not
verified, edited or ignored) with a second recognizer (`rec_conclr` by default: an
attention decoder beside the CTC `rec_default`) and keeps its readings in the project's
settings (`SETTINGS_KEY`), each with the first reading it was compared against.
`unsure.second_opinions` (`load` here) returns the ones still current: a region read
again since, or re-drawn, has no second opinion until the job runs again. The one rule
(`services.unsure.UnsureRule.judge`) flags a disagreement, and the review queue can sort
by it (`annotation.review_queue`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocrstudio.core.cancel import CancelToken, check_cancel
from ocrstudio.core.geometry import CROP_MARGIN, crop_polygon
from ocrstudio.core.images import read_image
from ocrstudio.services.jobs import JobProgressCallback, report
from ocrstudio.services.ocr import PredictorCache
from ocrstudio.services.project import ProjectHandle
from ocrstudio.services.unsure import SECOND_OPINIONS_KEY as SETTINGS_KEY
from ocrstudio.services.unsure import second_opinions as load

__all__ = ["DEFAULT_SECOND", "SETTINGS_KEY", "SecondOpinionJob", "load"]

DEFAULT_SECOND = "rec_conclr"


@dataclass(frozen=True)
class SecondOpinionJob:
    """Read every review candidate's crop with `rec` (a shipped name or a path)."""

    project: Path
    rec: str = DEFAULT_SECOND
    device: str = "auto"
    predictors: PredictorCache = field(default_factory=PredictorCache, compare=False, repr=False)

    def run(
        self, progress: JobProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> int:
        from ocrstudio.services.project import open_project

        with open_project(self.project) as project:
            return self._run(project, progress, cancel)

    def _run(
        self,
        project: ProjectHandle,
        progress: JobProgressCallback | None,
        cancel: CancelToken | None,
    ) -> int:
        from ocrstudio import store
        from ocrstudio.services.ocr import resolve_model
        from ocrstudio.store import edits
        from ocrstudio.store import images as image_rows
        from ocrstudio.store import regions as region_rows

        weights = resolve_model(self.rec, "recognizer")
        reader = self.predictors.recognizer(weights, self.device, "accurate")
        with project.session() as s:
            wanted = [e for e in edits.review_candidates(s) if e.score is not None]
        by_image: dict[int, set[int]] = defaultdict(set)
        for e in wanted:
            by_image[e.image_id].add(e.region_id)
        readings: dict[str, Any] = {}
        for k, (image_id, ids) in enumerate(sorted(by_image.items())):
            check_cancel(cancel)
            with project.session() as s:  # the rows, read as annotation reads them
                image = image_rows.get_image(s, image_id)
                rows = region_rows.regions_of_image(s, image_id)
            if image is None:
                continue
            regions = [r for r in rows if r.id in ids]
            pixels = read_image(image.file, turns=image.rotation)
            crops = [crop_polygon(pixels, r.polygon.as_array(), CROP_MARGIN) for r in regions]
            for r, res in zip(regions, reader.predict(crops), strict=True):
                readings[str(r.id)] = [r.text, res.text, round(float(res.score), 4)]
            report(progress, k + 1, len(by_image), f"second opinion: image {k + 1}")
        with project.write() as s:
            store.update_settings(
                s, **{SETTINGS_KEY: {"model": _name(Path(weights)), "readings": readings}}
            )
        return len(readings)


def _name(weights: Path) -> str:
    """A model's name: its folder's (`rec_conclr`), or the file's of a lone file."""
    return weights.parent.name if weights.suffix == ".safetensors" else weights.name
