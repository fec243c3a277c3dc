"""The recognizer's verify settings for detections: which regions `Verification` keeps,
the OCR predictor applying them word by word, the search for them on scored pages, and
the detector card that carries them to `ocrstudio ocr` and pre-labeling."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ocrstudio.core.errors import InputError
from ocrstudio.core.types import Polygon, Region
from ocrstudio.engine.card import read_card
from ocrstudio.engine.predictor import OcrPredictor
from ocrstudio.engine.recognition.types import RecResult
from ocrstudio.engine.verification import Verification
from recipes import verify as tuning

VERIFY = Verification(candidates=0.5, sure=0.8, min_reading=0.6)


def _quad(y: float, x: float = 10.0) -> np.ndarray:
    return np.array([[x, y], [x + 80, y], [x + 80, y + 20], [x, y + 20]], float)


def test_unsure_boxes_stay_only_when_read_surely() -> None:
    assert VERIFY.keeps(0.9, "EXIT", 0.1)  # a sure box keeps even a doubtful reading
    assert VERIFY.keeps(0.6, "EXIT", 0.7)  # unsure box, sure reading
    assert not VERIFY.keeps(0.6, "EXIT", 0.5)  # unsure box, unsure reading
    assert not VERIFY.keeps(0.99, "-.-", 0.99)  # no letter or digit: not a word
    assert not VERIFY.keeps(0.99, "", 1.0)


def test_unsure_boxes_read_as_too_few_characters_go() -> None:
    verify = Verification(candidates=0.5, sure=0.8, min_reading=0.6, min_chars=3)
    assert not verify.keeps(0.6, "E", 0.99)  # a sure reading of one letter: a fragment
    assert not verify.keeps(0.6, "N.", 0.99)  # punctuation does not count
    assert verify.keeps(0.6, "EXIT", 0.7)
    assert verify.keeps(0.9, "E", 0.1)  # a sure box keeps any word
    assert Verification(0.5, 0.8, 0.6) == VERIFY and VERIFY.min_chars == 1  # old cards


def test_a_joined_box_replaces_its_pieces_only_when_read_as_their_word() -> None:
    verify = Verification(0.5, 0.8, 0.5, min_chars=3, join_gap=0.15)
    assert verify.is_fragment("HA") and verify.is_fragment("$.") and not verify.is_fragment("EXIT")
    assert verify.joins(["HA", "N", "TU"], "HANTU", 0.99)
    assert verify.joins(["pe", "ersonal"], "personal", 0.7)  # one letter read twice at the seam
    assert not verify.joins(["Lift", "HH"], "Lift", 0.9)  # a piece lost: more than one word
    assert not verify.joins(["TO", "MARKET"], "TO MARKET", 0.9)  # read as two words
    assert not verify.joins(["HA", "N"], "HAN", 0.3)  # read unsurely
    assert Verification(0.5, 0.8, 0.6).join_gap == 0.0  # old cards never join


class _Boxes:
    """A detector that finds given regions (top to bottom, so reading order keeps them)."""

    def __init__(self, scores: list[float]):
        self.regions = [
            Region(polygon=Polygon.from_array(_quad(30.0 * i)), det_score=s)
            for i, s in enumerate(scores)
        ]

    def predict_batch(self, images):  # type: ignore[no-untyped-def]
        return [list(self.regions) for _ in images]


class _Readings:
    """A recognizer that reads each crop as the next of given readings."""

    def __init__(self, readings: list[tuple[str, float]]):
        self.readings = readings

    def predict(self, crops):  # type: ignore[no-untyped-def]
        assert len(crops) == len(self.readings)
        return [RecResult(t, s, ()) for t, s in self.readings]


def test_the_ocr_predictor_drops_what_the_recognizer_does_not_confirm() -> None:
    det = _Boxes([0.9, 0.6, 0.6, 0.95, 0.7])
    rec = _Readings([("EXIT", 0.3), ("Platform", 0.9), ("xq", 0.2), ("||", 0.9), ("Tea", 0.65)])
    image = np.full((200, 120, 3), 200, np.uint8)
    everything = OcrPredictor(det, rec).predict(image)  # type: ignore[arg-type]
    assert len(everything.regions) == 5  # without a verify every box stays
    page = OcrPredictor(det, rec, verify=VERIFY).predict(image)  # type: ignore[arg-type]
    assert [r.text for r in page.regions] == ["EXIT", "Platform", "Tea"]
    assert [r.order for r in page.regions] == [0, 1, 2]  # no gaps where boxes went


def _candidates() -> tuning.ReadCandidates:
    """Two words; candidates: one sure and right, one unsure but read surely, one unsure
    false alarm read badly, one sure false alarm read as no word at all."""
    truth = [
        Region(polygon=Polygon.from_array(_quad(0)), text="EXIT"),
        Region(polygon=Polygon.from_array(_quad(40)), text="Platform"),
    ]
    found = [
        Region(polygon=Polygon.from_array(_quad(0)), det_score=0.9, text="EXIT", score=0.9),
        Region(polygon=Polygon.from_array(_quad(40)), det_score=0.55, text="Platform", score=0.95),
        Region(polygon=Polygon.from_array(_quad(80)), det_score=0.55, text="xqv", score=0.2),
        Region(polygon=Polygon.from_array(_quad(120)), det_score=0.75, text="--", score=0.9),
    ]
    return tuning.ReadCandidates([truth], [found])


def test_the_search_finds_settings_that_keep_the_words_and_drop_the_rest() -> None:
    read = _candidates()
    alone = tuning.score(read, None, box_thresh=0.7)
    assert (alone["precision"], alone["recall"]) == (0.5, 0.5)  # EXIT and the "--" box
    best, figures = tuning.tune(read, box_thresh=0.7)
    assert best is not None and best.candidates <= 0.55 and 0.2 < best.min_reading <= 0.95
    assert figures["verified"]["hmean"] == 1.0 and figures["verified"]["e2e_hmean"] == 1.0
    assert figures["detector_alone"] == alone


def test_the_search_learns_that_unsure_single_letters_are_fragments() -> None:
    """An unsure box read surely as one letter beside an unsure box read surely as a word:
    no reading score parts them, the number of characters does."""
    read = _candidates()
    fragment = Region(polygon=Polygon.from_array(_quad(160)), det_score=0.55, text="E", score=0.99)
    read = tuning.ReadCandidates(read.truth, [[*read.regions[0], fragment]])
    best, figures = tuning.tune(read, box_thresh=0.7)
    assert best is not None and best.min_chars >= 2
    assert figures["verified"]["hmean"] == 1.0


def test_several_splits_count_alike_whatever_their_words_a_page() -> None:
    """A split of one dense page and a split of one short photo: each is scored on its own
    and the figures are their mean, so the dense page's many words do not outweigh the
    photo's few."""
    dense_truth = [
        Region(polygon=Polygon.from_array(_quad(30.0 * i)), text="word") for i in range(9)
    ]
    dense_found = [
        Region(polygon=Polygon.from_array(_quad(30.0 * i)), det_score=0.9, text="word", score=0.9)
        for i in range(9)
    ]
    photo = _candidates()
    read = tuning.ReadCandidates(
        [dense_truth, photo.truth[0]], [dense_found, photo.regions[0]], ["forms", "streets"]
    )
    m = tuning.score(read, None, box_thresh=0.7)
    assert m["splits"]["forms"]["hmean"] == 1.0 and m["splits"]["streets"]["hmean"] == 0.5
    assert m["hmean"] == pytest.approx(0.75)  # pooled, 10 of 11 words would read 0.91
    assert tuning.score(photo, None, 0.7) == m["splits"]["streets"]  # one split: its own


