"""The person's conventions, learned apart from the detector: text they leave unlabelled
is don't-care in a detector's fine-tune, and a keep filter learns which found regions
they keep; pre-labelling applies the project's filter only while it is switched on."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ocrstudio.core.errors import InputError
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.model_choice import (
    conventions_of,
    set_keep_filter,
    set_text_rules,
    use_conventions,
)
from ocrstudio.services.prelabel import PrelabelJob
from ocrstudio.services.project import create_project
from ocrstudio.training.keep_filter import KeepFilter, learn_keep_filter, unlabelled_boxes
from ocrstudio.training.text_rules import TextRules
from tests.support.models import make_tiny_models

W, H = 1280, 960


def plate(rng: np.random.Generator) -> Region:
    """A licence plate: three capitals and four digits, low in the middle of the photo."""
    x, y = rng.uniform(450, 650), rng.uniform(600, 750)
    w = rng.uniform(160, 220)
    text = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ"), 3)) + "".join(
        rng.choice(list("0123456789"), 4)
    )
    return Region(Polygon.from_box(x, y, x + w, y + w / 3.2), text, score=0.95, det_score=0.9)


def other_text(rng: np.random.Generator) -> Region:
    """What else a car photo holds: makes, dealers' stickers, slogans, anywhere."""
    word = str(
        rng.choice(
            [
                "TOYOTA",
                "salvador",
                "Fiat",
                "AUTOMATIC",
                "feira",
                "Renault",
                "HiFLEX",
                "concessionaria",
                "SANTA",
                "GO",
            ]
        )
    )
    x, y = rng.uniform(0, W - 300), rng.uniform(0, H - 100)
    h = rng.uniform(12, 60)
    return Region(
        Polygon.from_box(x, y, x + h * 0.6 * len(word), y + h),
        word,
        score=float(rng.uniform(0.6, 1.0)),
        det_score=0.8,
    )


