"""General photos replayed to the recognizer as the detector cuts them
(services/replay.py): the fine-tune reads the detector's boxes, labelled from the truth,
and synthetic data passes through."""

from __future__ import annotations

from pathlib import Path

from ocrstudio.services.ocr import PredictorCache, resolve_model
from ocrstudio.services.replay import detected_replay
from ocrstudio.training.api import load_folder
from ocrstudio.training.detected import label_box
from tests.support.rendered_words import words_photo


def test_general_photos_reach_the_recognizer_as_the_detector_cuts_them(tmp_path: Path) -> None:
    words = words_photo(tmp_path / "photos")
    det = resolve_model(None, "detector")
    rec = resolve_model(None, "recognizer")
    specs = detected_replay(
        (f"{tmp_path / 'photos'}@1.5", "synth:words@0.2"),
        det,
        rec,
        tmp_path / "cut",
        PredictorCache(),
        "cpu",
        "accurate",
    )
    assert specs[1] == "synth:words@0.2"
    folder, weight = specs[0].rsplit("@", 1)
    assert weight == "1.5" and Path(folder).parent == tmp_path / "cut"
    (page,) = load_folder(folder)
    (truth,) = load_folder(tmp_path / "photos")
    texts = [r.text for r in page.labels.regions]
    assert len(texts) >= 3 and set(" ".join(texts).split()) <= set(words)
    assert page.image_path.resolve() == truth.image_path.resolve()
    for region in page.labels.regions:  # each box carries the words it holds
        assert label_box(region.polygon.as_array(), truth.labels.regions) == region.text


def general_folder(root: Path, count: int) -> Path:
    """`count` photos of one rendered word each, labelled (PaddleOCR's Label.txt)."""
    import cv2
    import numpy as np

    from ocrstudio.core.types import PageLabels, Polygon, Region
    from ocrstudio.formats import write_labels
    from tests.support.rendered_words import WORDS, render

    (root / "img").mkdir(parents=True)
    pages = []
    for i in range(count):
        img = np.full((80, 240, 3), 210, np.uint8)
        crop = render(WORDS[i % len(WORDS)])
        img[10 : 10 + crop.shape[0], 10 : 10 + crop.shape[1]] = crop
        path = root / "img" / f"p{i}.png"
        cv2.imwrite(str(path), img)
        box = Polygon.from_box(8, 8, 12 + crop.shape[1], 12 + crop.shape[0])
        pages.append(PageLabels(str(path), (Region(box, WORDS[i % len(WORDS)]),), 240, 80))
    write_labels("paddleocr", pages, root / "labels")
    return root / "labels"


def test_general_photos_held_out_to_check_forgetting_reach_neither_fine_tune(
    tmp_path: Path, monkeypatch
) -> None:
    """Of a general folder, the recognizer is replayed a seeded draw, the detector the
    folder less the held-out photos, and the held-out photos (the check of what a new
    model forgot) are in neither; a folder with no photos to spare holds none out."""
    from ocrstudio.services import replay

    monkeypatch.setattr(replay, "REPLAY_PHOTOS", 2)
    folder = general_folder(tmp_path / "general", 7)
    specs = (f"{folder}@1.5", "synth:words@0.2")
    held_pages, det_specs = replay.hold_out(specs, tmp_path / "det", photos=3)
    held = {p.image_path.name for p in held_pages}
    assert len(held) == 3
    assert det_specs[1] == "synth:words@0.2" and det_specs[0].endswith("@1.5")
    det_pages = load_folder(det_specs[0].rsplit("@", 1)[0])
    assert {p.image_path.name for p in det_pages} == {f"p{i}.png" for i in range(7)} - held
    assert all(p.labels.regions[0].text for p in det_pages)  # labels travel with them
    rec_specs = replay.detected_replay(
        specs,
        resolve_model(None, "detector"),
        resolve_model(None, "recognizer"),
        tmp_path / "rec",
        PredictorCache(),
        "cpu",
        "fast",
    )
    rec_pages = load_folder(rec_specs[0].rsplit("@", 1)[0])
    assert len(rec_pages) == 2 and not {p.image_path.name for p in rec_pages} & held
    small = (f"{general_folder(tmp_path / 'small', 2)}@1",)
    assert replay.hold_out(small, tmp_path) == ([], small)