def test_joining_pieces_is_kept_only_where_its_own_reading_scores_higher() -> None:
    """tune_join reads the photos again for each gap (joining changes what is read) and
    keeps a gap only when detection + end to end rise."""
    whole = _candidates()
    broken = tuning.ReadCandidates(
        whole.truth,
        [
            [
                *whole.regions[0][:1],
                *[
                    Region(
                        polygon=Polygon.from_array(_quad(40, x)), det_score=0.9, text=t, score=0.99
                    )
                    for x, t in ((10.0, "Pl"), (50.0, "atform"))
                ],
            ]
        ],
    )
    verify = Verification(candidates=0.5, sure=0.8, min_reading=0.5, min_chars=3)
    asked: list[float] = []

    def read_with(v: Verification) -> tuning.ReadCandidates:
        asked.append(v.join_gap)
        return whole if v.join_gap == tuning.JOIN_GAPS[0] else broken

    figures = {"verified": tuning.score(broken, verify, 0.7)}
    best, out = tuning.tune_join(read_with, verify, figures, 0.7)
    assert asked == list(tuning.JOIN_GAPS)
    assert best == dataclasses.replace(verify, join_gap=tuning.JOIN_GAPS[0])
    assert out["verified"]["hmean"] == 1.0 > figures["verified"]["hmean"]
    same, kept = tuning.tune_join(lambda v: broken, verify, figures, 0.7)
    assert same == verify and kept == figures  # no gain: joining stays off


