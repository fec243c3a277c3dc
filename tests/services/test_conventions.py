"""The study of a person's labelled photos before "Improve" (services/conventions.py)."""

from __future__ import annotations

from pathlib import Path

from ocrstudio.services.conventions import study_labels
from ocrstudio.services.demo import create_demo_project
from ocrstudio.services.prelabel import choose_models
from ocrstudio.services.project import open_project
from ocrstudio.services.training import project_pages
from tests.support.models import make_tiny_models


def test_every_labelled_photo_gets_its_dont_care_even_when_the_reading_runs_out(
    tmp_path: Path,
) -> None:
    """The don't-care regions come from the detector alone, over every labelled photo:
    a study whose reading of the photos ran out of time after the first still covers
    them all (the tiny detector finds one region over each demo photo, outside the
    person's word boxes)."""
    with open_project(create_demo_project(tmp_path / "proj", count=6, verified=6)) as handle:
        make_tiny_models(handle)
        det, rec = choose_models(handle, None, None)
        pages = [p for split in ("train", "val") for p in project_pages(handle, split)[1]]
        study = study_labels(handle, det, rec, "cpu", "accurate", seconds=0.0)
    assert len(pages) >= 3
    assert set(study.dont_care) == {p.labels.image for p in pages}
    assert all(r.ignore for regions in study.dont_care.values() for r in regions)
