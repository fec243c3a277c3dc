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