def _copy_card(src: Path, dest: Path, **fields: object) -> Path:
    """A copy of a shipped model whose card's JSON has `fields` set (as a person or an
    older version may have written them)."""
    shutil.copytree(src, dest)
    card = json.loads((dest / "model.json").read_text(encoding="utf-8"))
    card.update(fields)
    (dest / "model.json").write_text(json.dumps(card), encoding="utf-8")
    return dest


def test_the_card_carries_verify_to_ocr_and_keep_all_turns_it_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocrstudio.services.ocr import build_ocr, resolve_model

    rec = resolve_model(None, "recognizer")
    det = _copy_card(resolve_model(None, "detector"), tmp_path / "det", verify=None)
    det_box = read_card(det).config["postprocess"]["box_thresh"]
    monkeypatch.setattr(tuning, "read_candidates", lambda *a, **k: _candidates())
    out = tuning.tune_and_write(det, rec, tmp_path / "val", write=True)
    card = read_card(det)
    assert card.verify == Verification(**out["verify"])
    assert card.validation is not None
    assert card.validation["verified"]["hmean"] == 1.0
    assert card.validation["verified"]["recognizer"] == rec.name
    assert card.metrics == card.validation
    ocr = build_ocr(det, rec, "cpu")
    assert ocr.verify == card.verify
    assert ocr.det.postprocess.box_thresh == card.verify.candidates
    kept = build_ocr(det, rec, "cpu", verify=False)  # what `ocr --keep-all` asks for
    assert kept.verify is None and kept.det.postprocess.box_thresh == det_box


def test_bad_verify_settings_name_the_card(tmp_path: Path) -> None:
    from ocrstudio.services.ocr import build_ocr, resolve_model

    rec = resolve_model(None, "recognizer")
    bad = _copy_card(
        resolve_model(None, "detector"),
        tmp_path / "bad",
        verify={"candidates": 0.5, "sure": "high"},
    )
    with pytest.raises(InputError, match="bad verify in the model card") as err:
        build_ocr(bad, rec, "cpu")
    assert "model.json" in str(err.value)


def test_verify_tuned_at_another_input_size_is_kept_beside_the_cards_own(
    tmp_path: Path, monkeypatch
) -> None:
    """tune-verify --limit-side N --write keeps its settings under verify_at[N] (the card's
    own verify stays), and the predictor built for input N applies them."""
    from ocrstudio.services import ocr as services
    from ocrstudio.services.ocr import build_ocr, resolve_model

    sizes: list[int | None] = []

    def read(*_args, limit_side=None, **_kwargs):  # type: ignore[no-untyped-def]
        sizes.append(limit_side)
        return _candidates()  # where the search finds settings (test above)

    monkeypatch.setattr(tuning, "read_candidates", read)
    rec = resolve_model(None, "recognizer")
    det = _copy_card(resolve_model(None, "detector"), tmp_path / "det")
    before = read_card(det)
    out = tuning.tune_and_write(det, rec, tmp_path / "photos", write=True, limit_side=640)
    # the grid's reading, one for each gap joining pieces of words, and one for the card's
    # own settings when they join: all at 640
    again = 1 if before.verify is not None and before.verify.join_gap else 0
    assert sizes == [640] * (1 + len(tuning.JOIN_GAPS) + again)
    assert out["verify"] is not None
    card = read_card(det)
    own = card.verify
    assert own == before.verify
    assert card.verify_at == {**before.verify_at, 640: Verification(**out["verify"])}
    assert card.validation is not None
    at = card.validation["verified_at"]["640"]
    assert at["limit_side"] == 640 and at["hmean"] == out["verified"]["hmean"]
    assert card.metrics == card.validation
    assert card.verify_for(640) == Verification(**out["verify"])
    assert card.verify_for(1280) == card.verify_for(None) == own
    monkeypatch.setitem(services.PRESET_LIMIT_SIDE, "accurate", 640)
    ocr = build_ocr(det, rec, "cpu")
    assert ocr.verify == Verification(**out["verify"])
    assert ocr.det.postprocess.box_thresh == out["verify"]["candidates"]