def photos(n: int, seed: int) -> list[tuple[list[Region], list[Region], int, int]]:
    """(found, labelled, width, height): the models find the plate and 3-6 other texts;
    the person labelled the plate only."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        p = plate(rng)
        found = [p, *(other_text(rng) for _ in range(int(rng.integers(3, 7))))]
        out.append((found, [p.with_(score=None, det_score=None)], W, H))
    return out


def test_the_filter_learns_to_keep_plates_and_leave_the_rest() -> None:
    keep = learn_keep_filter(photos(40, seed=0))
    assert keep is not None and keep.photos == 40
    plates = others = kept_plates = kept_others = 0
    for found, labels, w, h in photos(30, seed=1):  # photos it never saw
        kept = keep.apply(found, w, h)
        plates += 1
        kept_plates += labels[0].text in {r.text for r in kept}
        others += len(found) - 1
        kept_others += len(kept) - (labels[0].text in {r.text for r in kept})
    assert kept_plates / plates >= 0.95
    assert kept_others / others <= 0.05
    # stored in a project's settings and read back
    again = KeepFilter.from_dict(keep.to_dict())
    found, _, w, h = photos(1, seed=2)[0]
    assert again.apply(found, w, h) == keep.apply(found, w, h)


def test_no_filter_where_there_is_no_convention_to_learn() -> None:
    everything = [(found, found, w, h) for found, _, w, h in photos(10, seed=3)]
    assert learn_keep_filter(everything) is None  # the person labels all that is found
    assert learn_keep_filter(photos(3, seed=4)) is None  # three plates: too few to learn


@pytest.mark.parametrize(
    "change",
    [
        {"features": ["height"]},
        {"mean": [0.0]},
        {"scale": [0.0] * 11},
        {"threshold": "half"},
        {"points": [[math.nan] * 11]},
        {"kept": []},
    ],
)
def test_a_crafted_filter_is_refused(change: dict) -> None:
    good = learn_keep_filter(photos(20, seed=5))
    assert good is not None
    data = {**good.to_dict(), **change}
    if "points" in change:
        data["kept"] = [True]
    with pytest.raises(InputError, match="keep filter cannot be read"):
        KeepFilter.from_dict(data)


def test_unlabelled_boxes_are_what_the_detector_finds_where_the_person_drew_nothing() -> None:
    label = Region(Polygon.from_box(100, 100, 300, 160), "ABC1234")
    found = [
        Region(Polygon.from_box(105, 102, 298, 158), "ABC1234", score=0.99),  # the label
        Region(Polygon.from_box(500, 50, 700, 90), "TOYOTA", score=0.9),  # left out
        Region(Polygon.from_box(500, 300, 700, 340), "T0Y", score=0.2),  # unsure
        Region(Polygon.from_box(500, 400, 700, 440), "", score=0.0),  # unread
        Region(Polygon.from_box(200, 100, 320, 160), "34 OK", score=0.9),
    ]  # mostly in
    dont_care = unlabelled_boxes(found, [label])
    assert all(r.ignore and r.text == "###" for r in dont_care)
    assert [r.polygon for r in dont_care] == [r.polygon for r in found[1:4]]


def test_prelabel_applies_the_projects_filter_only_while_it_is_on(tmp_path: Path) -> None:
    """The tiny models find one region covering each demo photo; a filter learned from
    photos where such whole-photo regions were left out and small words kept leaves it
    out, until the person switches the filter off (or pre-labels with keep-all)."""
    write_demo_images(tmp_path / "photos", count=2, verified=0)
    handle = create_project(tmp_path / "proj", tmp_path / "photos")
    make_tiny_models(handle)
    a = an.list_images(handle)[0].id
    whole = Region(Polygon.from_box(0, 0, 800, 600), "x", score=0.5, det_score=0.9)
    pages = []
    for i in range(12):
        word = Region(
            Polygon.from_box(40 * i, 30 * i, 40 * i + 90, 30 * i + 20),
            "word",
            score=0.9,
            det_score=0.9,
        )
        pages.append(([whole, word], [word], 800, 600))
    keep = learn_keep_filter(pages)
    assert keep is not None
    set_keep_filter(handle, keep)
    job = PrelabelJob(handle.folder, image_ids=(a,), device="cpu")
    job.run()
    assert an.regions_of_image(handle, a) == []
    use_conventions(handle, False)
    assert conventions_of(handle).filter is not None and conventions_of(handle).active is None
    job.run()
    assert len(an.regions_of_image(handle, a)) == 1
    use_conventions(handle, True)
    PrelabelJob(handle.folder, image_ids=(a,), device="cpu", keep_all=True).run()
    (raw,) = an.regions_of_image(handle, a)
    # the project's text rules write what is kept as the person writes (capitals here)
    set_keep_filter(handle, None)
    set_text_rules(handle, TextRules(case="upper"))
    job.run()
    (written,) = an.regions_of_image(handle, a)
    assert raw.text and written.text == raw.text.upper() != raw.text
    handle.close()


def test_the_keep_filter_is_shown_and_switched_from_the_command_line(
    tmp_path: Path, capsys
) -> None:
    from ocrstudio.cli import main as cli_main
    from ocrstudio.services.project import open_project

    write_demo_images(tmp_path / "photos", count=1, verified=0)
    create_project(tmp_path / "proj", tmp_path / "photos").close()
    assert cli_main(["project", "keep-filter", str(tmp_path / "proj")]) == 0
    assert "no keep filter" in capsys.readouterr().out
    assert cli_main(["project", "keep-filter", str(tmp_path / "proj"), "on"]) == 2
    assert "has no conventions" in capsys.readouterr().err
    with open_project(tmp_path / "proj") as handle:
        set_keep_filter(handle, learn_keep_filter(photos(10, seed=6)))
    assert cli_main(["project", "conventions", str(tmp_path / "proj"), "off"]) == 0
    assert capsys.readouterr().out.startswith(
        "conventions off: a keep filter learned from 10 labelled"
    )
    with open_project(tmp_path / "proj") as handle:
        assert conventions_of(handle).active is None


@pytest.mark.gui
def test_the_models_panel_shows_the_filter_and_switches_it(qtbot, tmp_path: Path) -> None:
    from ocrstudio.services.demo import create_demo_project
    from ocrstudio.services.project import open_project
    from ocrstudio.ui.main_window import MainWindow
    from ocrstudio.ui.testing import isolated_settings

    folder = create_demo_project(tmp_path / "demo", count=1, verified=0)
    w = MainWindow(isolated_settings(tmp_path))
    qtbot.addWidget(w)
    assert w.open_project(folder)
    box = w.models_panel.keep
    assert not box.isEnabled() and not box.isChecked()  # nothing learned yet
    with open_project(folder) as handle:
        set_keep_filter(handle, learn_keep_filter(photos(10, seed=7)))
    w.models_panel.refresh()  # as the improve dialog does when a run ends
    assert box.isEnabled() and box.isChecked()
    assert "learned from 10 labelled photos" in box.toolTip()
    box.click()
    with open_project(folder) as handle:
        assert conventions_of(handle).filter is not None and not conventions_of(handle).on
    assert not box.isChecked() and box.isEnabled()
