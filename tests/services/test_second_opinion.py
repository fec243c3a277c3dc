"""The second opinion in the one unsure rule: a second recognizer that reads other text
flags a reading, and the review queue can put the worst disagreements first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services import second_opinion
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.project import ProjectHandle, create_project
from ocrstudio.services.unsure import (
    SecondOpinion,
    UnsureRule,
    agreement_score,
    disagreement,
)
from tests.support.models import save_tiny_models

RULE = UnsureRule(below=0.9, source="test")


def test_a_disagreeing_second_opinion_flags_a_sure_reading() -> None:
    sure = RULE.judge("HOTEL", 0.99, 0.9)
    assert not sure.unsure and sure.disagreement == 0.0
    other = RULE.judge("HOTEL", 0.99, 0.9, second=SecondOpinion("H0TEL", 0.8, "rec_conclr"))
    assert other.unsure and other.score == 0.99
    assert "rec_conclr reads 'H0TEL'" in other.why
    assert other.disagreement == pytest.approx(0.2)
    agree = RULE.judge("HOTEL", 0.99, 0.9, second=SecondOpinion("HOTEL ", 0.7))
    assert not agree.unsure  # spaces at the ends aside, the same text
    # a person's check still wins
    assert not RULE.judge("HOTEL", 0.99, 0.9, verified=True, second=SecondOpinion("x", 0.5)).unsure


def test_agreement_raises_a_score_and_a_sure_disagreement_sinks_it() -> None:
    assert agreement_score(0.6, "abc", SecondOpinion("abc", 0.5)) == pytest.approx(0.8)
    assert agreement_score(0.99, "abc", SecondOpinion("abd", 0.9)) == pytest.approx(0.099)
    assert agreement_score(0.99, "abc", SecondOpinion("abd", 0.1)) > 0.8  # an unsure one
    assert agreement_score(0.7, "abc", None) == 0.7
    assert disagreement("abc", "xyz") == 1.0 and disagreement("", "") == 0.0


def test_judge_record_finds_the_rules_second_opinion_by_region_id() -> None:
    class Rec:
        id, text, score, det_score, verified, ignore = 7, "car", 0.95, 0.9, False, False

    rule = UnsureRule(below=0.9, seconds={7: SecondOpinion("cat", 0.9)})
    assert rule.judge_record(Rec()).unsure
    assert not UnsureRule(below=0.9).judge_record(Rec()).unsure


@pytest.fixture
def project(tmp_path: Path) -> Iterator[ProjectHandle]:
    write_demo_images(tmp_path / "photos", count=1, verified=0)
    handle = create_project(tmp_path / "proj", tmp_path / "photos")
    (image,) = an.list_images(handle)
    with handle.write() as s:
        store.write_model_regions(
            s,
            image.id,
            [
                Region(Polygon.from_box(10, 10, 200, 60), "alpha", score=0.99, det_score=0.9),
                Region(Polygon.from_box(10, 100, 200, 160), "beta", score=0.5, det_score=0.9),
                Region(Polygon.from_box(10, 200, 200, 260), "gamma", score=0.98, det_score=0.9),
            ],
            "test+model",
        )
    yield handle
    handle.close()


def _ids(handle: ProjectHandle) -> dict[str, int]:
    (image,) = an.list_images(handle)
    return {r.text: r.id for r in an.regions_of_image(handle, image.id)}


def test_the_review_queue_sorts_by_disagreement(project: ProjectHandle) -> None:
    ids = _ids(project)
    readings = {
        str(ids["alpha"]): ["alpha", "alpha", 0.9],  # agrees
        str(ids["gamma"]): ["gamma", "zzzzz", 0.6],  # all of it
        str(ids["beta"]): ["beta", "betb", 0.3],
    }  # a little
    with project.write() as s:
        store.update_settings(
            s, **{second_opinion.SETTINGS_KEY: {"model": "rec_conclr", "readings": readings}}
        )
    by_score = [it.region_id for it in an.review_queue(project, RULE)]
    assert by_score == [ids["beta"], ids["gamma"]]  # alpha: sure, and both agree
    by_disagreement = an.review_queue(project, RULE, by="disagreement")
    assert [it.region_id for it in by_disagreement] == [ids["gamma"], ids["beta"]]
    assert by_disagreement[0].judgement.disagreement == 1.0
    # a reading changed since: its second opinion no longer applies
    an.edit_regions(
        project, [(ids["gamma"], Region(Polygon.from_box(10, 200, 200, 260), "gamma!"))]
    )
    assert ids["gamma"] not in second_opinion.load(project)


def test_the_job_reads_every_unchecked_reading(project: ProjectHandle, tmp_path: Path) -> None:
    _, rec = save_tiny_models(tmp_path / "det", tmp_path / "rec" / "model.safetensors")
    job = second_opinion.SecondOpinionJob(project.folder, rec=str(rec), device="cpu")
    project.close()
    assert job.run() == 3
    from ocrstudio.services.project import open_project

    with open_project(project.folder) as handle:
        seconds = second_opinion.load(handle)
        assert set(seconds) == set(_ids(handle).values())
        assert all(s.source == "rec" for s in seconds.values())