def test_thresholds_tuned_at_another_input_size_apply_at_that_size(tmp_path: Path) -> None:
    """The card's postprocess_at[N] (eval-det --limit-side N --tune --write) is laid over
    its own thresholds whenever the detector reads N pixels, and only then."""
    from ocrstudio.engine.detection.predictor import DetectionPredictor
    from ocrstudio.services.ocr import resolve_model
    from recipes.__main__ import main

    at = {"thresh": 0.55, "box_thresh": 0.65, "unclip_ratio": 1.7}
    det = _copy_card(resolve_model(None, "detector"), tmp_path / "det", postprocess_at={"800": at})
    own = DetectionPredictor.card_postprocess(det)
    small = DetectionPredictor.from_checkpoint(det, device="cpu", limit_side=800)
    assert (
        small.postprocess.thresh,
        small.postprocess.box_thresh,
        small.postprocess.unclip_ratio,
    ) == (0.55, 0.65, 1.7)
    assert DetectionPredictor.from_checkpoint(det, device="cpu").postprocess == own
    assert DetectionPredictor.card_postprocess(det, 0.5, 800).box_thresh == 0.5
    assert DetectionPredictor.card_postprocess(det, None, 800).unclip_ratio == 1.7
    with pytest.raises(InputError, match="--write keeps thresholds"):
        main(["eval-det", str(det), str(tmp_path), "--write"])


def test_unsure_boxes_read_surely_as_short_words_stay() -> None:
    verify = Verification(0.5, 0.8, 0.5, min_chars=3, short_reading=0.95)
    assert verify.keeps(0.6, "TO", 0.99) and verify.keeps(0.6, "11,", 0.97)
    assert not verify.keeps(0.6, "TO", 0.9)  # a short reading needs more than a long one
    assert verify.keeps(0.6, "EXIT", 0.6)
    assert not Verification(0.5, 0.8, 0.5, 3, short_reading=1.0).keeps(0.6, "TO", 0.999)
    with pytest.raises(ValueError, match="short_reading"):
        Verification(0.5, 0.8, 0.5, short_reading=1.5)


def test_the_shipped_check_keeps_short_words_of_a_form() -> None:
    """Short words as a form prints them, read by the shipped recognizer: surely enough
    that the shipped detector's check keeps them from an unsure box."""
    from ocrstudio.core.geometry import crop_polygon
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor
    from ocrstudio.services.ocr import resolve_model
    from tests.support.rendered_words import rendered_line

    words = ["TO", "No.", "RM", "11", "of"]
    image, boxes = rendered_line(words)
    rec = RecognitionPredictor.from_checkpoint(resolve_model(None, "recognizer"), "cpu")
    reads = rec.predict([crop_polygon(image, b, 0.1) for b in boxes])
    verify = read_card(resolve_model(None, "detector")).verify_for(None)
    assert verify is not None and verify.min_chars > 2
    kept = [r.text for r in reads if verify.keeps(verify.candidates, r.text, r.score)]
    assert (
        kept == [r.text for r in reads]
        and sum(k == w for k, w in zip(kept, words, strict=True)) >= 4
    )


def test_short_word_settings_reach_a_card_only_where_they_are_set() -> None:
    old = Verification(0.5, 0.8, 0.5, min_chars=3)
    assert set(old.as_card()) == {"candidates", "sure", "min_reading", "min_chars", "join_gap"}
    tuned = dataclasses.replace(old, short_reading=0.9, short_chars=1)
    assert tuned.as_card()["short_reading"] == 0.9
    assert Verification(**old.as_card()) == old and Verification(**tuned.as_card()) == tuned


def test_settings_are_tuned_on_the_readings_of_the_preset_at_that_size() -> None:
    """tune-verify at fast's input reads the recognizer as fast does (its narrower
    padding); any other size as accurate does."""
    from ocrstudio.services.ocr import PRESET_LIMIT_SIDE

    assert tuning.preset_at(PRESET_LIMIT_SIDE["fast"]) == "fast"
    assert tuning.preset_at(None) == tuning.preset_at(1280) == "accurate"
