"""How a person boxes text, learned apart from the detector: a plate's box over the two
words a detector finds in it, a person's lines over its words; none where the person
boxes as the detector does; the detector's fine-tune sees the labels in its own
geometry; pre-labelling applies the rules while the project's conventions are on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ocrstudio.core.errors import InputError
from ocrstudio.core.geometry import polygon_iou
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.model_choice import conventions_of, set_box_rules, use_conventions
from ocrstudio.services.prelabel import PrelabelJob
from ocrstudio.services.project import create_project
from ocrstudio.services.scoring import conventional
from ocrstudio.training.box_rules import BoxRules, boxed_share, learn_box_rules, person_boxes
from ocrstudio.training.text_rules import TextRules
from tests.support.models import make_tiny_models


def box(x0: float, y0: float, x1: float, y1: float, text: str = "") -> Region:
    return Region(Polygon.from_box(x0, y0, x1, y1), text, score=0.9, det_score=0.9)


def plate_photo(rng: np.random.Generator) -> tuple[list[Region], list[Region]]:
    """What a word detector finds on a car photo (the plate's two halves, a small city
    strip above them, a badge elsewhere) and the person's one box around the plate."""
    x, y, h = rng.uniform(300, 600), rng.uniform(500, 700), rng.uniform(30, 60)
    letters = box(x, y, x + 2.2 * h, y + h, "PJH·")
    digits = box(x + 2.3 * h, y, x + 5.2 * h, y + h, "0957")
    strip = box(x + 1.5 * h, y - 0.35 * h, x + 3.5 * h, y - 0.1 * h, "BA-SALVADOR")
    badge = box(100, 100, 100 + 3 * h, 100 + h, "TOYOTA")
    label = box(x - 0.15 * h, y - 0.45 * h, x + 5.4 * h, y + 1.1 * h, "PJH0957")
    return [letters, digits, strip, badge], [label]


def test_plate_boxes_are_the_detectors_words_joined_and_grown() -> None:
    rng = np.random.default_rng(0)
    rules = learn_box_rules([plate_photo(rng) for _ in range(20)])
    assert rules is not None and 0.5 <= rules.join_gap <= 2.0
    left, top, right, bottom = rules.grow
    assert left == pytest.approx(0.15, abs=0.02) and top == pytest.approx(0.45, abs=0.02)
    assert right == pytest.approx(0.2, abs=0.02) and bottom == pytest.approx(0.1, abs=0.02)
    assert "joined" in rules.describe() and "top +45%" in rules.describe()
    found, (label,) = plate_photo(np.random.default_rng(99))
    out = rules.apply(found)
    best = max(out, key=lambda r: polygon_iou(r.polygon.as_array(), label.polygon.as_array()))
    assert polygon_iou(best.polygon.as_array(), label.polygon.as_array()) > 0.9
    assert best.text == "PJH· 0957" and best.score == 0.9
    # the text rules then write it as the person does
    written = conventional(found, (1280, 960), None, TextRules(True, "·"), rules)
    assert "PJH0957" in [r.text for r in written]


def test_a_persons_lines_over_a_detectors_words() -> None:
    pages = []
    for i in range(10):
        y = 50 + 40 * i
        words = [box(20, y, 80, y + 20, "total"), box(90, y, 130, y + 20, "due")]
        pages.append((words, [box(20, y, 130, y + 20, "total due")]))
    rules = learn_box_rules(pages)
    assert rules is not None and rules.join_gap >= 0.5
    assert np.allclose(rules.grow, 0.0, atol=1e-9)
    (line,) = rules.apply(pages[0][0])
    assert line.text == "total due" and line.polygon == pages[0][1][0].polygon


def test_no_rules_where_the_person_boxes_as_the_detector_does() -> None:
    pages = []
    for i in range(10):
        y = 50 + 40 * i
        words = [box(20, y, 80, y + 20, "total"), box(90, y, 130, y + 20, "due")]
        pages.append((words, [w.with_(score=None) for w in words]))
    assert learn_box_rules(pages) is None
    assert learn_box_rules([]) is None
    # two plates are not yet a way of boxing
    rng = np.random.default_rng(0)
    assert learn_box_rules([plate_photo(rng) for _ in range(2)]) is None


def test_the_detector_learns_labels_in_its_own_geometry() -> None:
    rules = BoxRules(0.5, (0.15, 0.45, 0.2, 0.1))
    found, (label,) = plate_photo(np.random.default_rng(1))
    inside = person_boxes(rules, found, label)
    # the plate's halves and its city strip: the boxes the detector itself drew
    assert sorted(r.polygon.points for r in inside) == sorted(r.polygon.points for r in found[:3])
    assert all(r.text == "PJH0957" for r in inside)
    # a plate it missed: the label shrunk by what the rules grow
    (core,) = person_boxes(rules, [found[3]], label)
    grown = rules.apply([core])[0]
    assert polygon_iou(grown.polygon.as_array(), label.polygon.as_array()) > 0.98


@pytest.mark.parametrize(
    "stored",
    [
        {"join_gap": 9.0, "grow": [0, 0, 0, 0]},
        {"join_gap": 0.5, "grow": [0, 0, 0]},
        {"join_gap": 0.5, "grow": [0, 5.0, 0, 0]},
        {"join_gap": "wide", "grow": [0, 0, 0, 0]},
        {"grow": [0, 0, 0, 0]},
    ],
)
def test_crafted_box_rules_are_refused(stored: dict) -> None:
    with pytest.raises(InputError, match="box rules"):
        BoxRules.from_dict(stored)


def test_prelabel_boxes_as_the_project_does_while_its_conventions_are_on(
    tmp_path: Path,
) -> None:
    """The tiny models find one region over the whole of each demo photo; rules that
    take a quarter of a box's height off each side box it that much smaller, stored and
    read back through the project's settings, and not while the conventions are off."""
    write_demo_images(tmp_path / "photos", count=1, verified=0)
    handle = create_project(tmp_path / "proj", tmp_path / "photos")
    make_tiny_models(handle)
    a = an.list_images(handle)[0].id
    job = PrelabelJob(handle.folder, image_ids=(a,), device="cpu")
    job.run()
    (raw,) = an.regions_of_image(handle, a)
    rules = BoxRules(0.0, (-0.25, -0.25, -0.25, -0.25))
    assert BoxRules.from_dict(rules.to_dict()) == rules
    set_box_rules(handle, rules)
    assert conventions_of(handle).active_boxes == rules
    job.run()
    (boxed,) = an.regions_of_image(handle, a)
    (x0, y0), (x1, y1) = raw.polygon.as_array().min(0), raw.polygon.as_array().max(0)
    q = (y1 - y0) / 4
    assert boxed.polygon == Polygon.from_box(x0 + q, y0 + q, x1 - q, y1 - q)
    use_conventions(handle, False)
    job.run()
    assert an.regions_of_image(handle, a)[0].polygon == raw.polygon
    handle.close()


def test_the_share_of_labels_boxed_right() -> None:
    pages = [plate_photo(np.random.default_rng(i)) for i in range(4)]
    assert boxed_share(None, pages) == 0.0  # the plate's halves alone box no plate
    assert boxed_share(BoxRules(0.5, (0.15, 0.45, 0.2, 0.1)), pages) == 1.0
    assert boxed_share(None, []) == 0.0
