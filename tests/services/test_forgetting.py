"""The check of what a new model forgot (services/forgetting.py): a new model that reads
the held-out general photos more than a point worse end to end than its base is not
kept, whatever it gained on the person's photos."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.services.forgetting import TOLERANCE, GeneralCheck
from ocrstudio.services.scoring import Reading
from ocrstudio.training.data import LabeledPage


def pages(count: int, words: int) -> list[LabeledPage]:
    out = []
    for i in range(count):
        regions = tuple(
            Region(Polygon.from_box(10, 20 * k, 90, 20 * k + 15), f"w{i}x{k}") for k in range(words)
        )
        out.append(LabeledPage(Path(f"p{i}.jpg"), PageLabels(f"p{i}.jpg", regions, 100, 400)))
    return out


def reader(wrong: dict[str, int]) -> Any:
    """A stand-in for the pair's reading: each page's labelled regions read back, the
    first `wrong[model]` of the photos' words misread by the named new model."""

    def read(ps: Any, new: dict[str, Any]) -> Reading:
        misread = wrong[new.get("recognizer", "base")]
        found, n = [], 0
        for p in ps:
            regions = []
            for r in p.labels.regions:
                regions.append(replace(r, text=r.text + "?") if n < misread else r)
                n += 1
            found.append(tuple(regions))
        return Reading(tuple(found), tuple(() for _ in ps), tuple((100, 400) for _ in ps))

    return read


def test_a_new_model_that_forgot_more_than_a_point_is_not_kept() -> None:
    general = pages(20, 10)  # 200 words: one misread word is half a point
    read = reader({"base": 10, "same": 10, "slightly": 11, "forgot": 14, "better": 0})
    check = GeneralCheck.start(general, read)
    assert check is not None and abs(check.before - 0.95) < 1e-9 and check.seconds >= 0
    for name, kept in (("same", True), ("slightly", True), ("better", True), ("forgot", False)):
        ok, why = check.judge(read, {"recognizer": name})
        assert ok is kept, why
        assert "your general photos (end to end, 20 held out) 0.950 -> " in why
        assert ("it forgot what it read" in why) is not kept
    assert TOLERANCE == 0.01


def test_without_general_photos_there_is_no_check() -> None:
    assert GeneralCheck.start([], reader({"base": 0})) is None
